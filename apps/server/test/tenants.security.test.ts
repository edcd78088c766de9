import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from './fingerprint.ts';
import { type Account, data, type Harness, startHarness } from './harness.ts';

/**
 * The organisation a request acts for comes from the session alone (DESIGN §2). A tenant id in
 * input is covered by cross-tenant.security.test.ts; here: headers, a membership that ends
 * while the session lives on, and organisation names.
 */
describe.each(testDrivers())('tenants security (%s)', (driver) => {
  let h: Harness;
  let owner: Account;
  let other: Account;

  beforeAll(async () => {
    h = await startHarness(driver);
    owner = await h.signUp('Home Org');
    other = await h.signUp('Other Org');
  });
  afterAll(() => h?.close());

  const slugOf = async (tenantId: string) =>
    (
      await h.t.ownerQuery<{ slug: string }>('select slug from tenants where id = $1', [tenantId])
    )[0]?.slug ?? '';

  it('ignores tenant hints in headers: the session decides', async () => {
    const slug = await slugOf(other.tenantId);
    for (const headers of [
      { 'x-platform-tenant': slug },
      { 'x-tenant-id': other.tenantId },
      { 'x-platform-tenant': slug, authorization: 'Operator not-the-token' },
    ]) {
      const r = await h.app.inject({
        method: 'GET',
        url: '/trpc/tenants.current',
        headers: { cookie: owner.cookie, ...headers },
      });
      if (r.statusCode === 200) expect(r.json().result.data.id).toBe(owner.tenantId);
      else expect(r.statusCode).toBe(401);
      expect(r.body).not.toContain(other.tenantId);
      const rest = await h.app.inject({
        method: 'GET',
        url: '/api/v1/conversations',
        headers: { cookie: owner.cookie, ...headers },
      });
      expect(rest.statusCode, rest.body).toBeLessThan(500);
      expect(rest.body).not.toContain(other.tenantId);
    }
  });

  it('stops acting for an organisation the moment the membership ends', async () => {
    const member = await h.joinAs(owner, 'member');
    expect(data(await h.query('tenants.current', member.cookie))).toMatchObject({
      id: owner.tenantId,
    });
    await h.t.ownerQuery('delete from memberships where tenant_id = $1 and user_id = $2', [
      owner.tenantId,
      member.userId,
    ]);
    const before = await fingerprint(h);
    for (const path of [
      'tenants.current',
      'users.list',
      'collections.list',
      'conversations.list',
    ]) {
      const r = await h.query(path, member.cookie);
      expect(r.status, `${path}: ${r.raw.body}`).toBe(403);
      expect(r.raw.body).not.toContain(owner.email);
    }
    const write = await h.mutate('conversations.create', member.cookie, { title: 'still here?' });
    expect(write.status).toBe(403);
    expect(await fingerprint(h)).toEqual(before);
  });

  it('keeps organisation names as data, with plain slugs', async () => {
    for (const name of [
      '<img src=x onerror=alert(1)> & Co',
      '🧨💥',
      "Robert'); drop table tenants;--",
    ]) {
      const account = await h.signUp(name);
      const current = data<{ name: string; slug: string }>(
        await h.query('tenants.current', account.cookie),
      );
      expect(current.name).toBe(name);
      expect(current.slug).toMatch(/^[a-z0-9][a-z0-9-]*$/);
    }
  });

  // Regression from fuzz.security.test.ts: a NUL in organizationName failed sign-up as a 500.
  it('refuses sign-up names PostgreSQL cannot store with 400 naming the field, creating nothing', async () => {
    const before = await fingerprint(h);
    for (const [field, value] of [
      ['organizationName', 'Nul\u0000Org'],
      ['name', 'Ada\u0000'],
      ['organizationName', 'Half \ud800'],
    ] as const) {
      const r = await h.post('/api/auth/sign-up/email', {
        name: 'Ada',
        email: `nul-${field}-${Math.random().toString(36).slice(2)}@example.com`,
        password: 'correct horse battery staple',
        organizationName: 'Fine Org',
        [field]: value,
      });
      expect(r.status, r.raw.body).toBe(400);
      expect(r.body).toMatchObject({ field });
    }
    expect(await fingerprint(h)).toEqual(before);
  });
});
