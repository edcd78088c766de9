import { generateServiceProviderMetadata } from '@node-saml/node-saml';
import { openSpKey } from '../client-secret.ts';
import type { EndpointContext, SsoDeps } from '../context.ts';
import { ssoError } from '../errors.ts';
import { samlEndpoints } from './sp.ts';
import type { SpKeyPair } from './sp-key.ts';

/** Our service provider's metadata for one connection (what an IdP imports). */
export const spMetadataXml = (publicUrl: string, connectionId: string, spKey: SpKeyPair | null) => {
  const { spEntityId, acsUrl } = samlEndpoints(publicUrl, connectionId);
  return generateServiceProviderMetadata({
    issuer: spEntityId,
    callbackUrl: acsUrl,
    identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    wantAssertionsSigned: true,
    // A KeyDescriptor use="encryption": IdPs set to encrypt assertions encrypt to it.
    // (node-saml wants the private key too, to be sure the pair is one; it only writes the cert.)
    ...(spKey ? { decryptionPvk: spKey.privateKeyPem, decryptionCert: spKey.certificatePem } : {}),
  });
};

/**
 * GET /api/auth/sso/saml/metadata/:connectionId: public, as IdPs fetch it unauthenticated;
 * it says our entity ID, ACS URL and, when the connection has its key pair, the certificate
 * to encrypt assertions to. 404 unless the connection is an enabled SAML one.
 */
export async function serveSpMetadata(ctx: EndpointContext, deps: SsoDeps) {
  const id = String((ctx.params as Record<string, unknown> | undefined)?.connectionId ?? '');
  const conn = await deps.db.ssoConnection(id);
  if (conn?.protocol !== 'saml')
    throw ssoError('NOT_FOUND', 'SSO_NOT_CONFIGURED', 'connectionId: no such SAML connection');
  return new Response(spMetadataXml(deps.publicUrl, conn.connectionId, openSpKey(deps, conn)), {
    headers: { 'content-type': 'application/samlmetadata+xml; charset=utf-8' },
  });
}
