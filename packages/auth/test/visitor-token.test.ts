import { describe, expect, it } from 'vitest';
import { VisitorTokens } from '../src/visitor-token.ts';

const claims = {
  tenantId: '00000000-0000-4000-8000-000000000001',
  widgetId: '00000000-0000-4000-8000-000000000002',
  origin: 'https://shop.example',
  personalityId: null,
  name: 'Ada',
  keyId: 'k1',
};

describe('visitor tokens', () => {
  const tokens = new VisitorTokens('a'.repeat(40), 60);

  it('round-trips its claims and keeps a given visitor id', () => {
    const { token, claims: issued } = tokens.issue({ ...claims, visitorId: 'v_fixed' });
    expect(tokens.verify(token)).toEqual(issued);
    expect(issued.visitorId).toBe('v_fixed');
    expect(tokens.issue(claims).claims.visitorId).toMatch(/^v_[0-9a-f-]{36}$/);
  });

  it('refuses tampered, foreign, expired and malformed tokens', () => {
    const { token } = tokens.issue(claims);
    const [prefix, body, signature] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(body ?? '', 'base64url').toString()),
        tenantId: 'x',
      }),
    ).toString('base64url');
    expect(tokens.verify(`${prefix}.${forged}.${signature}`)).toBeNull();
    expect(new VisitorTokens('b'.repeat(40), 60).verify(token)).toBeNull();
    expect(tokens.verify(token, Date.now() + 61_000)).toBeNull();
    expect(tokens.verifyIgnoringExpiry(token)?.widgetId).toBe(claims.widgetId);
    for (const junk of ['', 'vt1.', 'vt1.a.b', 'Bearer x', `${token}x`])
      expect(tokens.verify(junk)).toBeNull();
  });
});
