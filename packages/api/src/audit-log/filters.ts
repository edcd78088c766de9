import { schema } from '@platform/db';
import { desc, eq, gte, lt, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { DomainError } from '../errors.ts';

const a = schema.auditLogs;

/** Action names and resource types: `member.role_changed`, `provider_key`. */
const name = () =>
  z
    .string()
    .trim()
    .min(1, { message: 'must not be empty' })
    .max(100, { message: 'must be at most 100 characters' })
    .regex(/^[\w.:-]+$/, { message: 'must be letters, digits, _ . : or -' });

const instant = () =>
  z.iso.datetime({ offset: true, message: 'must be an ISO date-time, e.g. 2026-11-28T09:00:00Z' });

/** What audit.list and audit.export filter on; every filter narrows (they combine with AND). */
export const auditFilterShape = {
  /** Exactly this action, e.g. `member.role_changed`. */
  action: name().optional(),
  /** Actions starting with this, e.g. `widget.` or `provider_key`. */
  actionPrefix: name().optional(),
  actorUserId: z.uuid({ message: 'must be a UUID' }).optional(),
  actorType: z.enum(['user', 'api_key', 'system']).optional(),
  resourceType: name().optional(),
  resourceId: z.string().trim().min(1, { message: 'must not be empty' }).max(200).optional(),
  /** Entries at or after this instant. */
  since: instant().optional(),
  /** Entries before this instant. */
  until: instant().optional(),
};

export type AuditFilters = {
  [K in keyof typeof auditFilterShape]?: z.infer<(typeof auditFilterShape)[K]>;
};

const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(10_000, 0, 1);

/**
 * An instant the database can compare with: the ISO format takes year 0000 and offsets that
 * push 9999-12-31 into year 10000, which reached PostgreSQL as `-000001-…` and failed as a
 * 500. The log holds nothing before 1970.
 */
function instantOf(value: string, field: 'since' | 'until'): Date {
  const at = Date.parse(value);
  if (!(at >= EARLIEST && at < LATEST))
    throw new DomainError('BAD_REQUEST', `${field}: must be between 1970 and 9999`, field);
  return new Date(at);
}

/** The filters as SQL conditions, inside the caller's tenant. */
export function filterConditions(tenantId: string, f: AuditFilters): SQL[] {
  if (f.since && f.until && Date.parse(f.until) <= Date.parse(f.since))
    throw new DomainError('BAD_REQUEST', 'until: must be later than since', 'until');
  const where: SQL[] = [eq(a.tenantId, tenantId)];
  if (f.action) where.push(eq(a.action, f.action));
  if (f.actionPrefix) where.push(sql`starts_with(${a.action}, ${f.actionPrefix})`);
  if (f.actorUserId) where.push(eq(a.actorUserId, f.actorUserId));
  if (f.actorType) where.push(eq(a.actorType, f.actorType));
  if (f.resourceType) where.push(eq(a.resourceType, f.resourceType));
  if (f.resourceId) where.push(eq(a.resourceId, f.resourceId));
  if (f.since) where.push(gte(a.createdAt, instantOf(f.since, 'since')));
  if (f.until) where.push(lt(a.createdAt, instantOf(f.until, 'until')));
  return where;
}

/** Newest first; ties (one transaction's entries share a time) broken by id, as the cursor is. */
export const newestFirst = [desc(a.createdAt), desc(a.id)];
