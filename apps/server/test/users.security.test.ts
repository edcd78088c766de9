import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, data, type Harness, startHarness, trpcError } from './harness.ts';

/**
 * Role changes (users.updateRole): admins manage members and admins; only owners grant or
 * remove ownership; the last owner cannot step down. http.test.ts covers a member changing
 * someone's role, the last owner alone, and an admin minting an owner; rbac.security.test.ts
 * the matrix. Here: self-escalation, an admin against owners, races, and what the answers show.
 */
describe.each(testDrivers())('users security (%s)', (driver) => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness(driver);
  });
  afterAll(() => h?.close());

  const roles = async (tenantId: string) =>
    Object.fromEntries(
      (
        await h.t.ownerQuery<{ user_id: string; role: string }>(
          'select user_id, role from memberships where tenant_id = $1',
          [tenantId],
        )
      ).map((r) => [r.user_id, r.role]),
    );
  const setRole = (by: Account, who: Account, role: string) =>
    h.mutate('users.updateRole', by.cookie, { userId: who.userId, role });

  it('lets no member raise their own role', async () => {
    const owner = await h.signUp('Self Raise');
    const member = await h.joinAs(owner, 'member');
    const before = await roles(owner.tenantId);
    for (const role of ['admin', 'owner']) {
      const r = await setRole(member, member, role);
      expect(r.status, r.raw.body).toBe(403);
    }
    expect(await roles(owner.tenantId)).toEqual(before);
  });

  it('lets an admin manage members and admins, but never grant, take or claim ownership', async () => {
    const owner = await h.signUp('Admin Limits');
    const admin = await h.joinAs(owner, 'admin');
    const other = await h.joinAs(owner, 'admin');
    const member = await h.joinAs(owner, 'member');
    expect((await setRole(admin, member, 'admin')).status).toBe(200);
    expect((await setRole(admin, other, 'member')).status).toBe(200);
    for (const [who, role] of [
      [admin, 'owner'],
      [member, 'owner'],
      [owner, 'admin'],
      [owner, 'member'],
    ] as const) {
      const r = await setRole(admin, who, role);
      expect(r.status, `${role}: ${r.raw.body}`).toBe(403);
      expect(trpcError(r).data.field).toBe('role');
    }
    expect(await roles(owner.tenantId)).toEqual({
      [owner.userId]: 'owner',
      [admin.userId]: 'admin',
      [other.userId]: 'member',
      [member.userId]: 'admin',
    });
  });

  it('takes a demotion into account on the very next request', async () => {
    const owner = await h.signUp('Demoted Now');
    const admin = await h.joinAs(owner, 'admin');
    const write = () => h.mutate('collections.create', admin.cookie, { name: `c${Math.random()}` });
    expect((await write()).status).toBe(200);
    expect((await setRole(owner, admin, 'member')).status).toBe(200);
    expect((await write()).status).toBe(403);
    expect((await setRole(admin, admin, 'admin')).status).toBe(403);
  });

  it('keeps an owner when two owners step down or demote each other at the same moment', async () => {
    for (const attempt of ['each other', 'themselves'] as const) {
      const first = await h.signUp(`Race ${attempt}`);
      const second = await h.joinAs(first, 'admin');
      expect((await setRole(first, second, 'owner')).status).toBe(200);
      const replies = await Promise.all(
        attempt === 'each other'
          ? [setRole(first, second, 'admin'), setRole(second, first, 'admin')]
          : [setRole(first, first, 'admin'), setRole(second, second, 'admin')],
      );
      const owners = Object.values(await roles(first.tenantId)).filter((r) => r === 'owner');
      expect(owners, `${attempt}: ${replies.map((r) => r.status)}`).toHaveLength(1);
      // The loser is refused as the last owner (409) or, already demoted, as an admin (403).
      const [won, lost] = replies.map((r) => r.status).sort();
      expect(won).toBe(200);
      expect([403, 409]).toContain(lost);
    }
  });

  it('shows people without credentials: no password hash, secret or session token', async () => {
    const owner = await h.signUp('Shown');
    await h.joinAs(owner, 'member');
    const me = await h.query('users.me', owner.cookie);
    const list = await h.query('users.list', owner.cookie);
    expect(Object.keys(data(me)).sort()).toEqual(
      ['createdAt', 'email', 'emailVerified', 'id', 'image', 'name', 'role', 'tenantId'].sort(),
    );
    for (const item of data<{ items: Record<string, unknown>[] }>(list).items)
      expect(Object.keys(item).sort()).toEqual(
        ['email', 'id', 'image', 'joinedAt', 'name', 'role'].sort(),
      );
    const token = owner.cookie.split('=')[1]?.split('.')[0] ?? '';
    for (const body of [me.raw.body, list.raw.body]) {
      expect(body).not.toMatch(/\$argon2|\$2[aby]\$/);
      expect(body).not.toContain(token);
      expect(body).not.toContain(owner.password);
    }
  });
});
