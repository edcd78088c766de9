import { enqueueJob, schema, type Tx } from '@platform/db';
import { and, desc, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import { DomainError } from '../errors.ts';
import type { MemberRole } from '../procedures.ts';
import { PRIVACY_MAX_ATTEMPTS, PRIVACY_QUEUE, type PrivacyJobPayload } from './queue.ts';

const r = schema.dataRequests;

/** Every column a requester or admin may see: never the archive itself, only its size. */
export const requestColumns = {
  id: r.id,
  type: r.type,
  scope: r.scope,
  status: r.status,
  userId: r.userId,
  requestedBy: r.requestedBy,
  requestedAt: r.requestedAt,
  dueAt: r.dueAt,
  cancelledAt: r.cancelledAt,
  completedAt: r.completedAt,
  archiveExpiresAt: r.archiveExpiresAt,
  error: r.error,
  archiveBytes: sql<number | null>`octet_length(${r.archive})`.mapWith((v) =>
    v === null ? null : Number(v),
  ),
};

export type RequestRow = {
  id: string;
  type: 'export' | 'deletion';
  scope: 'user' | 'tenant';
  status: (typeof schema.dataRequestStatuses)[number];
  userId: string | null;
  requestedBy: string | null;
  requestedAt: Date;
  dueAt: Date | null;
  cancelledAt: Date | null;
  completedAt: Date | null;
  archiveExpiresAt: Date | null;
  error: string | null;
  archiveBytes: number | null;
};

export type RequestView = RequestRow & {
  /** Where the archive downloads from (a GET with the session cookie), while it is there. */
  downloadUrl: string | null;
};

export const exportUrl = (id: string) => `/api/v1/privacy/exports/${id}`;

export function requestView(row: RequestRow, now = new Date()): RequestView {
  const downloadable =
    row.type === 'export' &&
    row.status === 'completed' &&
    row.archiveBytes !== null &&
    (!row.archiveExpiresAt || row.archiveExpiresAt.getTime() > now.getTime());
  return { ...row, downloadUrl: downloadable ? exportUrl(row.id) : null };
}

/** Requests in the tenant matching `where`, newest first. */
export function listRequests(tx: Tx, tenantId: string, where: SQL | undefined, limit: number) {
  return tx
    .select(requestColumns)
    .from(r)
    .where(and(eq(r.tenantId, tenantId), where))
    .orderBy(desc(r.requestedAt), desc(r.id))
    .limit(limit) as Promise<RequestRow[]>;
}

const enqueue = (tx: Tx, tenantId: string, requestId: string, runAt?: Date) =>
  enqueueJob(tx, tenantId, {
    queue: PRIVACY_QUEUE,
    payload: { requestId, step: 'run' } satisfies PrivacyJobPayload,
    maxAttempts: PRIVACY_MAX_ATTEMPTS,
    ...(runAt ? { runAt } : {}),
  });

/** The same subject's request of this kind that is still open, if any. */
async function openRequest(
  tx: Tx,
  tenantId: string,
  kind: { type: 'export' | 'deletion'; scope: 'user' | 'tenant'; userId: string | null },
): Promise<RequestRow | undefined> {
  const [row] = await listRequests(
    tx,
    tenantId,
    and(
      eq(r.type, kind.type),
      eq(r.scope, kind.scope),
      kind.userId ? eq(r.userId, kind.userId) : isNull(r.userId),
      inArray(r.status, ['pending', 'scheduled', 'processing']),
    ),
    1,
  );
  return row;
}

/**
 * An export of one person's data (scope user) or of the whole organisation (scope tenant),
 * queued at once. Asking again while one is still being built answers that one.
 */
export async function createExport(
  tx: Tx,
  tenantId: string,
  input: { scope: 'user' | 'tenant'; userId: string | null; requestedBy: string },
): Promise<{ request: RequestRow; created: boolean }> {
  const kind = { type: 'export' as const, scope: input.scope, userId: input.userId };
  const open = await openRequest(tx, tenantId, kind);
  if (open) return { request: open, created: false };
  const [row] = await tx
    .insert(r)
    .values({ tenantId, ...kind, status: 'pending', requestedBy: input.requestedBy })
    .returning(requestColumns);
  if (!row) throw new Error('createExport: insert returned no row');
  await enqueue(tx, tenantId, row.id);
  return { request: row as RequestRow, created: true };
}

/**
 * A deletion due at `dueAt` (the end of the grace period), its job queued for then. Asking
 * again while one is scheduled answers that one (the grace period does not restart).
 */
export async function scheduleDeletion(
  tx: Tx,
  tenantId: string,
  input: { scope: 'user' | 'tenant'; userId: string | null; requestedBy: string; dueAt: Date },
): Promise<{ request: RequestRow; created: boolean }> {
  const kind = { type: 'deletion' as const, scope: input.scope, userId: input.userId };
  const open = await openRequest(tx, tenantId, kind);
  if (open) return { request: open, created: false };
  const [row] = await tx
    .insert(r)
    .values({
      tenantId,
      ...kind,
      status: 'scheduled',
      requestedBy: input.requestedBy,
      dueAt: input.dueAt,
    })
    .returning(requestColumns);
  if (!row) throw new Error('scheduleDeletion: insert returned no row');
  await enqueue(tx, tenantId, row.id, input.dueAt);
  return { request: row as RequestRow, created: true };
}

/**
 * Cancels a scheduled deletion. A person's own deletion only they can cancel; the
 * organisation's, only an owner. The row is locked, so a job starting the deletion at the same
 * moment either sees `cancelled` (and does nothing) or has already moved it to `processing`
 * (and this answers CONFLICT): never both.
 */
export async function cancelDeletion(
  tx: Tx,
  tenantId: string,
  id: string,
  caller: { userId: string; role: MemberRole },
): Promise<{ request: RequestRow; changed: boolean }> {
  const [row] = (await tx
    .select(requestColumns)
    .from(r)
    .where(and(eq(r.tenantId, tenantId), eq(r.id, id), eq(r.type, 'deletion')))
    .for('update')) as RequestRow[];
  const admin = caller.role === 'owner' || caller.role === 'admin';
  if (!row) throw new DomainError('NOT_FOUND', 'Deletion request not found', 'id');
  if (row.scope === 'user' && row.userId !== caller.userId) {
    // Admins see members' requests (privacy.tenantRequests), so they are told why.
    if (!admin) throw new DomainError('NOT_FOUND', 'Deletion request not found', 'id');
    throw new DomainError('FORBIDDEN', 'Only the person themself can cancel their deletion', 'id');
  }
  if (row.scope === 'tenant' && caller.role !== 'owner') {
    if (!admin) throw new DomainError('NOT_FOUND', 'Deletion request not found', 'id');
    throw new DomainError(
      'FORBIDDEN',
      "Only an owner can cancel the organisation's deletion",
      'id',
    );
  }
  if (row.status === 'cancelled') return { request: row, changed: false };
  if (row.status !== 'scheduled')
    throw new DomainError(
      'CONFLICT',
      `This deletion can no longer be cancelled: it is ${row.status}`,
      'id',
    );
  const [cancelled] = (await tx
    .update(r)
    .set({ status: 'cancelled', cancelledAt: new Date() })
    .where(and(eq(r.tenantId, tenantId), eq(r.id, id)))
    .returning(requestColumns)) as RequestRow[];
  if (!cancelled) throw new Error('cancelDeletion: update returned no row');
  return { request: cancelled, changed: true };
}
