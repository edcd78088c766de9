import { X509Certificate } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
export const REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

/** Longest IdP metadata document accepted (an IdP's with a few certificates is a few KB). */
export const MAX_METADATA_CHARS = 100_000;

/** What the service provider needs of an identity provider, read from its metadata. */
export type IdpSettings = {
  /** The IdP's entityID: the Issuer its assertions must carry. */
  entityId: string;
  /** Where the browser is sent with the AuthnRequest (HTTP-Redirect binding). */
  ssoUrl: string;
  /** Its signing certificates, as PEM. */
  certs: string[];
};

const pem = (base64: string) =>
  `-----BEGIN CERTIFICATE-----\n${base64.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----`;

/**
 * The IdP's settings from its metadata XML, or why they cannot be read (the message an admin
 * sees after "samlMetadata: "). Only the document's structure is read here; the SSO URL's
 * address policy is the caller's (it depends on the server's settings).
 */
export function readIdpMetadata(xml: string): IdpSettings | { problem: string } {
  if (xml.length > MAX_METADATA_CHARS)
    return { problem: `must be at most ${MAX_METADATA_CHARS} characters` };
  // A DOCTYPE is where entity-expansion attacks live; metadata never needs one.
  if (/<!DOCTYPE/i.test(xml)) return { problem: 'must not contain a DOCTYPE' };
  let broken = false;
  const parser = new DOMParser({
    errorHandler: {
      warning: () => {},
      error: () => (broken = true),
      fatalError: () => (broken = true),
    },
  });
  let doc: Document;
  try {
    doc = parser.parseFromString(xml, 'text/xml') as unknown as Document;
  } catch {
    return { problem: 'is not well-formed XML' };
  }
  if (broken || !doc?.documentElement) return { problem: 'is not well-formed XML' };
  const idp = Array.from(doc.getElementsByTagNameNS(MD, 'IDPSSODescriptor'))[0];
  const entity = idp?.parentNode as Element | null | undefined;
  if (!idp || !entity || entity.localName !== 'EntityDescriptor')
    return { problem: 'is not SAML 2.0 identity provider metadata (no IDPSSODescriptor)' };
  const entityId = entity.getAttribute('entityID')?.trim() ?? '';
  if (!entityId) return { problem: 'the EntityDescriptor has no entityID' };
  if (entityId.length > 500) return { problem: 'the entityID is longer than 500 characters' };

  const sso = Array.from(idp.getElementsByTagNameNS(MD, 'SingleSignOnService')).find(
    (s) => s.getAttribute('Binding') === REDIRECT_BINDING,
  );
  const ssoUrl = sso?.getAttribute('Location')?.trim() ?? '';
  if (!ssoUrl)
    return {
      problem: 'names no SingleSignOnService with the HTTP-Redirect binding and a Location',
    };

  const certs: string[] = [];
  for (const key of Array.from(idp.getElementsByTagNameNS(MD, 'KeyDescriptor'))) {
    const use = key.getAttribute('use');
    if (use && use !== 'signing') continue;
    for (const node of Array.from(key.getElementsByTagNameNS(DS, 'X509Certificate'))) {
      const base64 = (node.textContent ?? '').replace(/\s+/g, '');
      try {
        new X509Certificate(Buffer.from(base64, 'base64'));
      } catch {
        return { problem: 'contains a signing certificate that is not a valid X.509 certificate' };
      }
      certs.push(pem(base64));
    }
  }
  if (certs.length === 0) return { problem: 'names no signing certificate (KeyDescriptor)' };
  return { entityId, ssoUrl, certs };
}
