export type { ApiKeyRecord } from './api-key.ts';
export { type AuditEntry, appendAudit } from './audit.ts';
export {
  type ActorLike,
  type AuditActor,
  type AuditChanges,
  actorUserIdOf,
  asAuditActor,
  auditChanges,
  prefixed,
} from './audit-actor.ts';
export * from './jobs/index.ts';
export { openDatabase } from './open.ts';
export type { StaleDocument } from './reembed.ts';
export { isUuid } from './roles.ts';
export * as schema from './schema/index.ts';
export type { SsoConnectionRecord } from './sso.ts';
export { UNSTORABLE_TEXT, unstorableTextPath } from './text.ts';
export type { Database, Membership, MigrationStatus, TenantOptions, Tx } from './types.ts';
export type { WidgetAdmission } from './widget-key.ts';
