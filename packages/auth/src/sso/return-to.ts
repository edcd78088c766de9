/** Where a sign-in lands when it names no page of its own. */
export const DEFAULT_RETURN_PATH = '/account';

/**
 * A page of this site to land on after signing in, as an absolute URL, or null when `raw` is
 * not one (another origin, a protocol-relative `//host`, a backslash trick, not a URL): an
 * open redirect would hand the fresh session's landing to another site.
 */
export function sameOriginReturnTo(raw: string, publicUrl: string): string | null {
  if (raw.length > 2000 || /[\\\s]/.test(raw) || raw.startsWith('//')) return null;
  const origin = new URL(publicUrl).origin;
  let url: URL;
  try {
    url = new URL(raw, origin);
  } catch {
    return null;
  }
  return url.origin === origin ? url.href : null;
}
