export { callbackUrl, SSO_CALLBACK_PATH, SSO_START_PATH, type SsoDeps } from './context.ts';
export { domainProblem, emailDomain, MAX_SSO_DOMAINS, PUBLIC_EMAIL_DOMAINS } from './domains.ts';
export {
  createSsoIssuers,
  type OidcClientConfig,
  type SsoIssuerOptions,
  type SsoIssuers,
} from './issuers.ts';
export { ssoPlugin } from './plugin.ts';
export { type SecretOpener, ssoSecretContext } from './secrets.ts';
export { ssoProviderId } from './users.ts';
