export { callbackUrl, SSO_CALLBACK_PATH, SSO_START_PATH, type SsoDeps } from './context.ts';
export { domainProblem, emailDomain, MAX_SSO_DOMAINS, PUBLIC_EMAIL_DOMAINS } from './domains.ts';
export {
  createSsoIssuers,
  type OidcClientConfig,
  type SsoIssuerOptions,
  type SsoIssuers,
} from './issuers.ts';
export { ssoPlugin } from './plugin.ts';
export { type IdpSettings, MAX_METADATA_CHARS, readIdpMetadata } from './saml/idp-metadata.ts';
export { samlEndpoints } from './saml/sp.ts';
export { createSpKeyPair, parseSpKey, type SpKeyPair, sealableSpKey } from './saml/sp-key.ts';
export { type SecretOpener, ssoSecretContext } from './secrets.ts';
export { ssoProviderId } from './users.ts';
