import type { Identity } from '@platform/auth';
import { type Database, schema } from '@platform/db';
import { and, eq, sql } from 'drizzle-orm';
import { audit } from '../audit.ts';
import type { RequestInfo } from '../context.ts';
import { DomainError, notFound } from '../errors.ts';
import { assertMfaPolicy } from '../mfa-gate.ts';

const r = schema.dataRequests;

export type ExportDownload =
  | { kind: 'archive'; gzipped: Buffer; fileName: string }
  /** Past archive_expires_at: the archive is gone (410). */
  | { kind: 'expired' };

/**
 * An export's archive, for the session's own organisation: a person's export only to that
 * person, the organisation's only to its owners and admins; anything else, including another
 * organisation's request, is NOT_FOUND. A request not finished yet is CONFLICT. An expired
 * archive is deleted on the spot (if the expiry job has not yet) and answered `expired`.
 * Each download is audited (`privacy.export_downloaded`).
 */
export async function downloadExport(
  db: Database,
  identity: Identity,
  requestId: string,
  request: RequestInfo,
): Promise<ExportDownload> {
  const tenantId = identity.tenantId;
  if (!tenantId || identity.kind !== 'session') throw notFound('Export');
  return db.withTenant(
    tenantId,
    async (tx, member) => {
      if (!member) throw notFound('Export');
      const [row] = await tx
        .select({
          scope: r.scope,
          status: r.status,
          userId: r.userId,
          archive: r.archive,
          requestedAt: r.requestedAt,
          expired: sql<boolean>`coalesce(${r.archiveExpiresAt} <= now(), false)`,
        })
        .from(r)
        .where(and(eq(r.tenantId, tenantId), eq(r.id, requestId), eq(r.type, 'export')));
      const allowed =
        row &&
        (row.scope === 'user'
          ? row.userId === identity.userId
          : member.role === 'owner' || member.role === 'admin');
      if (!row || !allowed) throw notFound('Export');
      assertMfaPolicy(member);
      if (row.status !== 'completed')
        throw new DomainError('CONFLICT', `The export is not ready: it is ${row.status}`);
      if (row.expired || !row.archive) {
        if (row.archive)
          await tx
            .update(r)
            .set({ archive: null })
            .where(and(eq(r.tenantId, tenantId), eq(r.id, requestId)));
        return { kind: 'expired' as const };
      }
      await audit(
        { tx, tenantId, identity, request },
        {
          action: 'privacy.export_downloaded',
          resourceType: 'data_request',
          resourceId: requestId,
          metadata: { scope: row.scope, bytes: row.archive.byteLength },
        },
      );
      const day = row.requestedAt.toISOString().slice(0, 10);
      return {
        kind: 'archive' as const,
        gzipped: Buffer.from(row.archive),
        fileName: `${row.scope === 'tenant' ? 'organisation' : 'personal'}-data-${day}-${requestId.slice(0, 8)}.json`,
      };
    },
    { memberId: identity.userId },
  );
}
