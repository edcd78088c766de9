import { createHash, createHmac, hkdfSync, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * A widget visitor's credential: signed by the server, short-lived, and bound to one widget,
 * its tenant and the page origin it was issued to. The widget bundle holds no secret; it
 * trades its public key for one of these and sends it on /ws and /api/v1.
 */
export type VisitorClaims = {
  tenantId: string;
  widgetId: string;
  visitorId: string;
  origin: string;
  personalityId: string | null;
  name: string | null;
  /** keyFingerprint of the public key it was issued for: a rotated key ends its sessions. */
  keyId: string;
  /** Seconds since the epoch. */
  expiresAt: number;
};

const PREFIX = 'vt1.';

/** A short, one-way name for a widget's public key, carried in its visitor tokens. */
export const keyFingerprint = (publicKey: string): string =>
  createHash('sha256').update(publicKey).digest('base64url').slice(0, 16);

export class VisitorTokens {
  readonly #key: Buffer;

  constructor(
    secret: string,
    readonly ttlSeconds: number,
  ) {
    // Its own key, so a visitor token can never pass for any other signed value.
    this.#key = Buffer.from(hkdfSync('sha256', secret, 'platform', 'visitor-token-v1', 32));
  }

  issue(
    claims: Omit<VisitorClaims, 'expiresAt' | 'visitorId'> & { visitorId?: string },
    now = Date.now(),
  ): { token: string; claims: VisitorClaims } {
    const full: VisitorClaims = {
      ...claims,
      visitorId: claims.visitorId ?? `v_${randomUUID()}`,
      expiresAt: Math.floor(now / 1000) + this.ttlSeconds,
    };
    const body = Buffer.from(JSON.stringify(full)).toString('base64url');
    return { token: `${PREFIX}${body}.${this.#sign(body)}`, claims: full };
  }

  /** The claims of a genuine, unexpired token; null for anything else. */
  verify(token: string, now = Date.now()): VisitorClaims | null {
    if (!token.startsWith(PREFIX) || token.length > 4096) return null;
    const [body, signature] = token.slice(PREFIX.length).split('.');
    if (!body || !signature) return null;
    const expected = Buffer.from(this.#sign(body));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    try {
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as VisitorClaims;
      if (typeof claims.expiresAt !== 'number' || claims.expiresAt * 1000 <= now) return null;
      if (typeof claims.keyId !== 'string') return null; // issued before keys were bound
      return claims;
    } catch {
      return null;
    }
  }

  /** Claims of a token that is genuine but may have expired (to keep a returning visitor's id). */
  verifyIgnoringExpiry(token: string): VisitorClaims | null {
    return this.verify(token, 0);
  }

  #sign(body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url');
  }
}
