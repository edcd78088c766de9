import type { Identity } from '@platform/auth';
import { type AuditActor, type AuditEntry, appendAudit, type Tx } from '@platform/db';
import type { RequestInfo } from './context.ts';

/** Who is calling and from where, for stores that audit on the caller's behalf. */
export function auditActor(ctx: { identity: Identity; request: RequestInfo }): AuditActor {
  return {
    // A key acts for its creator: the entry names both (actor_type says a key did it).
    actorType: ctx.identity.kind === 'api_key' ? 'api_key' : 'user',
    actorUserId: ctx.identity.userId,
    ipAddress: ctx.request.ip,
    userAgent: ctx.request.userAgent,
  };
}

/** An entry's own part; the actor, IP and user agent come from the request. */
export type AuditEvent = Omit<AuditEntry, keyof AuditActor>;

/**
 * Appends to the caller's tenant audit log in the procedure's transaction (so a failed
 * procedure leaves no entry). Actions read `<resource>.<verb_past>`, e.g. `member.role_changed`;
 * before/after values go in metadata as `{ before, after }` (see auditChanges), never secrets.
 */
export function audit(
  ctx: { tx: Tx; tenantId: string; identity: Identity; request: RequestInfo },
  event: AuditEvent,
): Promise<void> {
  return appendAudit(ctx.tx, ctx.tenantId, { ...event, ...auditActor(ctx) });
}
