import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, data, type Harness, startHarness, trpcError } from './harness.ts';

/**
 * Removing a member (users.remove): offboarding that holds. Their membership, sessions acting
 * for the organisation and API keys end at once; their account and other organisations stay;
 * single sign-on refuses them until readmitted (sso.security.test.ts signs a removed person in).
 */
describe.each(testDrivers())('member removal (%s)', (driver) => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness(driver);
  });
  afterAll(() => h?.close());

  const remove = (by: Account, who: Account | string) =>
    h.mutate('users.remove', by.cookie, {
      userId: typeof who === 'string' ? who : who.userId,
    });
  const membership = async (who: Account, tenantId: string) =>
    (
      await h.t.ownerQuery<{ role: string }>(
        'select role from memberships where tenant_id = $1 and user_id = $2',
        [tenantId, who.userId],
      )
    )[0]?.role;

  it('ends the membership, its sessions and API keys, keeps the account, and is audited', async () => {
    const owner = await h.signUp('Offboarding Org');
    const admin = await h.joinAs(owner, 'admin');
    const leaver = await h.joinAs(owner, 'admin');
    const key = data<{ id: string; key: string }>(
      await h.mutate('apiKeys.create', leaver.cookie, { name: 'Leaver sync', scopes: ['read'] }),
    );
    const byKey = () =>
      h.app.inject({
        method: 'GET',
        url: '/trpc/tenants.current',
        headers: { authorization: `Bearer ${key.key}` },
      });
    expect((await byKey()).statusCode).toBe(200);
    expect((await h.query('tenants.current', leaver.cookie)).status).toBe(200);

    const removed = await remove(admin, leaver);
    expect(removed.status, removed.raw.body).toBe(200);
    expect(data(removed)).toMatchObject({ removed: true, apiKeysRevoked: 1 });
    expect(await membership(leaver, owner.tenantId)).toBeUndefined();
    expect((await h.query('tenants.current', leaver.cookie)).status).toBe(401);
    expect((await byKey()).statusCode).toBe(401);
    const [account] = await h.t.ownerQuery('select id from users where id = $1', [leaver.userId]);
    expect(account).toBeDefined();

    const list = data<{ items: { userId: string; email: string; role: string }[] }>(
      await h.query('users.removed', owner.cookie, {}),
    );
    expect(list.items).toEqual([
      expect.objectContaining({ userId: leaver.userId, email: leaver.email, role: 'admin' }),
    ]);
    const [entry] = await h.t.ownerQuery<{ actor_user_id: string; metadata: unknown }>(
      `select actor_user_id, metadata from audit_logs
        where tenant_id = $1 and action = 'member.removed' and resource_id = $2`,
      [owner.tenantId, leaver.userId],
    );
    expect(entry).toMatchObject({
      actor_user_id: admin.userId,
      metadata: { before: { role: 'admin' }, apiKeysRevoked: 1 },
    });

    // Removing again: they are no longer a member.
    expect((await remove(admin, leaver)).status).toBe(404);
    // Readmitting lifts the SSO block; it does not make them a member.
    const readmitted = await h.mutate('users.readmit', admin.cookie, { userId: leaver.userId });
    expect(readmitted.status, readmitted.raw.body).toBe(200);
    expect(
      data<{ items: unknown[] }>(await h.query('users.removed', owner.cookie, {})).items,
    ).toEqual([]);
    expect(await membership(leaver, owner.tenantId)).toBeUndefined();
    expect((await h.mutate('users.readmit', admin.cookie, { userId: leaver.userId })).status).toBe(
      404,
    );
  });

  it('keeps owners to owners, never removes the last one, and refuses members', async () => {
    const owner = await h.signUp('Removal Limits');
    const admin = await h.joinAs(owner, 'admin');
    const member = await h.joinAs(owner, 'member');
    const viewer = await h.joinAs(owner, 'viewer');
    for (const caller of [member, viewer]) {
      const r = await remove(caller, admin);
      expect(r.status, r.raw.body).toBe(403);
    }
    const onOwner = await remove(admin, owner);
    expect(onOwner.status).toBe(403);
    expect(trpcError(onOwner).data.field).toBe('userId');
    const alone = await remove(owner, owner);
    expect(alone.status).toBe(409);
    expect(trpcError(alone).message).toContain('last owner');
    expect((await remove(owner, crypto.randomUUID())).status).toBe(404);
    expect((await h.mutate('users.remove', owner.cookie, { userId: 'nope' })).status).toBe(400);
    expect(await membership(owner, owner.tenantId)).toBe('owner');
    expect(await membership(admin, owner.tenantId)).toBe('admin');
    // An admin may leave (remove themselves); the organisation keeps its owner.
    expect((await remove(admin, admin)).status).toBe(200);
    expect(await membership(admin, owner.tenantId)).toBeUndefined();
  });

  it('lets only one of two owners removing each other at once succeed', async () => {
    const first = await h.signUp('Owner Duel');
    const second = await h.joinAs(first, 'member');
    await h.t.ownerQuery(
      `update memberships set role = 'owner' where tenant_id = $1 and user_id = $2`,
      [first.tenantId, second.userId],
    );
    const outcomes = await Promise.all([remove(first, second), remove(second, first)]);
    expect(outcomes.map((o) => o.status).sort()).toEqual([200, expect.any(Number)]);
    const owners = await h.t.ownerQuery(
      `select user_id from memberships where tenant_id = $1 and role = 'owner'`,
      [first.tenantId],
    );
    expect(owners).toHaveLength(1);
  });
});
