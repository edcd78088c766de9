import { type Database, schema, type Tx } from '@platform/db';
import { and, eq, inArray, ne, or, sql } from 'drizzle-orm';
import { DELETED_USER } from './queue.ts';

/**
 * Erasing a person (GDPR art. 17). Every column that names a user, and what happens to it:
 *
 * Global identity (auth role), deleted with the users row:
 *   users                         the row is deleted (name, email, lockout state)
 *   accounts.user_id              deleted by cascade (password hash, OAuth tokens)
 *   auth_sessions.user_id         deleted by cascade (IP addresses, user agents)
 *   two_factors.user_id           deleted by cascade (TOTP secret, recovery codes)
 *   verification_tokens           rows naming their email or id deleted explicitly (no FK)
 *
 * In every organisation whose rows name them, whether they still belong to it or left it
 * before asking (found by platform_tenants_naming_user; runtime role, that tenant's transaction):
 *   memberships.user_id           deleted
 *   messages.author_user_id       set null, author_name 'Deleted user': transcripts are kept,
 *                                 anonymised (the text stays: it is the organisation's record)
 *   messages.content (system)     platform notes naming them ("<name> joined the conversation.")
 *                                 get 'Deleted user' instead; so do chat_sessions
 *                                 .last_message_preview and .summary
 *   chat_sessions.user_id         set null (the conversation stays, without its starter)
 *   chat_sessions.assigned_*      id set null, name 'Deleted user'
 *   meetings.created_by           set null
 *   api_keys.created_by           set null, and the keys revoked (a key acts for its creator)
 *   ai_personality_versions.created_by, provider_credentials.created_by,
 *   budgets.updated_by, budget_alerts.acknowledged_by
 *                                 set null (no foreign key, so no cascade would)
 *   data_requests.user_id / requested_by
 *                                 set null by the foreign key when the user row goes; their
 *                                 other requests are cancelled and export archives deleted
 *   membership_removals           rows about them (their name and email, kept by the
 *                                 organisations that removed them) deleted by cascade with
 *                                 the users row; removed_by set null
 *
 * Kept on purpose:
 *   audit_logs.actor_user_id / resource_id, ip_address, user_agent: append-only (the runtime
 *   cannot UPDATE or DELETE them). Once the users row is gone the id names nobody (it is a
 *   random UUID, pseudonymous), and the entries are kept for the organisation's security
 *   record (legitimate interest; GDPR art. 17(3)(e), ASVS V7) until AUDIT_RETENTION_DAYS
 *   purges them. No entry's metadata carries a name or email address.
 *   cost_events, routing_decisions: no user column.
 *
 * Every step is idempotent (updates by the old id, deletes), so a job that crashed half-way
 * completes the erasure when it runs again.
 */

export type ErasedPerson = { id: string; name: string };

/** Shorter names are not replaced inside text: too likely to hit ordinary words. */
const MIN_NAME_IN_TEXT = 3;

/** Erasing the person now would leave an organisation without an owner. */
export class LastOwnerError extends Error {}

/**
 * Locks the organisation's owner rows (in id order, as role changes do) and refuses if the
 * person is its only owner. The check the request made earlier is not enough: two owners of
 * one organisation whose erasures run at the same instant (from different organisations'
 * queues) would each see the other and both leave. Under the locks the second waits for the
 * first to commit, then sees one owner fewer.
 */
async function assertAnotherOwner(tx: Tx, tenantId: string, userId: string) {
  const ms = schema.memberships;
  const owners = await tx
    .select({ userId: ms.userId })
    .from(ms)
    .where(and(eq(ms.tenantId, tenantId), eq(ms.role, 'owner')))
    .orderBy(ms.id)
    .for('update');
  if (owners.some((o) => o.userId === userId) && owners.length <= 1) throw new LastOwnerError();
}

/**
 * The organisations whose rows name the person: where they are a member, and also where they
 * wrote, started, were assigned or created something and have since left (see
 * platform_tenants_naming_user, migrations 0011 and 0014). Asked in the request's own tenant,
 * while `requestId` (an erasure or an export of the person) is processing; for an erasure,
 * before the users row (and with it the foreign keys that lead here) is gone.
 */
export async function tenantsNaming(
  db: Database,
  tenantId: string,
  userId: string,
  requestId: string,
): Promise<string[]> {
  const result = await db.withTenant(tenantId, (tx) =>
    tx.execute(
      sql`select tenant_id from platform_tenants_naming_user(${userId}::uuid, ${requestId}::uuid)`,
    ),
  );
  return (result as unknown as { rows: { tenant_id: string }[] }).rows.map((r) => r.tenant_id);
}

/**
 * Anonymises the person in one organisation; answers the ids of the API keys it revoked.
 * Throws LastOwnerError, changing nothing, if they are that organisation's last owner.
 */
export async function anonymiseInTenant(
  tx: Tx,
  tenantId: string,
  person: ErasedPerson,
  keepRequestId: string,
): Promise<string[]> {
  const uid = person.id;
  await assertAnotherOwner(tx, tenantId, uid);
  const m = schema.messages;
  const c = schema.chatSessions;
  await tx
    .update(m)
    .set({ authorUserId: null, authorName: DELETED_USER })
    .where(and(eq(m.tenantId, tenantId), eq(m.authorUserId, uid)));
  if (person.name.length >= MIN_NAME_IN_TEXT && person.name !== DELETED_USER) {
    const name = person.name;
    await tx
      .update(m)
      .set({ content: sql`replace(${m.content}, ${name}, ${DELETED_USER})` })
      .where(
        and(
          eq(m.tenantId, tenantId),
          eq(m.authorType, 'system'),
          sql`strpos(${m.content}, ${name}) > 0`,
        ),
      );
    await tx
      .update(c)
      .set({
        lastMessagePreview: sql`replace(${c.lastMessagePreview}, ${name}, ${DELETED_USER})`,
        summary: sql`replace(${c.summary}, ${name}, ${DELETED_USER})`,
      })
      .where(
        and(
          eq(c.tenantId, tenantId),
          or(
            sql`strpos(${c.lastMessagePreview}, ${name}) > 0`,
            sql`strpos(${c.summary}, ${name}) > 0`,
          ),
        ),
      );
  }
  await tx
    .update(c)
    .set({ userId: null })
    .where(and(eq(c.tenantId, tenantId), eq(c.userId, uid)));
  await tx
    .update(c)
    .set({ assignedUserId: null, assignedName: DELETED_USER })
    .where(and(eq(c.tenantId, tenantId), eq(c.assignedUserId, uid)));
  const g = schema.meetings;
  await tx
    .update(g)
    .set({ createdBy: null })
    .where(and(eq(g.tenantId, tenantId), eq(g.createdBy, uid)));
  const k = schema.apiKeys;
  const keys = await tx
    .update(k)
    .set({ createdBy: null, revokedAt: sql`coalesce(${k.revokedAt}, now())` })
    .where(and(eq(k.tenantId, tenantId), eq(k.createdBy, uid)))
    .returning({ id: k.id });
  const pv = schema.aiPersonalityVersions;
  await tx
    .update(pv)
    .set({ createdBy: null })
    .where(and(eq(pv.tenantId, tenantId), eq(pv.createdBy, uid)));
  const pc = schema.providerCredentials;
  await tx
    .update(pc)
    .set({ createdBy: null })
    .where(and(eq(pc.tenantId, tenantId), eq(pc.createdBy, uid)));
  const b = schema.budgets;
  await tx
    .update(b)
    .set({ updatedBy: null })
    .where(and(eq(b.tenantId, tenantId), eq(b.updatedBy, uid)));
  const ba = schema.budgetAlerts;
  await tx
    .update(ba)
    .set({ acknowledgedBy: null })
    .where(and(eq(ba.tenantId, tenantId), eq(ba.acknowledgedBy, uid)));
  const r = schema.dataRequests;
  const theirs = and(
    eq(r.tenantId, tenantId),
    eq(r.scope, 'user'),
    eq(r.userId, uid),
    ne(r.id, keepRequestId),
  );
  await tx
    .update(r)
    .set({ status: 'cancelled', cancelledAt: new Date() })
    .where(and(theirs, inArray(r.status, ['pending', 'scheduled'])));
  await tx
    .update(r)
    .set({ archive: null })
    .where(and(theirs, sql`${r.archive} is not null`));
  const ms = schema.memberships;
  await tx.delete(ms).where(and(eq(ms.tenantId, tenantId), eq(ms.userId, uid)));
  return keys.map((key) => key.id);
}

/**
 * Deletes the person's identity (auth role): verification tokens naming them, then the users
 * row, whose foreign keys delete their accounts, sessions, 2FA and remaining memberships and
 * set their id to null wherever else it is referenced. Answers whether a row was deleted.
 */
export async function deleteIdentity(db: Database, userId: string): Promise<boolean> {
  return db.withAuth(async (tx) => {
    const u = schema.users;
    const [user] = await tx.select({ email: u.email }).from(u).where(eq(u.id, userId));
    if (!user) return false;
    const v = schema.verificationTokens;
    await tx
      .delete(v)
      .where(
        or(
          sql`strpos(${v.identifier}, ${user.email}) > 0`,
          sql`strpos(${v.value}, ${user.email}) > 0`,
          sql`strpos(${v.identifier}, ${userId}) > 0`,
          sql`strpos(${v.value}, ${userId}) > 0`,
        ),
      );
    const deleted = await tx.delete(u).where(eq(u.id, userId)).returning({ id: u.id });
    return deleted.length > 0;
  });
}

/** The person's name, as the users row holds it (null once erased). */
export async function personOf(db: Database, userId: string): Promise<ErasedPerson | null> {
  return db.withAuth(async (tx) => {
    const u = schema.users;
    const [row] = await tx.select({ id: u.id, name: u.name }).from(u).where(eq(u.id, userId));
    return row ?? null;
  });
}
