import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { appendAudit, type Database, enqueueJob, schema } from '@platform/db';
import { and, eq, sql } from 'drizzle-orm';
import { DAY_MS, PRIVACY_MAX_ATTEMPTS, PRIVACY_QUEUE, type PrivacyJobPayload } from './queue.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
const r = schema.dataRequests;

/** The archive format's name and version, first in every export. */
export const ARCHIVE_FORMAT = 'platform.gdpr-export';
export const ARCHIVE_VERSION = 1;

/** Readable JSON (indented: people open these), gzipped for storage and transfer. */
export const packArchive = async (data: unknown): Promise<Buffer> =>
  gzipAsync(Buffer.from(JSON.stringify(data, null, 2), 'utf8'));

export const unpackArchive = async (bytes: Uint8Array): Promise<Buffer> => gunzipAsync(bytes);

/**
 * Stores a finished export and queues the deletion of its archive for when it expires. Only
 * a request still `processing` is completed: re-running the job overwrites its own archive,
 * and never revives a request that was meanwhile marked otherwise.
 */
export async function storeArchive(
  db: Database,
  tenantId: string,
  requestId: string,
  archive: Buffer,
  ttlDays: number,
): Promise<boolean> {
  const expiresAt = new Date(Date.now() + ttlDays * DAY_MS);
  return db.withTenant(tenantId, async (tx) => {
    const [done] = await tx
      .update(r)
      .set({
        archive,
        archiveExpiresAt: expiresAt,
        status: 'completed',
        completedAt: new Date(),
        error: null,
      })
      .where(and(eq(r.tenantId, tenantId), eq(r.id, requestId), eq(r.status, 'processing')))
      .returning({ scope: r.scope, userId: r.userId });
    if (!done) return false;
    await enqueueJob(tx, tenantId, {
      queue: PRIVACY_QUEUE,
      payload: { requestId, step: 'expire-archive' } satisfies PrivacyJobPayload,
      runAt: expiresAt,
      maxAttempts: PRIVACY_MAX_ATTEMPTS,
    });
    await appendAudit(tx, tenantId, {
      actorType: 'system',
      action: 'privacy.export_completed',
      resourceType: 'data_request',
      resourceId: requestId,
      metadata: {
        scope: done.scope,
        subjectUserId: done.userId,
        bytes: archive.length,
        expiresAt: expiresAt.toISOString(),
      },
    });
    return true;
  });
}

/**
 * Deletes an export's archive once it has expired (data minimisation: nothing lingers after
 * the download window). Early (a moved clock), it queues itself again for the expiry.
 */
export async function expireArchive(
  db: Database,
  tenantId: string,
  requestId: string,
): Promise<void> {
  await db.withTenant(tenantId, async (tx) => {
    const [row] = await tx
      .select({
        expiresAt: r.archiveExpiresAt,
        due: sql<boolean>`${r.archiveExpiresAt} <= now()`,
      })
      .from(r)
      .where(and(eq(r.tenantId, tenantId), eq(r.id, requestId)));
    if (!row?.expiresAt) return;
    if (!row.due) {
      await enqueueJob(tx, tenantId, {
        queue: PRIVACY_QUEUE,
        payload: { requestId, step: 'expire-archive' } satisfies PrivacyJobPayload,
        runAt: row.expiresAt,
      });
      return;
    }
    await tx
      .update(r)
      .set({ archive: null })
      .where(and(eq(r.tenantId, tenantId), eq(r.id, requestId)));
  });
}
