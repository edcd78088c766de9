import { operatorToken } from '@platform/auth';
import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, type Harness, startHarness } from './harness.ts';

/** GET /api/v1/audit: what `platform audit` reads while a server holds the embedded database. */
describe.each(testDrivers())('audit log for the operator over REST (%s)', (driver) => {
  let h: Harness;
  let owner: Account;
  let slug: string;

  beforeAll(async () => {
    h = await startHarness(driver);
    owner = await h.signUp('Audit Rest Co');
    await h.mutate('widgets.create', owner.cookie, { name: 'Site', allowedOrigins: [] });
    const [tenant] = await h.t.ownerQuery<{ slug: string }>(
      'select slug from tenants where id = $1',
      [owner.tenantId],
    );
    slug = String(tenant?.slug);
  });
  afterAll(() => h?.close());

  const get = (query: string, headers: Record<string, string>) =>
    h.app.inject({ method: 'GET', url: `/api/v1/audit?${query}`, headers });
  const operator = () => ({
    authorization: `Operator ${operatorToken(h.config.AUTH_SECRET)}`,
    'x-platform-tenant': slug,
  });

  it("gives the operator that organisation's entries since a time", async () => {
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const r = await get(`since=${encodeURIComponent(since)}&action=widget.`, operator());
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json() as {
      entries: { action: string; tenantId?: string }[];
      truncated: boolean;
    };
    expect(body.entries.map((e) => e.action)).toEqual(['widget.created']);
    expect(body.truncated).toBe(false);
    const later = await get(
      `since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
      operator(),
    );
    expect((later.json() as { entries: unknown[] }).entries).toEqual([]);
  });

  it('refuses members, bad tokens and bad input with a 4xx naming the problem', async () => {
    const since = encodeURIComponent(new Date().toISOString());
    expect((await get(`since=${since}`, { cookie: owner.cookie })).statusCode).toBe(403);
    expect(
      (await get(`since=${since}`, { authorization: 'Operator nope', 'x-platform-tenant': slug }))
        .statusCode,
    ).toBe(401);
    const missing = await get('', operator());
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ field: 'since' });
    const badAction = await get(`since=${since}&action=${encodeURIComponent('a b')}`, operator());
    expect(badAction.json()).toMatchObject({ field: 'action' });
  });
});
