/**
 * The longest message the widget sends: 8,000 characters, checked before sending so the
 * visitor gets a clear message instead of a refusal. The server's own limit is 8,192 bytes of
 * UTF-8 (REALTIME_MAX_MESSAGE_BYTES); text in non-Latin scripts can pass 8,000 characters' check
 * and still exceed that, so the bytes are checked too.
 */
export const MAX_CHARS = 8_000;
export const MAX_BYTES = 8_192;

/** Characters as a person counts them (code points, so an emoji is one). */
export const charCount = (text: string) => [...text].length;

export function tooLong(text: string): boolean {
  return charCount(text) > MAX_CHARS || new TextEncoder().encode(text).length > MAX_BYTES;
}
