import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from './fingerprint.ts';
import { type Account, data, type Harness, startHarness, trpcError } from './harness.ts';

/**
 * The widget's allow-list decides which sites may embed it and get visitor tokens. Already
 * covered in widgets.e2e.test.ts: `*`, `null`, `javascript:`, paths, user info and bad
 * wildcards refused; key rotation; roles. Here: the other non-web schemes, and what the
 * public session endpoint honours.
 */
describe.each(testDrivers())('widgets security (%s)', (driver) => {
  let h: Harness;
  let owner: Account;

  beforeAll(async () => {
    h = await startHarness(driver);
    owner = await h.signUp('Widget Guard');
  });
  afterAll(() => h?.close());

  const session = (widgetKey: string, origin: string) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/widget/session',
      headers: { 'content-type': 'application/json', origin },
      payload: JSON.stringify({ widgetKey }),
    });

  it('refuses data:, file:, blob: and other non-web origins with a 400, storing nothing', async () => {
    const before = await fingerprint(h);
    for (const bad of [
      'data:text/html,<script>alert(1)</script>',
      'data:,',
      'file:///etc/passwd',
      'file://',
      'blob:https://shop.example.com/0b8e2b9c',
      'about:blank',
      'chrome-extension://abcdefghijklmnop',
      'ws://shop.example.com',
      'https://shop.example.com\\@evil.example',
      'https://shop.example.com%2f@evil.example',
      'https://*',
      `https://${'a'.repeat(300)}.example.com`,
    ]) {
      const r = await h.mutate('widgets.create', owner.cookie, {
        name: 'Bad',
        allowedOrigins: [bad],
      });
      expect(r.status, `${bad}: ${r.raw.body}`).toBe(400);
      expect(trpcError(r).data.field, bad).toBe('allowedOrigins');
    }
    expect(await fingerprint(h)).toEqual(before);
  });

  it('matches wildcards by whole labels: look-alike sites get no visitor token', async () => {
    const widget = data<{ publicKey: string }>(
      await h.mutate('widgets.create', owner.cookie, {
        name: 'Brand',
        allowedOrigins: ['https://*.brand.example', 'http://localhost:3000'],
      }),
    );
    const allowed = [
      'https://a.brand.example',
      'https://x.y.brand.example',
      'http://localhost:3000',
    ];
    const refused = [
      'https://brand.example', // the wildcard is for subdomains only
      'https://evilbrand.example',
      'https://brand.example.evil.net',
      'https://a.brand.example.evil.net',
      'http://a.brand.example', // scheme
      'https://a.brand.example:8443', // port
      'http://localhost:3001',
      'http://localhost.evil.net:3000',
      'https://a.brand.example/', // not an origin
      'null',
    ];
    for (const origin of allowed) {
      const r = await session(widget.publicKey, origin);
      expect(r.statusCode, `${origin}: ${r.body}`).toBe(200);
      // The token's own page may read it; credentials (cookies) are never allowed.
      expect(r.headers['access-control-allow-origin']).toBe(origin);
      expect(r.headers['access-control-allow-credentials']).toBeUndefined();
    }
    for (const origin of refused) {
      const r = await session(widget.publicKey, origin);
      expect([400, 403], `${origin}: ${r.statusCode} ${r.body}`).toContain(r.statusCode);
      expect(r.body).not.toContain('token');
      expect(r.headers['access-control-allow-credentials']).toBeUndefined();
    }
  });

  it('binds a visitor token to its page: another origin cannot use it', async () => {
    const widget = data<{ publicKey: string }>(
      await h.mutate('widgets.create', owner.cookie, {
        name: 'Bound',
        allowedOrigins: ['https://shop.example.com', 'https://blog.example.com'],
      }),
    );
    const { token } = (await session(widget.publicKey, 'https://shop.example.com')).json() as {
      token: string;
    };
    const start = (origin?: string) =>
      h.app.inject({
        method: 'POST',
        url: '/api/v1/conversations',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          ...(origin ? { origin } : {}),
        },
        payload: '{}',
      });
    const before = await fingerprint(h);
    // Even a page the widget also allows: the token was issued to the shop.
    for (const origin of ['https://blog.example.com', 'https://evil.example']) {
      const r = await start(origin);
      expect(r.statusCode, `${origin}: ${r.body}`).toBeGreaterThanOrEqual(400);
      expect(r.statusCode).toBeLessThan(500);
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
    }
    expect(await fingerprint(h)).toEqual(before);
    expect((await start('https://shop.example.com')).statusCode).toBe(201);
  });
});
