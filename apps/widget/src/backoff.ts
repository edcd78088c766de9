/**
 * Reconnect timing and resume bookkeeping, kept free of sockets and timers so they can be
 * tested on their own.
 */

const BASE_MS = 500;
const CAP_MS = 30_000;

/**
 * The wait before reconnect attempt `attempt` (0 first): exponential up to 30 s, with the upper
 * half jittered so a server restart is not met by every widget in the same millisecond.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(CAP_MS, BASE_MS * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

const EVENT_ID = /^(\d{1,15})-(\d{1,15})$/;

/**
 * The newer of two event ids (`<ms>-<seq>`, the server's stream ids). Events can arrive out of
 * id order (a replay from the database, then live ones), and resuming must start after the
 * newest seen, never go back. Anything that is not an event id is ignored.
 */
export function newerEventId(current: string | null, candidate: string): string | null {
  const b = EVENT_ID.exec(candidate);
  if (!b) return current;
  const a = current ? EVENT_ID.exec(current) : null;
  if (!a) return candidate;
  const [am, as, bm, bs] = [a[1], a[2], b[1], b[2]].map(Number) as [number, number, number, number];
  return bm > am || (bm === am && bs > as) ? candidate : current;
}

/**
 * A heartbeat verdict: the server sends `pong` to our `ping` and events; silence for two
 * intervals means the connection is dead even if the browser has not noticed (sleeping laptop,
 * dropped Wi-Fi), so it is closed and reopened.
 */
export function heartbeatAction(now: number, lastHeard: number, intervalMs: number) {
  return now - lastHeard > 2 * intervalMs ? 'reconnect' : 'ping';
}
