import { appRouter, PERMISSIONS, type Permission } from '@platform/api';
import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, type Harness, type Reply, startHarness } from './harness.ts';

/**
 * Walks the permission matrix (packages/api/src/permissions.ts) across every procedure and
 * role: a caller below a procedure's permission is refused before anything runs (401 without
 * a session, 403 with too low a role), whatever the input; a caller at or above it gets past
 * the check (the empty input may then be refused as a 400, which is fine here). What each
 * allowed call does is the business of the procedure's own tests.
 */
const procedures = Object.entries(appRouter._def.procedures).map(([path, procedure]) => ({
  path,
  type: (procedure as { _def: { type: 'query' | 'mutation' } })._def.type,
}));
const roles = ['viewer', 'member', 'admin', 'owner'] as const;
type Caller = 'anonymous' | (typeof roles)[number];
const RANK: Record<Caller, number> = { anonymous: 0, viewer: 1, member: 2, admin: 3, owner: 4 };
const NEEDS: Record<Permission, number> = {
  public: 0,
  'signed-in': 1,
  viewer: 1,
  member: 2,
  admin: 3,
  owner: 4,
};

it('declares a permission for every procedure, and none for procedures that do not exist', () => {
  const paths = procedures.map((p) => p.path).sort();
  expect(paths.filter((p) => !(p in PERMISSIONS))).toEqual([]);
  expect(Object.keys(PERMISSIONS).filter((p) => !paths.includes(p))).toEqual([]);
});

describe.each(testDrivers())('permission matrix (%s)', (driver) => {
  let h: Harness;
  const accounts = {} as Record<(typeof roles)[number], Account>;

  beforeAll(async () => {
    h = await startHarness(driver);
    accounts.owner = await h.signUp('Matrix Org');
    accounts.admin = await h.joinAs(accounts.owner, 'admin');
    accounts.member = await h.joinAs(accounts.owner, 'member');
    accounts.viewer = await h.joinAs(accounts.owner, 'viewer');
  }, 60_000);
  afterAll(() => h?.close());

  const call = (path: string, type: 'query' | 'mutation', caller: Caller): Promise<Reply> => {
    const cookie = caller === 'anonymous' ? undefined : accounts[caller].cookie;
    return type === 'query' ? h.query(path, cookie, {}) : h.mutate(path, cookie, {});
  };

  describe.each(procedures)('$path', ({ path, type }) => {
    it.each(['anonymous', ...roles] as Caller[])('as %s', async (caller) => {
      const needed = PERMISSIONS[path] as Permission;
      const reply = await call(path, type, caller);
      const allowed = RANK[caller] >= NEEDS[needed];
      const why = `${caller} → ${path} (needs ${needed}): ${reply.status} ${reply.raw.body.slice(0, 200)}`;
      if (allowed) expect([401, 403], why).not.toContain(reply.status);
      else expect(reply.status, why).toBe(caller === 'anonymous' ? 401 : 403);
    });
  });
});
