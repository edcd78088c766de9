/**
 * The Redis Streams layout shared by the bus's parts: key names, entry encoding, reply parsing
 * (replies are read as `unknown` and checked, never trusted) and error classification.
 */
import type { EventId } from '../event-id.ts';
import type { BusEvent, EventType, NewEvent, Topic } from '../events.ts';

/** One stream per tenant; the braces are a Cluster hash tag, so a tenant's keys share a slot. */
export const streamKey = (tenantId: string): string => `rt:{${tenantId}}`;

/** Events nobody needs after the moment passes: the first to go when the outbox is full. */
export const EPHEMERAL_TYPES: ReadonlySet<EventType> = new Set([
  'message.delta',
  'typing',
  'presence',
]);

export function encodeEvent(event: NewEvent): string {
  return JSON.stringify({ topic: event.topic, type: event.type, data: event.data });
}

export interface StreamEntry {
  id: EventId;
  /** Null when the entry was deleted (trimmed) while pending. */
  fields: string[] | null;
}

/** The entry as a BusEvent, or null when its `e` field is missing or not the JSON we write. */
export function decodeEntry(tenantId: string, entry: StreamEntry): BusEvent | null {
  const fields = entry.fields;
  if (!fields) return null;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] !== 'e') continue;
    try {
      const value: unknown = JSON.parse(fields[i + 1] ?? '');
      if (!isRecord(value)) return null;
      const { topic, type, data } = value;
      if (typeof topic !== 'string' || typeof type !== 'string' || !isRecord(data)) return null;
      return { id: entry.id, tenantId, topic: topic as Topic, type: type as EventType, data };
    } catch {
      return null;
    }
  }
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isString = (value: unknown): value is string => typeof value === 'string';

/** `[[id, [field, value, ...]], ...]` (XRANGE, and each stream of XREADGROUP/XAUTOCLAIM). */
export function parseEntries(raw: unknown): StreamEntry[] {
  if (!Array.isArray(raw)) return [];
  const out: StreamEntry[] = [];
  for (const item of raw) {
    if (!Array.isArray(item) || !isString(item[0])) continue;
    const fields: unknown = item[1];
    out.push({
      id: item[0],
      fields: Array.isArray(fields) && fields.every(isString) ? fields : null,
    });
  }
  return out;
}

/** XREADGROUP: `[[key, entries], ...]`, or null when BLOCK timed out (or was unblocked). */
export function parseReadReply(raw: unknown): { key: string; entries: StreamEntry[] }[] {
  if (!Array.isArray(raw)) return [];
  const out: { key: string; entries: StreamEntry[] }[] = [];
  for (const item of raw) {
    if (Array.isArray(item) && isString(item[0]))
      out.push({ key: item[0], entries: parseEntries(item[1]) });
  }
  return out;
}

/** XAUTOCLAIM: `[nextStart, entries, deletedIds]`. */
export function parseClaimReply(raw: unknown): { next: string; entries: StreamEntry[] } {
  if (!Array.isArray(raw) || !isString(raw[0])) return { next: '0-0', entries: [] };
  return { next: raw[0], entries: parseEntries(raw[1]) };
}

/** XINFO GROUPS / CONSUMERS: a list of flat `[name, value, ...]` records. */
export function parseInfoRecords(raw: unknown): Map<string, unknown>[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(Array.isArray).map((flat: unknown[]) => {
    const record = new Map<string, unknown>();
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const name = flat[i];
      if (isString(name)) record.set(name, flat[i + 1]);
    }
    return record;
  });
}

/** An error Redis answered with (as opposed to the connection failing). */
export function isReplyError(err: unknown): err is Error {
  return err instanceof Error && err.name === 'ReplyError';
}

export function replyCode(err: unknown): string | null {
  return isReplyError(err) ? (err.message.split(' ', 1)[0] ?? null) : null;
}

/**
 * A reply error that retrying will not fix (the key holds another type, a malformed command).
 * Everything else (connection loss, LOADING, OOM, READONLY during a failover) is worth retrying.
 */
export function isPermanentError(err: unknown): boolean {
  const code = replyCode(err);
  return code === 'WRONGTYPE' || code === 'ERR';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface BusLog {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
}

export const MIN_BACKOFF_MS = 100;
export const MAX_BACKOFF_MS = 2000;
export const nextBackoff = (ms: number): number => Math.min(ms * 2, MAX_BACKOFF_MS);

/** Backoff pauses that a reconnect (retry now) or close() can cut short. */
export class Pauses {
  readonly #waiting = new Set<() => void>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiting.add(done);
    });
  }

  wakeAll(): void {
    for (const done of [...this.#waiting]) done();
  }
}
