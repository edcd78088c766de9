import { expect } from 'vitest';
import type { Account, Harness, Reply } from './harness.ts';

/** Two organisations: the caller's (A) and a victim (B) with an owner and a plain member. */
export type World = {
  a: { owner: Account };
  b: {
    owner: Account;
    member: { userId: string; email: string };
    /** A searchable document in a collection, with words no other tenant uses. */
    documentId: string;
    collectionId: string;
  };
};

/** Words only tenant B's document contains; a probe's answer must never show them. */
export const B_SECRET = 'zanzibar quokka ledger';
const B_FILE = 'tenant-b-confidential.md';

export async function buildWorld(h: Harness): Promise<World> {
  const a = { owner: await h.signUp('Tenant A Corp') };
  const bOwner = await h.signUp('Tenant B Corp');
  // B's plain member joins by membership row (invitations arrive with a later feature).
  const other = await h.signUp('Tenant B Member Home');
  await h.t.ownerQuery(
    `insert into memberships (tenant_id, user_id, role) values ($1, $2, 'member')`,
    [bOwner.tenantId, other.userId],
  );
  const collection = await h.mutate('collections.create', bOwner.cookie, { name: 'B private' });
  const collectionId = (collection.body.result as { data: { id: string } }).data.id;
  const upload = await h.mutate('knowledge.upload', bOwner.cookie, {
    fileName: B_FILE,
    contentBase64: Buffer.from(`# Board minutes\n\nThe ${B_SECRET} is kept offshore.`).toString(
      'base64',
    ),
    collectionId,
    tags: ['board'],
  });
  const documentId = (upload.body.result as { data: { document: { id: string } } }).data.document
    .id;
  await h.platform.knowledge.start();
  for (let i = 0; ; i++) {
    const [doc] = await h.t.ownerQuery<{ status: string }>(
      'select status from knowledge_documents where id = $1',
      [documentId],
    );
    if (doc?.status === 'ready') break;
    if (i > 600) throw new Error(`tenant B's document did not become ready: ${doc?.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    a,
    b: {
      owner: bOwner,
      member: { userId: other.userId, email: other.email },
      documentId,
      collectionId,
    },
  };
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
      `select * from "${table}" where tenant_id = $1 order by 1, 2`,
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
    w.b.documentId,
    w.b.collectionId,
    B_SECRET,
    B_FILE,
  ])
    expect(text, `${probe.path} leaked ${secret}`).not.toContain(secret);
  expect(await snapshotTenant(h, w.b.owner.tenantId), `${probe.path} changed tenant B`).toEqual(
    before,
  );
  return reply;
}
