import { appRouter } from '@platform/api';
import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { B_SECRET, buildWorld, expectIsolated, type Probe, type World } from './cross-tenant.ts';
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
  {
    path: 'knowledge.upload',
    kind: 'mutation',
    input: (w) => ({
      fileName: 'a.md',
      contentBase64: Buffer.from('# A\n\nfiled into B').toString('base64'),
      collectionId: w.b.collectionId,
    }),
  },
  { path: 'knowledge.list', kind: 'query', input: (w) => ({ collectionId: w.b.collectionId }) },
  { path: 'knowledge.list', kind: 'query', input: () => ({ limit: 200 }) },
  { path: 'knowledge.get', kind: 'query', input: (w) => ({ documentId: w.b.documentId }) },
  {
    path: 'knowledge.update',
    kind: 'mutation',
    input: (w) => ({ documentId: w.b.documentId, title: 'taken over', tags: ['x'] }),
  },
  { path: 'knowledge.remove', kind: 'mutation', input: (w) => ({ documentId: w.b.documentId }) },
  { path: 'knowledge.search', kind: 'query', input: () => ({ query: B_SECRET, limit: 50 }) },
  {
    path: 'knowledge.search',
    kind: 'query',
    input: (w) => ({
      query: B_SECRET,
      filters: { documentIds: [w.b.documentId], collectionId: w.b.collectionId, tags: ['board'] },
    }),
  },
  { path: 'collections.list', kind: 'query' },
  { path: 'collections.create', kind: 'mutation', input: () => ({ name: 'B private' }) },
  {
    path: 'collections.remove',
    kind: 'mutation',
    input: (w) => ({ collectionId: w.b.collectionId }),
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
  }, 120_000);
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
    const found = await h.query('knowledge.search', w.b.owner.cookie, { query: B_SECRET });
    expect(JSON.stringify(found.body)).toContain(B_SECRET);
    const doc = await h.query('knowledge.get', w.b.owner.cookie, { documentId: w.b.documentId });
    expect(doc.status).toBe(200);
  });

  it('ignores a tenant id smuggled into input', async () => {
    const reply = await h.query('users.list', w.a.owner.cookie, { tenantId: w.b.owner.tenantId });
    expect(reply.status).toBe(400);
    expect(JSON.stringify(reply.body)).not.toContain(w.b.member.email);
  });
});
