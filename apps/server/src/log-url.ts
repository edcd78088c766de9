/** What stands in for a value kept out of the logs. */
export const REDACTED = '[redacted]';

/**
 * Query parameters whose values are logged as sent: paging and filters that hold no user text
 * and no credential. Every other value is replaced, since query strings carry both: tRPC GET
 * inputs (`input=`, e.g. knowledge.search and ai.ask questions), tokens (`token=`, the WebSocket
 * and Better Auth's email links), keys, and single sign-on's `code` and `state`. A list of
 * what to keep, not of what to hide, so a parameter added later is hidden until listed here.
 */
const SHOWN = new Set(['batch', 'limit', 'status', 'since', 'action']);

/** Path segments that are credentials: Better Auth's reset link carries its token in the path. */
const SECRET_IN_PATH = /^(\/api\/auth\/reset-password\/)[^/?]+/;

/** A parameter name too long to be one of ours is itself suspect (a token sent as a name). */
const MAX_NAME = 64;

/**
 * The request URL as logged: the path and every parameter name kept (so a line still says
 * which procedure and which parameters), each value replaced unless listed in SHOWN, e.g.
 * `/trpc/knowledge.search?input=[redacted]`. Pieces without a value are replaced whole.
 */
export function loggedUrl(url: string): string {
  const at = url.indexOf('?');
  const path = (at === -1 ? url : url.slice(0, at)).replace(SECRET_IN_PATH, `$1${REDACTED}`);
  if (at === -1) return path;
  const query = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      if (pair === '') return pair;
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      const shown = SHOWN.has(decodedName(name));
      // A piece without `=` may be a bare credential (`?<token>`) as well as a flag.
      if (eq === -1) return shown ? pair : REDACTED;
      if (name.length > MAX_NAME) return REDACTED;
      return shown ? pair : `${name}=${REDACTED}`;
    })
    .join('&');
  return `${path}?${query}`;
}

/** `%69nput` and `input` are one parameter to the server: compare names as it reads them. */
function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name; // malformed: not a shown name, so its value is hidden
  }
}
