/** A NUL, or half of a UTF-16 surrogate pair without its other half. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding NUL is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What an input field holding unstorable text is told. */
export const UNSTORABLE_TEXT = 'must be text without NUL characters or unpaired surrogates';

/**
 * PostgreSQL cannot store every JavaScript string: text and jsonb refuse NUL (U+0000), and
 * jsonb refuses an unpaired surrogate (JSON.stringify writes it as `\ud800`, which is no
 * character). Such a string fails its statement deep inside a request, after it was
 * accepted, as a 500. Inputs are checked at the edge instead, where the field can be named.
 *
 * The path of the first string (or object key) holding such text: '' for the value itself,
 * `name` or `items.0.name` inside it; undefined when there is none. Iterative, so deeply
 * nested input cannot overflow the stack.
 */
export function unstorableTextPath(value: unknown): string | undefined {
  const stack: [unknown, string][] = [[value, '']];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [item, path] = next;
    if (typeof item === 'string') {
      if (UNSTORABLE.test(item)) return path;
    } else if (item && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        const at = path ? `${path}.${key}` : key;
        if (UNSTORABLE.test(key)) return at;
        stack.push([child, at]);
      }
    }
  }
  return undefined;
}
