export {
  API_KEY_PREFIX,
  type ApiKeyPrincipal,
  type ApiKeyResolver,
  apiKeyIdentity,
  bearerApiKey,
  createApiKeyResolver,
  hashApiKey,
  liveApiKeys,
  newApiKey,
} from './api-key.ts';
export { type Auth, type AuthDeps, createAuth, type LogSink, trustedOrigins } from './auth.ts';
export { type SecurityConfig, sessionPolicyOf } from './auth-security.ts';
export { CLIENT_IP_HEADER } from './client-info.ts';
export { CSRF_HEADER, csrfTokenFor, csrfTokenMatches } from './csrf.ts';
export {
  type ApiKeyGrant,
  createIdentityResolver,
  type Identity,
  type IdentityResolver,
} from './identity.ts';
export { firstIssue, signInInput, signUpInput } from './inputs.ts';
export {
  ATTEMPT_WINDOW_SECONDS,
  type AttemptStore,
  type LockoutPolicy,
  memoryAttemptStore,
} from './lockout.ts';
export { type MfaState, mfaState } from './mfa/store.ts';
export { isOperatorToken, operatorToken } from './operator-token.ts';
export {
  type CreatedOrganization,
  createOrganization,
  type NewOrganization,
  OrganizationInputError,
} from './organizations.ts';
export {
  ARGON2_PARAMS,
  createPasswordHasher,
  HasherBusyError,
  isLegacyHash,
  PASSWORD_MAX,
  PASSWORD_MIN,
  type PasswordHasher,
} from './password.ts';
export {
  createPasswordPolicy,
  type PasswordPolicy,
  type PasswordPolicyOptions,
} from './password-policy.ts';
export type { SessionPolicy } from './session-policy.ts';
export { createSessionManager, type SessionManager, type SessionView } from './sessions.ts';
export { slugify } from './slug.ts';
export {
  callbackUrl as ssoCallbackUrl,
  createSpKeyPair,
  createSsoIssuers,
  domainProblem,
  emailDomain,
  type IdpSettings,
  MAX_METADATA_CHARS,
  MAX_SSO_DOMAINS,
  PUBLIC_EMAIL_DOMAINS,
  parseSpKey,
  readIdpMetadata,
  type SecretOpener,
  type SpKeyPair,
  type SsoIssuers,
  samlEndpoints,
  sealableSpKey,
  ssoProviderId,
  ssoSecretContext,
} from './sso/index.ts';
export { keyFingerprint, type VisitorClaims, VisitorTokens } from './visitor-token.ts';
export { type OriginPattern, originAllowed, parseOriginPattern } from './widget-origins.ts';
