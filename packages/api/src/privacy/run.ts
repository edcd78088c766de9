import {
  appendAudit,
  type ClaimedJob,
  type Database,
  enqueueJob,
  isUuid,
  schema,
} from '@platform/db';
import { and, eq, sql } from 'drizzle-orm';
import type { Log } from '../context.ts';
import { expireArchive, packArchive, storeArchive } from './archive.ts';
import { eraseTenant } from './erase-tenant.ts';
import {
  anonymiseInTenant,
  deleteIdentity,
  LastOwnerError,
  personOf,
  tenantsNaming,
} from './erase-user.ts';
import { buildTenantExport } from './export-tenant.ts';
import { buildUserExport } from './export-user.ts';
import { membershipsOf, soleOwnerships } from './memberships.ts';
import { PRIVACY_MAX_ATTEMPTS, PRIVACY_QUEUE, type PrivacyJobPayload } from './queue.ts';

export type PrivacyDeps = {
  db: Database;
  log: Log;
  exportTtlDays: number;
  /** People were deleted: sessions cached in this process must be looked up again. */
  onUsersDeleted?: () => void;
  /** API keys were revoked: this process stops trusting its cached copies. */
  onApiKeysRevoked?: (keyIds: string[]) => void;
};

const r = schema.dataRequests;

const LAST_OWNER_LATE =
  'By the end of the grace period this person had become the last owner of an organisation; make another member an owner, then ask again';

type Claimed = {
  id: string;
  type: 'export' | 'deletion';
  scope: 'user' | 'tenant';
  userId: string | null;
};

/**
 * Moves a request to `processing` in a transaction holding its row lock, which is what makes
 * a cancellation win: cancelDeletion takes the same lock and only cancels a `scheduled`
 * request, so whichever commits first decides, and a cancelled request is never run. A
 * deletion whose due time is still ahead (the job ran early) is queued again for then. A
 * request already `processing` is a retry after a crash: it runs again from the start.
 */
async function claim(db: Database, tenantId: string, requestId: string): Promise<Claimed | null> {
  return db.withTenant(tenantId, async (tx) => {
    const [row] = await tx
      .select({
        id: r.id,
        type: r.type,
        scope: r.scope,
        status: r.status,
        userId: r.userId,
        dueAt: r.dueAt,
        early: sql<boolean>`coalesce(${r.dueAt} > now(), false)`,
      })
      .from(r)
      .where(and(eq(r.tenantId, tenantId), eq(r.id, requestId)))
      .for('update');
    if (!row) return null;
    if (row.status !== 'pending' && row.status !== 'scheduled' && row.status !== 'processing')
      return null;
    if (row.type === 'deletion' && row.status === 'scheduled' && row.early && row.dueAt) {
      await enqueueJob(tx, tenantId, {
        queue: PRIVACY_QUEUE,
        payload: { requestId, step: 'run' } satisfies PrivacyJobPayload,
        runAt: row.dueAt,
        maxAttempts: PRIVACY_MAX_ATTEMPTS,
      });
      return null;
    }
    if (row.status !== 'processing')
      await tx
        .update(r)
        .set({ status: 'processing' })
        .where(and(eq(r.tenantId, tenantId), eq(r.id, requestId)));
    return { id: row.id, type: row.type, scope: row.scope, userId: row.userId };
  });
}

/** Ends a request as `failed` with a reason the requester may read, audited. */
async function fail(db: Database, tenantId: string, requestId: string, reason: string) {
  await db.withTenant(tenantId, async (tx) => {
    const [row] = await tx
      .update(r)
      .set({ status: 'failed', error: reason, completedAt: new Date() })
      .where(and(eq(r.tenantId, tenantId), eq(r.id, requestId), eq(r.status, 'processing')))
      .returning({ type: r.type, scope: r.scope, userId: r.userId });
    if (row)
      await appendAudit(tx, tenantId, {
        actorType: 'system',
        action: 'privacy.request_failed',
        resourceType: 'data_request',
        resourceId: requestId,
        metadata: { type: row.type, scope: row.scope, subjectUserId: row.userId, reason },
      });
  });
}

async function exportRequest(deps: PrivacyDeps, tenantId: string, request: Claimed) {
  const archive =
    request.scope === 'tenant'
      ? await buildTenantExport(deps.db, tenantId, request.id)
      : request.userId
        ? await buildUserExport(deps.db, tenantId, request.userId, request.id)
        : null;
  if (!archive) return fail(deps.db, tenantId, request.id, 'The person no longer exists');
  await storeArchive(deps.db, tenantId, request.id, await packArchive(archive), deps.exportTtlDays);
}

/**
 * Erases one person everywhere (see erase-user.ts for each table). Refused, as `failed`, if
 * they have meanwhile become the last owner of an organisation. Once the users row is gone
 * the request's user_id is null (its foreign key), which is how a retry knows it is done.
 */
async function eraseUserRequest(deps: PrivacyDeps, tenantId: string, request: Claimed) {
  const uid = request.userId;
  if (uid) {
    const memberships = await membershipsOf(deps.db, uid);
    const sole = await soleOwnerships(deps.db, memberships);
    // Not naming them: this organisation's admins read the reason too, and the other
    // organisations are none of their business.
    if (sole.length) return fail(deps.db, tenantId, request.id, LAST_OWNER_LATE);
    const person = (await personOf(deps.db, uid)) ?? { id: uid, name: '' };
    // Organisations they own first: if a concurrent erasure made them the last owner of one,
    // the request fails there before any other organisation was changed.
    const owned = memberships.filter((m) => m.role === 'owner').map((m) => m.tenantId);
    const named = await tenantsNaming(deps.db, tenantId, uid, request.id);
    const tenants = new Set([...owned, tenantId, ...memberships.map((m) => m.tenantId), ...named]);
    const revoked: string[] = [];
    try {
      for (const t of tenants)
        revoked.push(
          ...(await deps.db.withTenant(t, (tx) => anonymiseInTenant(tx, t, person, request.id))),
        );
    } catch (error) {
      if (!(error instanceof LastOwnerError)) throw error;
      return fail(deps.db, tenantId, request.id, LAST_OWNER_LATE);
    } finally {
      if (revoked.length) deps.onApiKeysRevoked?.(revoked);
    }
    await deleteIdentity(deps.db, uid);
    deps.onUsersDeleted?.();
  }
  await deps.db.withTenant(tenantId, async (tx) => {
    const [done] = await tx
      .update(r)
      .set({ status: 'completed', completedAt: new Date(), userId: null, requestedBy: null })
      .where(and(eq(r.tenantId, tenantId), eq(r.id, request.id), eq(r.status, 'processing')))
      .returning({ id: r.id });
    if (done)
      await appendAudit(tx, tenantId, {
        actorType: 'system',
        action: 'privacy.deletion_completed',
        resourceType: 'user',
        ...(uid ? { resourceId: uid } : {}),
        metadata: { requestId: request.id, scope: 'user' },
      });
  });
}

/** Erases the organisation; its audit log goes with it (see erase-tenant.ts): the server log records it. */
async function eraseTenantRequest(deps: PrivacyDeps, tenantId: string, request: Claimed) {
  const outcome = await eraseTenant(deps.db, tenantId, request.id);
  if (outcome.usersDeleted) deps.onUsersDeleted?.();
  deps.log.info(
    { action: 'privacy.deletion_completed', tenantId, requestId: request.id, ...outcome },
    'organisation erased',
  );
}

/**
 * The privacy queue's handler. A failure is retried with backoff (the job is durable); on
 * the last attempt the request is marked failed, with a generic reason (the cause goes to the
 * server log only).
 */
export async function runPrivacyJob(deps: PrivacyDeps, job: ClaimedJob): Promise<void> {
  const { requestId, step } = job.payload as Partial<PrivacyJobPayload>;
  if (!isUuid(requestId)) return;
  if (step === 'expire-archive') return expireArchive(deps.db, job.tenantId, requestId);
  const request = await claim(deps.db, job.tenantId, requestId);
  if (!request) return;
  try {
    if (request.type === 'export') await exportRequest(deps, job.tenantId, request);
    else if (request.scope === 'tenant') await eraseTenantRequest(deps, job.tenantId, request);
    else await eraseUserRequest(deps, job.tenantId, request);
  } catch (error) {
    deps.log.error(
      { err: error, requestId, tenantId: job.tenantId, attempt: job.attempt },
      'privacy request failed',
    );
    if (job.attempt >= job.maxAttempts)
      await fail(
        deps.db,
        job.tenantId,
        requestId,
        `The request failed after ${job.attempt} attempts; an operator can see why in the server log`,
      ).catch(() => {});
    throw error;
  }
}
