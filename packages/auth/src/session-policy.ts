import type { Tx } from '@platform/db';
import { sql } from 'drizzle-orm';

/**
 * How long a session lives (OWASP ASVS V3.3 / V7.3): it ends after `idleMinutes` without a
 * request, and `absoluteHours` after sign-in however busy it is. Better Auth's own expiry is
 * set to the absolute limit and never slides, so both layers agree.
 */
export type SessionPolicy = { idleMinutes: number; absoluteHours: number };

/** last_seen_at is kept to the minute: at most one UPDATE a minute per active session. */
export const TOUCH_SECONDS = 60;

/** Changing the sign-in email needs a session this young (a re-authentication). */
export const FRESH_SECONDS = 5 * 60;

export type LiveSession = {
  sessionId: string;
  userId: string;
  tenantId: string | null;
  email: string;
  name: string;
  createdAt: Date;
  /** When this session ends if nothing else happens (idle or absolute limit, the sooner). */
  deadline: Date;
};

type Row = {
  session_id: string;
  user_id: string;
  tenant_id: string | null;
  email: string;
  name: string;
  created_at: Date | string;
  alive: boolean;
  stale: boolean;
  idle_deadline: Date | string;
  absolute_deadline: Date | string;
};

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;
const asDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));

/**
 * The session behind a token if it is alive, read with its user in one query (the database
 * clock decides, so every instance agrees). A session past its expiry, idle or absolute limit
 * is deleted, so Better Auth's get-session agrees; a live one has last_seen_at moved forward
 * when it is more than a minute old. Runs in the caller's auth-role transaction.
 */
export async function liveSession(
  tx: Tx,
  token: string,
  policy: SessionPolicy,
  opts: { touch?: boolean } = {},
): Promise<LiveSession | null> {
  const idle = policy.idleMinutes * 60;
  const absolute = policy.absoluteHours * 3600;
  const [row] = rowsOf<Row>(
    await tx.execute(sql`
      select s.id as session_id, s.user_id, s.active_tenant_id as tenant_id, u.email, u.name,
             s.created_at,
             (s.expires_at > now()
               and s.created_at > now() - ${absolute} * interval '1 second'
               and s.last_seen_at > now() - ${idle} * interval '1 second') as alive,
             s.last_seen_at < now() - ${TOUCH_SECONDS} * interval '1 second' as stale,
             (case when s.last_seen_at < now() - ${TOUCH_SECONDS} * interval '1 second'
                   then now() else s.last_seen_at end) + ${idle} * interval '1 second' as idle_deadline,
             least(s.expires_at, s.created_at + ${absolute} * interval '1 second') as absolute_deadline
        from auth_sessions s join users u on u.id = s.user_id
       where s.token = ${token}`),
  );
  if (!row) return null;
  if (!row.alive) {
    await tx.execute(sql`delete from auth_sessions where id = ${row.session_id}`);
    return null;
  }
  // A check that is not the person's own activity (an open socket's heartbeat) leaves it be.
  if (row.stale && opts.touch !== false)
    await tx.execute(
      sql`update auth_sessions set last_seen_at = now()
           where id = ${row.session_id} and last_seen_at < now() - ${TOUCH_SECONDS} * interval '1 second'`,
    );
  const ends = Math.min(
    asDate(row.idle_deadline).getTime(),
    asDate(row.absolute_deadline).getTime(),
  );
  return {
    sessionId: row.session_id,
    userId: row.user_id,
    tenantId: row.tenant_id,
    email: row.email,
    name: row.name,
    createdAt: asDate(row.created_at),
    deadline: new Date(ends),
  };
}

/**
 * Of these session tokens, the ones whose sessions are alive, in one statement: the heartbeat
 * of every socket an instance holds costs one read however many sockets share a session. The
 * same limits as liveSession, dead sessions deleted likewise, and nothing touched (a heartbeat
 * is not the person's activity). Runs in the caller's auth-role transaction.
 */
export async function liveTokens(
  tx: Tx,
  tokens: readonly string[],
  policy: SessionPolicy,
): Promise<Set<string>> {
  if (tokens.length === 0) return new Set();
  const idle = policy.idleMinutes * 60;
  const absolute = policy.absoluteHours * 3600;
  const list = sql.join(
    tokens.map((t) => sql`${t}`),
    sql`, `,
  );
  const rows = rowsOf<{ token: string; alive: boolean }>(
    await tx.execute(sql`
      with checked as (
        select s.id, s.token,
               (s.expires_at > now()
                 and s.created_at > now() - ${absolute} * interval '1 second'
                 and s.last_seen_at > now() - ${idle} * interval '1 second') as alive
          from auth_sessions s join users u on u.id = s.user_id
         where s.token in (${list})
      ), ended as (
        delete from auth_sessions d using checked c where d.id = c.id and not c.alive
      )
      select token, alive from checked`),
  );
  return new Set(rows.filter((r) => r.alive === true).map((r) => r.token));
}
