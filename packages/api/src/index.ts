export { API_KEY_SCOPES, assertKeyMay } from './api-key-scopes.ts';
export { type AuditEvent, audit, auditActor } from './audit.ts';
export * from './audit-log/index.ts';
export {
  type ApiKeyCache,
  type Context,
  createContext,
  createLimits,
  type Limits,
  type Log,
  type RequestInfo,
  requestInfo,
} from './context.ts';
export * from './conversations/index.ts';
export { asDomainError, DomainError, type DomainErrorCode } from './errors.ts';
export { assertMfaPolicy, MFA_FIELD, MFA_REQUIRED_MESSAGE } from './mfa-gate.ts';
export { PERMISSIONS, type Permission, roleAllows } from './permissions.ts';
export * from './privacy/index.ts';
export { type AppRouter, appRouter } from './root.ts';
export * from './widgets/index.ts';
