import { type Database, schema } from '@platform/db';
import { and, eq, gte, sql } from 'drizzle-orm';
import { DomainError } from '../errors.ts';
import { WIDGET_DEFAULTS } from '../widgets/settings.ts';
import type { WidgetSnapshots } from '../widgets/snapshot.ts';
import type { Actor } from './actor.ts';

type Visitor = Extract<Actor, { kind: 'visitor' }>;

/** Counts in fixed windows: in memory for one instance, in Redis when instances share limits. */
export interface Counters {
  /**
   * Adds one to `key` and returns the new count. A missing key starts at `seed()` (what the
   * database says happened already) and expires after `ttlSeconds`.
   */
  increment(key: string, ttlSeconds: number, seed?: () => Promise<number>): Promise<number>;
}

export function memoryCounters(now = () => Date.now()): Counters {
  const counts = new Map<string, { n: number; expiresAt: number }>();
  return {
    async increment(key, ttlSeconds, seed) {
      const t = now();
      let entry = counts.get(key);
      if (!entry || entry.expiresAt <= t) {
        // Expired windows go as new ones start, so the map holds only current windows.
        for (const [k, e] of counts) if (e.expiresAt <= t) counts.delete(k);
        entry = { n: seed ? await seed() : 0, expiresAt: t + ttlSeconds * 1000 };
        counts.set(key, entry);
      }
      entry.n += 1;
      return entry.n;
    },
  };
}

/**
 * A widget's limits on what its visitors send (set with widgets.update): messages per visitor
 * per minute, per widget per minute, and per widget per UTC day. A send past one is refused
 * with 429 naming the limit, before anything is stored; members and the operator are not
 * limited here. The daily count starts from the messages already stored today, so a restart
 * does not reset it. If the counters fail (Redis unreachable) sends go through: an outage of
 * the limiter must not take the chat down.
 */
export function createVisitorLimits(deps: {
  db: Database;
  counters: Counters;
  widgets: WidgetSnapshots;
  log?: { warn(obj: object, msg: string): void };
}) {
  const limitsOf = async (visitor: Visitor) =>
    (await deps.widgets(visitor.tenantId, visitor.widgetId))?.settings.rateLimits ??
    WIDGET_DEFAULTS.rateLimits;

  const sentToday = (visitor: Visitor, since: Date) => async () => {
    const m = schema.messages;
    const s = schema.chatSessions;
    const [row] = await deps.db.withTenant(visitor.tenantId, (tx) =>
      tx
        .select({ n: sql<number>`count(*)::int` })
        .from(m)
        .innerJoin(s, eq(s.id, m.sessionId))
        .where(
          and(
            eq(s.widgetId, visitor.widgetId),
            eq(m.authorType, 'visitor'),
            gte(m.createdAt, since),
          ),
        ),
    );
    return row?.n ?? 0;
  };

  const refuse = (what: string, limit: number) => {
    throw new DomainError(
      'TOO_MANY_REQUESTS',
      `Too many messages: this chat takes at most ${limit} ${what}; try again later`,
      'text',
    );
  };

  // An outage of the counters or the settings read lets the message through (see above).
  const failOpen = async <T>(visitor: Visitor, run: () => Promise<T>): Promise<T | null> => {
    try {
      return await run();
    } catch (err) {
      deps.log?.warn({ err, widgetId: visitor.widgetId }, 'visitor limits unavailable');
      return null;
    }
  };

  return {
    /** Counts one message from `visitor`, or throws TOO_MANY_REQUESTS (counting stops there). */
    async take(visitor: Visitor, at = new Date()): Promise<void> {
      const limits = await failOpen(visitor, () => limitsOf(visitor));
      if (!limits) return;
      const minute = Math.floor(at.getTime() / 60_000);
      const day = at.toISOString().slice(0, 10);
      const c = deps.counters;
      const w = visitor.widgetId;
      const perVisitor = await failOpen(visitor, () =>
        c.increment(`v:${w}:${visitor.visitorId}:${minute}`, 120),
      );
      if ((perVisitor ?? 0) > limits.perVisitorPerMinute)
        refuse('messages a minute from one visitor', limits.perVisitorPerMinute);
      const perWidget = await failOpen(visitor, () => c.increment(`w:${w}:${minute}`, 120));
      if ((perWidget ?? 0) > limits.perWidgetPerMinute)
        refuse('messages a minute', limits.perWidgetPerMinute);
      const today = await failOpen(visitor, () =>
        c.increment(`d:${w}:${day}`, 2 * 86_400, sentToday(visitor, new Date(`${day}T00:00:00Z`))),
      );
      if ((today ?? 0) > limits.dailyMessageCap) refuse('messages a day', limits.dailyMessageCap);
    },
  };
}

export type VisitorLimits = ReturnType<typeof createVisitorLimits>;
