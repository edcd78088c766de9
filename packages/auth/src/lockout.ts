import { createHmac } from 'node:crypto';
import type { Tx } from '@platform/db';
import { APIError } from 'better-auth/api';
import { type SQL, sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';

/**
 * Account lockout (ASVS V2.2.1): LOCKOUT_THRESHOLD wrong passwords in a row lock an account
 * for LOCKOUT_MINUTES, during which even the right password is refused.
 *
 * An attempt is counted *before* its password is checked (a reservation), in one row-locking
 * UPDATE ... RETURNING, so a burst of parallel guesses cannot all slip past the threshold
 * while their hashes are being verified. The attempt that reaches the threshold starts the
 * lock and still gets its answer; every later one is refused unchecked. A right password
 * clears count and lock; an attempt that ended without a verdict (hasher busy) is handed back.
 * Sign-in and every endpoint that asks a signed-in person for their current password
 * (password-guard.ts) count toward the same lock: a stolen session cookie is no oracle.
 *
 * Unknown emails go through the same arithmetic in an AttemptStore (memory, or Redis shared by
 * every instance), keyed by an HMAC of the email, so "locked" never tells whether an account
 * exists.
 */
export type LockoutPolicy = { threshold: number; minutes: number };

export type Reservation =
  | { kind: 'proceed'; userId: string | null; count: number }
  | { kind: 'locked'; retryAfterSeconds: number };

type Row = { id: string; count: number; retry_after: number | null };
const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

/** Which account an attempt is about: a sign-in names an email, a signed-in request a user id. */
export type AccountMatch = { email: string } | { userId: string };
const matching = (account: AccountMatch): SQL =>
  'email' in account ? sql`email = ${account.email}` : sql`id = ${account.userId}`;

/**
 * Counts one password attempt against the account (by lower-case email, or by id for a
 * signed-in request re-entering its password), if it exists.
 */
export async function reserveAccountAttempt(
  tx: Tx,
  account: AccountMatch,
  policy: LockoutPolicy,
): Promise<Reservation | null> {
  const lockSeconds = Math.round(policy.minutes * 60);
  // An expired lock starts a fresh count; a live one is left as it is (refusals do not extend it).
  const [row] = rowsOf<Row>(
    await tx.execute(sql`
      update users set
        failed_sign_ins = case when locked_until <= now() then 1 else failed_sign_ins + 1 end,
        locked_until = case
          when locked_until > now() then locked_until
          when (case when locked_until <= now() then 1 else failed_sign_ins + 1 end) >= ${policy.threshold}
            then now() + ${lockSeconds} * interval '1 second'
          else null end
      where ${matching(account)}
      returning id, failed_sign_ins as count,
        ceil(extract(epoch from (locked_until - now())))::int as retry_after`),
  );
  if (!row) return null;
  return verdict(row.count, row.retry_after ?? 0, policy, row.id);
}

/** A right password: the count starts again and any lock is lifted. */
export async function clearAccountAttempts(tx: Tx, userId: string): Promise<void> {
  await tx.execute(sql`
    update users set failed_sign_ins = 0, locked_until = null
     where id = ${userId} and (failed_sign_ins <> 0 or locked_until is not null)`);
}

/**
 * An attempt that got no verdict on its password does not count (nor does the lock it started,
 * if it did). False when no such account exists.
 */
export async function releaseAccountAttempt(
  tx: Tx,
  account: AccountMatch,
  policy: LockoutPolicy,
): Promise<boolean> {
  const rows = rowsOf<{ id: string }>(
    await tx.execute(sql`
      update users set
        failed_sign_ins = greatest(failed_sign_ins - 1, 0),
        locked_until = case when failed_sign_ins - 1 < ${policy.threshold} then null else locked_until end
       where ${matching(account)}
       returning id`),
  );
  return rows.length > 0;
}

function verdict(
  count: number,
  retryAfterSeconds: number,
  policy: LockoutPolicy,
  userId: string | null,
): Reservation {
  return count > policy.threshold
    ? { kind: 'locked', retryAfterSeconds: Math.max(1, retryAfterSeconds) }
    : { kind: 'proceed', userId, count };
}

/**
 * The answer while an account is locked, wherever its password was asked for: the same for a
 * locked account and a hammered unknown email.
 */
export function lockedError(retryAfterSeconds: number): APIError {
  return new APIError(
    'TOO_MANY_REQUESTS',
    { code: 'TOO_MANY_ATTEMPTS', message: 'Too many wrong passwords; try again later' },
    { 'retry-after': String(retryAfterSeconds) },
  );
}

/**
 * Attempt counters for emails with no account. `attempt` adds one and answers the new count
 * and the seconds until the key is forgotten; at the threshold that becomes the lock's length.
 */
export interface AttemptStore {
  attempt(
    key: string,
    threshold: number,
    lockSeconds: number,
  ): Promise<{ count: number; ttlSeconds: number }>;
  /** Hands back an attempt that got no verdict (and the lock it started, if any). */
  release(key: string, threshold: number): Promise<void>;
}

/** Before the threshold an unknown email's count is kept this long (an account's never expires). */
export const ATTEMPT_WINDOW_SECONDS = 24 * 60 * 60;

/** In-process counters (one instance, or no Redis); bounded so a spray of emails cannot grow it. */
export function memoryAttemptStore(max = 100_000): AttemptStore {
  type Entry = { n: number; locked: boolean; expiresAt: number };
  const counts = new LRUCache<string, Entry>({ max });
  // From the `now` the caller read: a second clock read could answer a TTL 1 s over the window.
  const window = (now: number) => now + ATTEMPT_WINDOW_SECONDS * 1000;
  return {
    async attempt(key, threshold, lockSeconds) {
      const now = Date.now();
      let entry = counts.get(key);
      if (!entry || entry.expiresAt <= now) entry = { n: 0, locked: false, expiresAt: window(now) };
      entry.n += 1;
      if (entry.n >= threshold && !entry.locked) {
        entry.locked = true;
        entry.expiresAt = now + lockSeconds * 1000;
      }
      counts.set(key, entry);
      return { count: entry.n, ttlSeconds: Math.ceil((entry.expiresAt - now) / 1000) };
    },
    async release(key, threshold) {
      const entry = counts.get(key);
      if (!entry || entry.expiresAt <= Date.now() || entry.n === 0) return;
      entry.n -= 1;
      if (entry.locked && entry.n < threshold) {
        entry.locked = false;
        entry.expiresAt = window(Date.now());
      }
    },
  };
}

/** The store key of an email: an HMAC, so neither memory nor Redis holds the address. */
export const attemptKey = (secret: string, email: string) =>
  createHmac('sha256', secret).update(`sign-in:${email}`).digest('hex');

/** Counts one attempt against an email that has no account, with the same verdicts. */
export async function reserveUnknownAttempt(
  store: AttemptStore,
  key: string,
  policy: LockoutPolicy,
): Promise<Reservation> {
  const { count, ttlSeconds } = await store.attempt(
    key,
    policy.threshold,
    Math.round(policy.minutes * 60),
  );
  return verdict(count, ttlSeconds, policy, null);
}
