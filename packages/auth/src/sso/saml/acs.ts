import type { Profile } from '@node-saml/node-saml';
import { DOMParser } from '@xmldom/xmldom';
import type { SsoProfile } from '../claims.ts';
import { openSpKey } from '../client-secret.ts';
import type { EndpointContext, SsoDeps } from '../context.ts';
import { refuse, ssoError } from '../errors.ts';
import { describeFailure } from '../failures.ts';
import { completeSignIn, pendingConnection, takePending } from '../sign-in.ts';
import { samlEndpoints, serviceProvider } from './sp.ts';
import { idpOf } from './start.ts';

/** Far above any real SAMLResponse (a few KB, tens with many attributes), base64. */
const MAX_RESPONSE_CHARS = 512 * 1024;
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const TRANSIENT_FORMAT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
const SAML_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
/** Attributes IdPs put the email in (node-saml already copies `mail` and its OID to `email`). */
const EMAIL_ATTRIBUTES = [
  'email',
  'mail',
  'emailAddress',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
];
const NAME_ATTRIBUTES = [
  'displayName',
  'name',
  'cn',
  'http://schemas.microsoft.com/identity/claims/displayname',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
];

const field = (body: unknown, name: string) => {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : undefined;
};
const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);
const firstText = (profile: Profile, names: string[]) => {
  for (const name of names) {
    const v = text(profile[name]) ?? text((profile.attributes as Record<string, unknown>)?.[name]);
    if (v) return v;
  }
  return null;
};

const invalid = (reason: string, message: string) =>
  refuse(reason, 'BAD_REQUEST', 'SSO_INVALID_RESPONSE', `SAMLResponse: ${message}`, 'SAMLResponse');

/**
 * Why node-saml refused a response, as an audit reason and a message for the person. An
 * encrypted assertion that fails for no named reason could not be decrypted (the crypto
 * library's own messages, e.g. an OAEP decoding error, say so only in their words).
 */
function refusalOf(err: unknown, encrypted: boolean) {
  const message = err instanceof Error ? err.message : '';
  if (err instanceof Error && err.name === 'SamlStatusError')
    return refuse(
      'provider_error',
      'BAD_REQUEST',
      'SSO_PROVIDER_ERROR',
      'SAMLResponse: the identity provider refused the sign-in; start it again',
      'SAMLResponse',
    );
  if (/InResponseTo/i.test(message))
    return invalid(
      'in_response_to_mismatch',
      'does not answer the sign-in this browser started (InResponseTo)',
    );
  if (/audience/i.test(message))
    return invalid('wrong_audience', 'is addressed to another service provider (Audience)');
  if (/expired|not yet valid|subject confirmation/i.test(message))
    return invalid(
      'expired',
      'the assertion is expired or not yet valid (NotBefore/NotOnOrAfter); check the clocks and start again',
    );
  if (/signature/i.test(message))
    return invalid(
      'invalid_signature',
      'no valid signature by the identity provider’s certificate on the response or assertion',
    );
  if (encrypted || /decrypt/i.test(message))
    return invalid(
      'undecryptable_assertion',
      'the encrypted assertion cannot be decrypted with this connection’s key (import our SP metadata at the identity provider again)',
    );
  return invalid('invalid_response', 'is not a valid SAML 2.0 response');
}

/**
 * The response's Destination, when it names one (it must be our ACS, SAML core 3.2.2), and
 * whether its assertion is encrypted.
 */
function envelopeOf(base64: string): { destination: string | null; encrypted: boolean } | null {
  const xml = Buffer.from(base64, 'base64').toString('utf8');
  if (/<!DOCTYPE/i.test(xml)) return null;
  let broken = false;
  const parser = new DOMParser({
    errorHandler: {
      warning: () => {},
      error: () => (broken = true),
      fatalError: () => (broken = true),
    },
  });
  try {
    const root = parser.parseFromString(xml, 'text/xml').documentElement;
    if (broken || root?.localName !== 'Response') return null;
    return {
      destination: root.getAttribute('Destination') || null,
      encrypted: root.getElementsByTagNameNS(SAML_NS, 'EncryptedAssertion').length > 0,
    };
  } catch {
    return null;
  }
}

/** Who the signed assertion says signed in. SAML from the connection's IdP counts as verified. */
function profileFrom(profile: Profile): SsoProfile {
  const nameId = text(profile.nameID);
  const email =
    (profile.nameIDFormat === EMAIL_FORMAT ? nameId : null) ?? firstText(profile, EMAIL_ATTRIBUTES);
  // A transient NameID changes at every sign-in; the email is then the stable key.
  const sub = profile.nameIDFormat === TRANSIENT_FORMAT || !nameId ? email : nameId;
  if (!sub) throw invalid('no_subject', 'the assertion names no subject (NameID) and no email');
  return {
    sub,
    email,
    // The IdP signed it and the email is at one of the organisation's own domains (checked
    // next): SAML has no email_verified, so the IdP's signature is the verification.
    emailVerified: true,
    name: firstText(profile, NAME_ATTRIBUTES),
  };
}

/**
 * POST /api/auth/sso/saml/acs (HTTP-POST binding: form-encoded SAMLResponse and RelayState,
 * a cross-site POST from the IdP; exempt from the Origin and CSRF checks, as it carries no
 * session: its proofs are the IdP's signature and the state cookie). RelayState is the state
 * of the sign-in this browser started; the response must be signed by the connection's IdP,
 * addressed to this connection (Audience, Destination), in its validity window, and answer
 * that sign-in's AuthnRequest (InResponseTo). The state is single use, so a replayed response
 * is refused. Then the sign-in completes as for OIDC (sign-in.ts).
 */
export async function finishSamlSignIn(ctx: EndpointContext, deps: SsoDeps) {
  const relayState = field(ctx.body, 'RelayState');
  const pending = await takePending(ctx, relayState);
  if (!('protocol' in pending))
    throw ssoError(
      'BAD_REQUEST',
      'SSO_STATE_INVALID',
      'RelayState: this sign-in was started for OpenID Connect, not SAML',
      'RelayState',
    );
  const conn = await pendingConnection(deps, pending.connectionId, 'saml');
  await completeSignIn(ctx, deps, conn, pending.returnTo, async () => {
    const response = field(ctx.body, 'SAMLResponse')?.replace(/\s+/g, '') ?? '';
    if (!response || response.length > MAX_RESPONSE_CHARS || !/^[A-Za-z0-9+/]+=*$/.test(response))
      throw invalid('no_response', 'missing, or not a base64 SAML response');
    const parsed = envelopeOf(response);
    if (!parsed) throw invalid('invalid_response', 'is not a SAML 2.0 Response document');
    const { acsUrl } = samlEndpoints(deps.publicUrl, conn.connectionId);
    if (parsed.destination !== null && parsed.destination !== acsUrl)
      throw invalid('wrong_destination', `is addressed to another endpoint (Destination)`);
    const idp = idpOf(deps, conn);
    const sp = serviceProvider(
      deps.publicUrl,
      conn.connectionId,
      idp,
      { id: pending.requestId, createdAt: new Date(pending.issuedAt) },
      openSpKey(deps, conn)?.privateKeyPem,
    );
    let profile: Profile | null;
    try {
      ({ profile } = await sp.validatePostResponseAsync({
        SAMLResponse: response,
        RelayState: relayState ?? '',
      }));
    } catch (err) {
      deps.log.info(
        { connectionId: conn.connectionId, failure: describeFailure(err) },
        'sso saml response refused',
      );
      throw refusalOf(err, parsed.encrypted);
    }
    if (!profile) throw invalid('no_assertion', 'carries no assertion');
    if (profile.issuer !== idp.entityId)
      throw invalid('wrong_issuer', 'the assertion’s Issuer is not this connection’s IdP entityID');
    return profileFrom(profile);
  });
}
