import type { Database } from '@platform/db';
import { sql } from 'drizzle-orm';
import type { SessionPolicy } from './session-policy.ts';

/** A session as its owner sees it: never its token (the id is not a credential). */
export type SessionView = {
  id: string;
  /** The browser or client, as its User-Agent said at sign-in. */
  userAgent: string | null;
  ipAddress: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  /** When it ends if nothing else happens (idle or absolute limit, the sooner). */
  expiresAt: Date;
  /** The session this request came with. */
  current: boolean;
};

/**
 * A person's own sessions (list and revoke) and an organisation's admin revoking a member's.
 * Every statement is scoped by user id (and tenant, for admins) in SQL, so an id belonging to
 * someone else matches nothing. Runs as the auth role; `changed` drops this process's cached
 * identities so a revoked session stops working here at once (elsewhere within
 * SESSION_CACHE_SECONDS).
 */
export type SessionManager = {
  list(userId: string, currentSessionId: string): Promise<SessionView[]>;
  /** False when the user has no such live session. */
  revoke(userId: string, sessionId: string): Promise<boolean>;
  /** Every session of the user but the current one; answers how many ended. */
  revokeOthers(userId: string, currentSessionId: string): Promise<number>;
  /** A member's sessions acting for this organisation (an admin's reach ends at its tenant). */
  revokeInTenant(userId: string, tenantId: string): Promise<number>;
};

type Row = {
  id: string;
  user_agent: string | null;
  ip_address: string | null;
  created_at: Date | string;
  last_seen_at: Date | string;
  ends_at: Date | string;
};

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;
const asDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));

export function createSessionManager(
  db: Database,
  policy: SessionPolicy,
  changed: () => void,
): SessionManager {
  const idle = policy.idleMinutes * 60;
  const absolute = policy.absoluteHours * 3600;
  // The same test liveSession applies: a session past any limit is not listed (and is gone at its next use).
  const alive = sql`expires_at > now()
    and created_at > now() - ${absolute} * interval '1 second'
    and last_seen_at > now() - ${idle} * interval '1 second'`;
  const removed = (result: unknown) => rowsOf<{ id: string }>(result).length;

  return {
    async list(userId, currentSessionId) {
      const rows = rowsOf<Row>(
        await db.withAuth((tx) =>
          tx.execute(sql`
            select id, user_agent, ip_address, created_at, last_seen_at,
                   least(expires_at, created_at + ${absolute} * interval '1 second',
                         last_seen_at + ${idle} * interval '1 second') as ends_at
              from auth_sessions
             where user_id = ${userId} and ${alive}
             order by last_seen_at desc, created_at desc
             limit 200`),
        ),
      );
      return rows.map((r) => ({
        id: r.id,
        userAgent: r.user_agent,
        ipAddress: r.ip_address,
        createdAt: asDate(r.created_at),
        lastSeenAt: asDate(r.last_seen_at),
        expiresAt: asDate(r.ends_at),
        current: r.id === currentSessionId,
      }));
    },
    async revoke(userId, sessionId) {
      const n = removed(
        await db.withAuth((tx) =>
          tx.execute(sql`
            delete from auth_sessions where id = ${sessionId} and user_id = ${userId} and ${alive}
            returning id`),
        ),
      );
      if (n) changed();
      return n > 0;
    },
    async revokeOthers(userId, currentSessionId) {
      const n = removed(
        await db.withAuth((tx) =>
          tx.execute(sql`
            delete from auth_sessions where user_id = ${userId} and id <> ${currentSessionId}
            returning id`),
        ),
      );
      if (n) changed();
      return n;
    },
    async revokeInTenant(userId, tenantId) {
      const n = removed(
        await db.withAuth((tx) =>
          tx.execute(sql`
            delete from auth_sessions where user_id = ${userId} and active_tenant_id = ${tenantId}
            returning id`),
        ),
      );
      if (n) changed();
      return n;
    },
  };
}
