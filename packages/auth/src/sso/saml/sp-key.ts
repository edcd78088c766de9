import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

/** How long an SP certificate is valid. IdPs only use it to encrypt to us; we rotate by replacing it. */
const VALID_YEARS = 10;

export type SpKeyPair = {
  /** PKCS#8 PEM: decrypts the assertions an IdP encrypts to this connection. Sealed at rest. */
  privateKeyPem: string;
  /** Self-signed X.509 PEM, published in the connection's SP metadata. */
  certificatePem: string;
};

/**
 * A fresh RSA-2048 key and a self-signed certificate for one SAML connection's service
 * provider. The key is made by Node (OpenSSL); node-forge only builds and signs the
 * certificate, since Node cannot write one. One key per connection, so an organisation's key
 * decrypts nothing meant for another's.
 */
export async function createSpKeyPair(commonName: string): Promise<SpKeyPair> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  // Positive (leading 0x00 bit clear) and unpredictable, as RFC 5280 asks.
  cert.serialNumber = `7${randomBytes(15).toString('hex')}`;
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime());
  cert.validity.notAfter.setFullYear(now.getFullYear() + VALID_YEARS);
  const subject = [{ name: 'commonName', value: commonName.slice(0, 64) }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', keyEncipherment: true, dataEncipherment: true, digitalSignature: true },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  return { privateKeyPem: privateKey, certificatePem: forge.pki.certificateToPem(cert) };
}

/** The sealed form: the key pair as JSON, in the connection's client_secret_encrypted column. */
export const sealableSpKey = (pair: SpKeyPair) => JSON.stringify(pair);

/** A sealed key pair, opened and checked; null when the text is not one. */
export function parseSpKey(text: string): SpKeyPair | null {
  try {
    const v = JSON.parse(text) as Partial<SpKeyPair>;
    return typeof v.privateKeyPem === 'string' && typeof v.certificatePem === 'string'
      ? { privateKeyPem: v.privateKeyPem, certificatePem: v.certificatePem }
      : null;
  } catch {
    return null;
  }
}
