import { randomBytes } from 'node:crypto';
import { type CacheProvider, SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import type { IdpSettings } from './idp-metadata.ts';

export const SAML_ACS_PATH = '/sso/saml/acs';
export const SAML_METADATA_PATH = '/sso/saml/metadata/:connectionId';

/** How far the IdP's clock may be off from ours (NotBefore / NotOnOrAfter). */
const CLOCK_SKEW_MS = 60_000;

/** The URLs an admin gives their IdP, derived from PUBLIC_URL's origin. */
export function samlEndpoints(publicUrl: string, connectionId: string) {
  const origin = new URL(publicUrl).origin;
  const metadataUrl = `${origin}/api/auth/sso/saml/metadata/${connectionId}`;
  return {
    /**
     * Our entity ID, one per connection (the metadata's address, as is customary): an
     * assertion an IdP issued for one organisation's connection is not valid at another's.
     */
    spEntityId: metadataUrl,
    /** The Assertion Consumer Service (HTTP-POST), shared by every connection. */
    acsUrl: `${origin}/api/auth${SAML_ACS_PATH}`,
    metadataUrl,
  };
}

/** An AuthnRequest ID: an NCName (must not start with a digit), unguessable. */
export const newRequestId = () => `_${randomBytes(20).toString('hex')}`;

/**
 * node-saml's request-ID store, holding only the one request this sign-in started (read from
 * the single-use flow state): a response answering any other request fails InResponseTo.
 * Never node-saml's default in-memory store: it is per process and runs a timer.
 */
const onlyRequest = (requestId: string | null, createdAt: Date): CacheProvider => ({
  saveAsync: async () => null,
  getAsync: async (key) => (requestId && key === requestId ? createdAt.toISOString() : null),
  removeAsync: async () => null,
});

/**
 * A node-saml service provider for one connection. Responses must be signed by one of the
 * IdP's certificates, on the Response or on the Assertion (neither alone is demanded, as IdPs
 * differ); the audience must be this connection's entity ID; the assertion's times are
 * checked with CLOCK_SKEW_MS of tolerance; InResponseTo must name `requestId`. With the
 * connection's SP key, encrypted assertions are decrypted (and then checked the same way).
 */
export function serviceProvider(
  publicUrl: string,
  connectionId: string,
  idp: IdpSettings,
  request: { id: string | null; createdAt: Date },
  decryptionKeyPem?: string,
) {
  const { spEntityId, acsUrl } = samlEndpoints(publicUrl, connectionId);
  return new SAML({
    issuer: spEntityId,
    audience: spEntityId,
    callbackUrl: acsUrl,
    entryPoint: idp.ssoUrl,
    idpIssuer: idp.entityId,
    idpCert: idp.certs,
    wantAuthnResponseSigned: false,
    wantAssertionsSigned: false,
    acceptedClockSkewMs: CLOCK_SKEW_MS,
    validateInResponseTo: ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: 10 * 60_000,
    cacheProvider: onlyRequest(request.id, request.createdAt),
    generateUniqueId: () => request.id ?? newRequestId(),
    // Asking for password authentication would make IdPs refuse people who use MFA or Kerberos.
    disableRequestedAuthnContext: true,
    signatureAlgorithm: 'sha256',
    // Assertions the IdP encrypted to this connection's certificate (EncryptedAssertion);
    // without a key, node-saml refuses them. Plain signed assertions work either way.
    ...(decryptionKeyPem ? { decryptionPvk: decryptionKeyPem } : {}),
  });
}
