/** Decrypts what the platform cipher sealed (KeyCipher in @platform/ai; auth cannot import it). */
export type SecretOpener = { decrypt(ciphertext: string, context: string): string };

/**
 * The associated data a connection's client secret is sealed with: a ciphertext copied to
 * another connection or organisation does not decrypt.
 */
export const ssoSecretContext = (tenantId: string, connectionId: string) =>
  `sso:${tenantId}:${connectionId}`;
