import * as schema from './schema/index.ts';
import type { Tx } from './types.ts';

export interface AuditEntry {
  /** Default: a user when actorUserId is set, else the system. */
  actorType?: 'user' | 'api_key' | 'system';
  actorUserId?: string | null;
  action: string;
  resourceType?: string;
  resourceId?: string;
  metadata?: Record<string, unknown>;
  /** Where the request came from (the client IP as the server sees it, after trusted proxies). */
  ipAddress?: string | null;
  userAgent?: string | null;
}

/** Appends to the tenant's audit log in the caller's transaction (the runtime may only insert). */
export async function appendAudit(tx: Tx, tenantId: string, entry: AuditEntry): Promise<void> {
  await tx.insert(schema.auditLogs).values({
    tenantId,
    actorType: entry.actorType ?? (entry.actorUserId ? 'user' : 'system'),
    actorUserId: entry.actorUserId ?? null,
    action: entry.action,
    resourceType: entry.resourceType ?? null,
    resourceId: entry.resourceId ?? null,
    metadata: entry.metadata ?? {},
    ipAddress: entry.ipAddress ?? null,
    userAgent: entry.userAgent?.slice(0, 500) ?? null,
  });
}
