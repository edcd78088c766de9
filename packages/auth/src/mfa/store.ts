import { type Database, schema, type Tx } from '@platform/db';
import { and, eq, isNull, lt, lte, ne, or, sql } from 'drizzle-orm';
import { recoveryCodesLeft } from './recovery-codes.ts';

const tf = schema.twoFactors;

/** Wrong codes in a row that lock the second factor, and for how long. */
export type MfaLockout = { threshold: number; minutes: number };

export type TwoFactorRow = {
  id: string;
  secret: string;
  verified: boolean;
  lockedUntil: Date | null;
};

/** The user's TOTP enrolment (pending or confirmed), if any. Auth-role transaction. */
export async function twoFactorOf(tx: Tx, userId: string): Promise<TwoFactorRow | null> {
  const [row] = await tx
    .select({ id: tf.id, secret: tf.secret, verified: tf.verified, lockedUntil: tf.lockedUntil })
    .from(tf)
    .where(eq(tf.userId, userId))
    .limit(1);
  return row ?? null;
}

/**
 * Records `step` as the newest accepted one, unless it (or a later one) already was: a
 * conditional UPDATE, so of two requests racing with the same code exactly one wins.
 */
export async function claimStep(tx: Tx, twoFactorId: string, step: number): Promise<boolean> {
  const rows = await tx
    .update(tf)
    .set({ lastUsedStep: step })
    .where(and(eq(tf.id, twoFactorId), or(isNull(tf.lastUsedStep), lt(tf.lastUsedStep, step))))
    .returning({ id: tf.id });
  return rows.length === 1;
}

/** When the second factor is locked, or null; an expired lock is cleared (with its count). */
export async function lockedUntil(tx: Tx, row: TwoFactorRow): Promise<Date | null> {
  if (!row.lockedUntil) return null;
  if (row.lockedUntil.getTime() > Date.now()) return row.lockedUntil;
  await tx
    .update(tf)
    .set({ failedVerificationCount: 0, lockedUntil: null })
    .where(and(eq(tf.id, row.id), lte(tf.lockedUntil, new Date())));
  return null;
}

/** One more wrong code; the threshold-th in a row locks the factor (atomic increment). */
export async function recordFailure(tx: Tx, twoFactorId: string, lockout: MfaLockout) {
  const [row] = await tx
    .update(tf)
    .set({
      failedVerificationCount: sql`${tf.failedVerificationCount} + 1`,
      lockedUntil: sql`case when ${tf.failedVerificationCount} + 1 >= ${lockout.threshold}
        then now() + ${lockout.minutes} * interval '1 minute' else ${tf.lockedUntil} end`,
    })
    .where(eq(tf.id, twoFactorId))
    .returning({ count: tf.failedVerificationCount, lockedUntil: tf.lockedUntil });
  return row;
}

export async function resetFailures(tx: Tx, twoFactorId: string): Promise<void> {
  await tx
    .update(tf)
    .set({ failedVerificationCount: 0, lockedUntil: null })
    .where(eq(tf.id, twoFactorId));
}

/** Ends every session of the user but `keepSessionId` (the one the change was made in). */
export async function revokeOtherSessions(
  tx: Tx,
  userId: string,
  keepSessionId: string | null,
): Promise<number> {
  const s = schema.authSessions;
  const rows = await tx
    .delete(s)
    .where(
      keepSessionId ? and(eq(s.userId, userId), ne(s.id, keepSessionId)) : eq(s.userId, userId),
    )
    .returning({ id: s.id });
  return rows.length;
}

export async function recoveryCodesLeftOf(tx: Tx, userId: string): Promise<number> {
  const [row] = await tx
    .select({ codes: tf.backupCodes })
    .from(tf)
    .where(eq(tf.userId, userId))
    .limit(1);
  return recoveryCodesLeft(row?.codes);
}

/** A person's second-factor state, for the account page (never the secret or the codes). */
export type MfaState = {
  /** Sign-in asks for a code. */
  enabled: boolean;
  /** An enrolment was started and awaits its first code. */
  pending: boolean;
  recoveryCodesLeft: number;
  /** Too many wrong codes: refused until then. */
  lockedUntil: Date | null;
};

export async function mfaState(db: Database, userId: string): Promise<MfaState> {
  return db.withAuth(async (tx) => {
    const [user] = await tx
      .select({ enabled: schema.users.twoFactorEnabled })
      .from(schema.users)
      .where(eq(schema.users.id, userId));
    const [row] = await tx
      .select({ verified: tf.verified, codes: tf.backupCodes, lockedUntil: tf.lockedUntil })
      .from(tf)
      .where(eq(tf.userId, userId))
      .limit(1);
    const enabled = Boolean(user?.enabled && row?.verified);
    return {
      enabled,
      pending: Boolean(row && !row.verified),
      recoveryCodesLeft: enabled ? recoveryCodesLeft(row?.codes) : 0,
      lockedUntil:
        row?.lockedUntil && row.lockedUntil.getTime() > Date.now() ? row.lockedUntil : null,
    };
  });
}
