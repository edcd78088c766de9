import { expect } from 'vitest';
import type { Account, Harness, Reply } from './harness.ts';

/** Two organisations: the caller's (A) and a victim (B) with an owner and a plain member. */
export type World = {
  a: { owner: Account };
  b: { owner: Account; member: { userId: string; email: string } };
};

export async function buildWorld(h: Harness): Promise<World> {
  const a = { owner: await h.signUp('Tenant A Corp') };
  const bOwner = await h.signUp('Tenant B Corp');
  // B's plain member joins by membership row (invitations arrive with a later feature).
  const other = await h.signUp('Tenant B Member Home');
  await h.t.ownerQuery(
    `insert into memberships (tenant_id, user_id, role) values ($1, $2, 'member')`,
    [bOwner.tenantId, other.userId],
  );
  return { a, b: { owner: bOwner, member: { userId: other.userId, email: other.email } } };
}

/** Every row tenant B owns, across every tenant-scoped table found in the catalog. */
export async function snapshotTenant(
  h: Harness,
  tenantId: string,
): Promise<Record<string, unknown[]>> {
  const tables = await h.t.ownerQuery<{ table: string }>(
    `select c.relname as table from pg_class c join pg_attribute a on a.attrelid = c.oid
      join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind = 'r' and a.attname = 'tenant_id' order by 1`,
  );
  const snapshot: Record<string, unknown[]> = {
    tenants: await h.t.ownerQuery('select * from tenants where id = $1', [tenantId]),
    members: await h.t.ownerQuery(
      'select u.* from users u join memberships m on m.user_id = u.id where m.tenant_id = $1 order by u.id',
      [tenantId],
    ),
  };
  for (const { table } of tables)
    snapshot[table] = await h.t.ownerQuery(
      `select * from "${table}" where tenant_id = $1 order by id`,
      [tenantId],
    );
  return snapshot;
}

export type Probe = {
  /** tRPC path, e.g. `users.updateRole`. */
  path: string;
  kind: 'query' | 'mutation';
  /** Input naming B's resources; omit for procedures without input. */
  input?: (w: World) => unknown;
};

/**
 * Calls a procedure as A's owner with B's ids and asserts isolation: the answer is NOT_FOUND
 * or a success that mentions nothing of B, and none of B's rows changed. One line per
 * procedure: `await expectIsolated(h, world, { path, kind, input })`.
 */
export async function expectIsolated(h: Harness, w: World, probe: Probe): Promise<Reply> {
  const before = await snapshotTenant(h, w.b.owner.tenantId);
  const input = probe.input?.(w);
  const reply =
    probe.kind === 'query'
      ? await h.query(probe.path, w.a.owner.cookie, input)
      : await h.mutate(probe.path, w.a.owner.cookie, input);
  const text = reply.raw.body;
  if (reply.status !== 200) {
    expect(reply.status, `${probe.path}: ${text}`).toBe(404);
    expect((reply.body.error as { data: { code: string } }).data.code).toBe('NOT_FOUND');
  }
  for (const secret of [
    w.b.owner.tenantId,
    w.b.owner.userId,
    w.b.owner.email,
    w.b.member.userId,
    w.b.member.email,
  ])
    expect(text, `${probe.path} leaked ${secret}`).not.toContain(secret);
  expect(await snapshotTenant(h, w.b.owner.tenantId), `${probe.path} changed tenant B`).toEqual(
    before,
  );
  return reply;
}
