import { z } from 'zod';
import { audit } from '../../audit.ts';
import { auditFilterShape, filterConditions, selectEntries, toCsv } from '../../audit-log/index.ts';
import { adminProcedure } from '../../procedures.ts';

/** Rows one export holds at most; narrow the filters (since/until) for more. */
export const EXPORT_MAX_ROWS = 50_000;

export const exportInput = z.strictObject(auditFilterShape).default({});

const HEADER = [
  'time',
  'actor_type',
  'actor_user_id',
  'actor_name',
  'actor_email',
  'action',
  'resource_type',
  'resource_id',
  'ip_address',
  'user_agent',
  'metadata',
] as const;

/**
 * The audit log as CSV (newest first, the same filters as audit.list), at most
 * EXPORT_MAX_ROWS rows; `truncated` says when more matched. A mutation, because exporting the
 * log is itself audited (`audit.exported`). Owners and admins only.
 */
export const exportCsv = adminProcedure.input(exportInput).mutation(async ({ ctx, input }) => {
  const where = filterConditions(ctx.tenantId, input);
  const found = await selectEntries(ctx.tx, where, EXPORT_MAX_ROWS + 1);
  const truncated = found.length > EXPORT_MAX_ROWS;
  const rows = truncated ? found.slice(0, EXPORT_MAX_ROWS) : found;
  const csv = toCsv(
    HEADER,
    rows.map((r) => [
      r.createdAt,
      r.actorType,
      r.actorUserId,
      r.actorName,
      r.actorEmail,
      r.action,
      r.resourceType,
      r.resourceId,
      r.ipAddress,
      r.userAgent,
      r.metadata,
    ]),
  );
  await audit(ctx, {
    action: 'audit.exported',
    resourceType: 'audit_log',
    metadata: { filters: input, rows: rows.length, truncated },
  });
  return { csv, rows: rows.length, truncated };
});
