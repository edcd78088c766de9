export { type Auth, type AuthDeps, createAuth, type LogSink, trustedOrigins } from './auth.ts';
export { createIdentityResolver, type Identity, type IdentityResolver } from './identity.ts';
export { firstIssue, signInInput, signUpInput } from './inputs.ts';
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
export { slugify } from './slug.ts';
export { keyFingerprint, type VisitorClaims, VisitorTokens } from './visitor-token.ts';
export { type OriginPattern, originAllowed, parseOriginPattern } from './widget-origins.ts';
