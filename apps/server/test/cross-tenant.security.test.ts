import { appRouter } from '@platform/api';
import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorld, expectIsolated, type Probe, type World } from './cross-tenant.ts';
import { type Harness, startHarness } from './harness.ts';

/**
 * One probe per procedure. A procedure added to the router without a probe here fails
 * the completeness test below, so every new procedure gets the cross-tenant checks.
 */
const probes: Probe[] = [
  { path: 'tenants.current', kind: 'query' },
  { path: 'users.me', kind: 'query' },
  { path: 'users.list', kind: 'query', input: () => ({ limit: 200 }) },
  {
    path: 'users.updateRole',
    kind: 'mutation',
    input: (w) => ({ userId: w.b.member.userId, role: 'admin' }),
  },
  {
    path: 'users.updateRole',
    kind: 'mutation',
    input: (w) => ({ userId: w.b.owner.userId, role: 'member' }),
  },
];

/** Procedures that need no tenant (none yet); listed so the completeness check stays honest. */
const publicProcedures: string[] = [];

describe.each(testDrivers())('cross-tenant isolation of every procedure (%s)', (driver) => {
  let h: Harness;
  let w: World;
  beforeAll(async () => {
    h = await startHarness(driver);
    w = await buildWorld(h);
  });
  afterAll(() => h?.close());

  it('has a probe for every procedure in the router', () => {
    const all = Object.keys(appRouter._def.procedures).sort();
    const probed = new Set([...probes.map((p) => p.path), ...publicProcedures]);
    expect(all.filter((p) => !probed.has(p))).toEqual([]);
  });

  for (const [i, probe] of probes.entries()) {
    it(`probe ${i + 1}: ${probe.path} cannot reach tenant B`, async () => {
      await expectIsolated(h, w, probe);
    });
  }

  it('still works for the caller’s own tenant (the probes are not vacuous)', async () => {
    const list = await h.query('users.list', w.b.owner.cookie);
    expect(JSON.stringify(list.body)).toContain(w.b.member.email);
    const promote = await h.mutate('users.updateRole', w.b.owner.cookie, {
      userId: w.b.member.userId,
      role: 'admin',
    });
    expect(promote.status).toBe(200);
    const [row] = await h.t.ownerQuery<{ role: string }>(
      'select role from memberships where tenant_id = $1 and user_id = $2',
      [w.b.owner.tenantId, w.b.member.userId],
    );
    expect(row?.role).toBe('admin');
    await h.mutate('users.updateRole', w.b.owner.cookie, {
      userId: w.b.member.userId,
      role: 'member',
    });
  });

  it('ignores a tenant id smuggled into input', async () => {
    const reply = await h.query('users.list', w.a.owner.cookie, { tenantId: w.b.owner.tenantId });
    expect(reply.status).toBe(400);
    expect(JSON.stringify(reply.body)).not.toContain(w.b.member.email);
  });
});
