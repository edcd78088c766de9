/**
 * Event ids have the Redis stream id shape, `<milliseconds>-<sequence>`: Redis assigns them on
 * XADD and the in-process bus mints them the same way, so a client's `lastEventId` means the same
 * on either bus, and its time part lets the database fill a gap the stream no longer covers.
 */
export type EventId = string;

const EVENT_ID = /^(\d{1,15})-(\d{1,15})$/;

export function isEventId(value: string): boolean {
  return EVENT_ID.test(value);
}

function parts(id: EventId): [number, number] {
  const m = EVENT_ID.exec(id);
  if (!m) throw new Error(`not an event id: ${id}`);
  return [Number(m[1]), Number(m[2])];
}

/** Negative when a is older than b, zero when equal, positive when newer. */
export function compareEventIds(a: EventId, b: EventId): number {
  const [am, as] = parts(a);
  const [bm, bs] = parts(b);
  return am !== bm ? am - bm : as - bs;
}

/** The time an event id was minted, in milliseconds since the epoch. */
export function eventIdTime(id: EventId): number {
  return parts(id)[0];
}

/** Mints strictly increasing ids in this process (the in-process bus's XADD `*`). */
export class EventIdClock {
  #ms = 0;
  #seq = 0;

  next(now = Date.now()): EventId {
    if (now > this.#ms) {
      this.#ms = now;
      this.#seq = 0;
    } else this.#seq++;
    return `${this.#ms}-${this.#seq}`;
  }
}
