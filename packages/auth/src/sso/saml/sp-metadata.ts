import { generateServiceProviderMetadata } from '@node-saml/node-saml';
import type { EndpointContext, SsoDeps } from '../context.ts';
import { ssoError } from '../errors.ts';
import { samlEndpoints } from './sp.ts';

/** Our service provider's metadata for one connection (what an IdP imports). */
export const spMetadataXml = (publicUrl: string, connectionId: string) => {
  const { spEntityId, acsUrl } = samlEndpoints(publicUrl, connectionId);
  return generateServiceProviderMetadata({
    issuer: spEntityId,
    callbackUrl: acsUrl,
    identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    wantAssertionsSigned: true,
  });
};

/**
 * GET /api/auth/sso/saml/metadata/:connectionId: public, as IdPs fetch it unauthenticated;
 * it says only our entity ID and ACS URL. 404 unless the connection is an enabled SAML one.
 */
export async function serveSpMetadata(ctx: EndpointContext, deps: SsoDeps) {
  const id = String((ctx.params as Record<string, unknown> | undefined)?.connectionId ?? '');
  const conn = await deps.db.ssoConnection(id);
  if (conn?.protocol !== 'saml')
    throw ssoError('NOT_FOUND', 'SSO_NOT_CONFIGURED', 'connectionId: no such SAML connection');
  return new Response(spMetadataXml(deps.publicUrl, conn.connectionId), {
    headers: { 'content-type': 'application/samlmetadata+xml; charset=utf-8' },
  });
}
