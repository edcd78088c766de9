import { openTestDatabase, type TestDatabase, testDrivers } from '@platform/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type Row = Record<string, unknown>;
const rows = (r: unknown) => (r as { rows: Row[] }).rows;

/** Drizzle wraps driver errors ("Failed query: ..."); the database's own words are the cause. */
async function expectDbError(work: Promise<unknown>, pattern: RegExp) {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e as Error & { cause?: Error },
  );
  expect(error, 'expected the database to refuse').toBeDefined();
  expect(error?.cause?.message ?? error?.message).toMatch(pattern);
}

describe.each(testDrivers())('raw SQL inside withTenant (%s)', (driver) => {
  let t: TestDatabase;
  let a: string;
  let b: string;
  let widgetB: string;

  beforeAll(async () => {
    t = await openTestDatabase(driver);
    const made = await t.ownerQuery<{ id: string }>(
      `insert into tenants (name, slug) values ('A', 'a'), ('B', 'b') returning id`,
    );
    [a, b] = made.map((m) => m.id) as [string, string];
    const [w] = await t.ownerQuery<{ id: string }>(
      `insert into widgets (tenant_id, name, public_key) values ($1, 'B widget', 'pk_b') returning id`,
      [b],
    );
    widgetB = (w as { id: string }).id;
    await t.ownerQuery(
      `insert into widgets (tenant_id, name, public_key) values ($1, 'A widget', 'pk_a')`,
      [a],
    );
  });
  afterAll(() => t?.close());

  const widgetsOfB = () =>
    t.ownerQuery(`select id, name, public_key from widgets where tenant_id = $1 order by id`, [b]);

  it('runs as the runtime role with the tenant pinned to the transaction', async () => {
    const [r] = rows(
      await t.db.withTenant(a, (tx) =>
        tx.execute(
          sql`select current_user as who, current_setting('app.current_tenant_id') as tenant`,
        ),
      ),
    );
    expect(r).toEqual({ who: 'platform_runtime', tenant: a });
    // Nothing leaks to the next transaction on the same connection.
    const [after] = rows(
      await t.db.withAuth((tx) =>
        tx.execute(
          sql`select current_user as who, current_setting('app.current_tenant_id', true) as tenant`,
        ),
      ),
    );
    expect(after).toEqual({ who: 'platform_auth', tenant: '' });
  });

  it('cannot SELECT the other tenant rows, even without a WHERE clause', async () => {
    const seen = rows(
      await t.db.withTenant(a, (tx) => tx.execute(sql`select name, tenant_id from widgets`)),
    );
    expect(seen).toEqual([{ name: 'A widget', tenant_id: a }]);
    const byId = rows(
      await t.db.withTenant(a, (tx) =>
        tx.execute(sql`select * from widgets where id = ${widgetB}`),
      ),
    );
    expect(byId).toEqual([]);
    const tenants = rows(await t.db.withTenant(a, (tx) => tx.execute(sql`select id from tenants`)));
    expect(tenants).toEqual([{ id: a }]);
  });

  it('sees only the users who are members of its own tenant', async () => {
    const people = await t.ownerQuery<{ id: string }>(
      `insert into users (name, email) values ('In A', 'in-a@example.com'), ('In B', 'in-b@example.com') returning id`,
    );
    const [inA, inB] = people.map((p) => p.id) as [string, string];
    await t.ownerQuery(`insert into memberships (tenant_id, user_id) values ($1, $2), ($3, $4)`, [
      a,
      inA,
      b,
      inB,
    ]);
    const seen = rows(await t.db.withTenant(a, (tx) => tx.execute(sql`select email from users`)));
    expect(seen).toEqual([{ email: 'in-a@example.com' }]);
    await expectDbError(
      t.db.withTenant(a, (tx) => tx.execute(sql`update users set name = 'x' where id = ${inA}`)),
      /permission denied/,
    );
  });

  it('reads the caller membership with the transaction opening, only within its tenant', async () => {
    const [person] = await t.ownerQuery<{ id: string }>(
      `insert into users (name, email) values ('Member', 'member-of-a@example.com') returning id`,
    );
    const userId = (person as { id: string }).id;
    await t.ownerQuery(
      `insert into memberships (tenant_id, user_id, role) values ($1, $2, 'admin')`,
      [a, userId],
    );
    const inA = await t.db.withTenant(a, async (_tx, member) => member, { memberId: userId });
    expect(inA).toEqual({ role: 'admin', mfaBlocked: false });
    // The organisation's MFA policy comes with the membership: blocked until they enrol.
    await t.ownerQuery(`update tenants set settings = '{"requireMfa": true}' where id = $1`, [a]);
    expect(await t.db.withTenant(a, async (_tx, m) => m, { memberId: userId })).toEqual({
      role: 'admin',
      mfaBlocked: true,
    });
    await t.ownerQuery('update users set two_factor_enabled = true where id = $1', [userId]);
    expect(await t.db.withTenant(a, async (_tx, m) => m?.mfaBlocked, { memberId: userId })).toBe(
      false,
    );
    await t.ownerQuery(`update tenants set settings = '{}' where id = $1`, [a]);
    const inB = await t.db.withTenant(b, async (_tx, member) => member, { memberId: userId });
    expect(inB).toBeNull();
    expect(await t.db.withTenant(a, async (_tx, member) => member)).toBeNull();
    await expect(t.db.withTenant(a, async () => 1, { memberId: "x' or '1'='1" })).rejects.toThrow(
      /UUID/,
    );
  });

  it('cannot INSERT rows into the other tenant', async () => {
    const before = await widgetsOfB();
    await expectDbError(
      t.db.withTenant(a, (tx) =>
        tx.execute(
          sql`insert into widgets (tenant_id, name, public_key) values (${b}, 'evil', 'pk_evil')`,
        ),
      ),
      /row-level security/,
    );
    expect(await widgetsOfB()).toEqual(before);
  });

  it('cannot UPDATE the other tenant rows, nor move its own rows there', async () => {
    const before = await widgetsOfB();
    const updated = await t.db.withTenant(a, (tx) =>
      tx.execute(sql`update widgets set name = 'hijacked' where id = ${widgetB} returning id`),
    );
    expect(rows(updated)).toEqual([]);
    await expectDbError(
      t.db.withTenant(a, (tx) =>
        tx.execute(sql`update widgets set tenant_id = ${b} where tenant_id = ${a}`),
      ),
      /row-level security/,
    );
    expect(await widgetsOfB()).toEqual(before);
  });

  it('cannot DELETE the other tenant rows', async () => {
    const before = await widgetsOfB();
    const deleted = await t.db.withTenant(a, (tx) =>
      tx.execute(sql`delete from widgets returning id`),
    );
    expect(rows(deleted)).toHaveLength(1); // only A's own widget
    expect(await widgetsOfB()).toEqual(before);
    await t.ownerQuery(
      `insert into widgets (tenant_id, name, public_key) values ($1, 'A widget', 'pk_a2')`,
      [a],
    );
  });

  it('cannot escape the role or read credentials', async () => {
    await expectDbError(
      t.db.withTenant(a, (tx) => tx.execute(sql`select * from accounts`)),
      /permission denied/,
    );
    await expect(
      t.db.withTenant(a, (tx) => tx.execute(sql`reset role`)).then(() => 'reset'),
    ).resolves.toBe('reset');
    // RESET ROLE inside the transaction returns to the session user, but the transaction
    // ends with it: the next one is scoped again.
    const [r] = rows(await t.db.withTenant(a, (tx) => tx.execute(sql`select current_user as who`)));
    expect(r).toEqual({ who: 'platform_runtime' });
  });

  it('keeps audit logs append-only for the runtime role', async () => {
    await t.db.withTenant(a, (tx) =>
      tx.execute(
        sql`insert into audit_logs (tenant_id, actor_type, action) values (${a}, 'system', 'test')`,
      ),
    );
    await expectDbError(
      t.db.withTenant(a, (tx) => tx.execute(sql`update audit_logs set action = 'rewritten'`)),
      /permission denied/,
    );
    await expectDbError(
      t.db.withTenant(a, (tx) => tx.execute(sql`delete from audit_logs`)),
      /permission denied/,
    );
  });

  it('erases an organisation only for itself, and only while its due deletion is processing', async () => {
    const [c] = await t.ownerQuery<{ id: string }>(
      `insert into tenants (name, slug) values ('C', 'c-erasable') returning id`,
    );
    const tc = (c as { id: string }).id;
    const erase = (tenant: string, target: string, request: string) =>
      t.db.withTenant(tenant, (tx) =>
        tx.execute(sql`select platform_erase_tenant(${target}::uuid, ${request}::uuid) as erased`),
      );
    const ask = async (status: string, due: string) => {
      const [r] = await t.ownerQuery<{ id: string }>(
        `insert into data_requests (tenant_id, type, scope, status, due_at)
         values ($1, 'deletion', 'tenant', $2, now() + $3::interval) returning id`,
        [tc, status, due],
      );
      return (r as { id: string }).id;
    };
    const scheduled = await ask('scheduled', '-1 minute');
    const early = await ask('processing', '1 day');
    const due = await ask('processing', '-1 minute');
    await t.ownerQuery(
      `insert into audit_logs (tenant_id, actor_type, action) values ($1, 'system', 'kept')`,
      [tc],
    );
    // Another tenant cannot erase C, not even naming C's own due request.
    await expectDbError(erase(a, tc, due), /only the current tenant/);
    // C itself needs a due request that a job has claimed.
    await expectDbError(erase(tc, tc, scheduled), /no due deletion/);
    await expectDbError(erase(tc, tc, early), /no due deletion/);
    const [done] = rows(await erase(tc, tc, due));
    expect(done).toEqual({ erased: true });
    for (const table of ['tenants', 'audit_logs', 'data_requests']) {
      const column = table === 'tenants' ? 'id' : 'tenant_id';
      const left = await t.ownerQuery(`select 1 from ${table} where ${column} = $1`, [tc]);
      expect(left, table).toEqual([]);
    }
    // A and B are untouched.
    expect(
      await t.ownerQuery('select id from tenants where id = any($1::uuid[])', [[a, b]]),
    ).toHaveLength(2);
  });

  it('names the organisations of a person only while their erasure is processing there', async () => {
    const [u] = await t.ownerQuery<{ id: string }>(
      `insert into users (email, name) values ('naming@example.com', 'Nadia') returning id`,
    );
    const uid = (u as { id: string }).id;
    await t.ownerQuery(
      `with s as (insert into chat_sessions (tenant_id, channel) values ($1, 'dashboard') returning id)
       insert into messages (tenant_id, session_id, role, author_type, author_user_id, author_name, content)
       select $1, s.id, 'assistant', 'agent', $2, 'Nadia', 'hi' from s`,
      [b, uid],
    );
    const naming = (request: string) =>
      t.db.withTenant(a, (tx) =>
        tx.execute(
          sql`select tenant_id from platform_tenants_naming_user(${uid}::uuid, ${request}::uuid)`,
        ),
      );
    const [pending] = await t.ownerQuery<{ id: string }>(
      `insert into data_requests (tenant_id, user_id, type, scope, status)
       values ($1, $2, 'deletion', 'user', 'scheduled') returning id`,
      [a, uid],
    );
    const pendingId = (pending as { id: string }).id;
    await expectDbError(naming(pendingId), /no export or erasure of this person/);
    await t.ownerQuery(`update data_requests set status = 'processing' where id = $1`, [pendingId]);
    // B, where Nadia wrote (she is no member there), and A, where her request is.
    const named = rows(await naming(pendingId)).map((r) => r.tenant_id);
    expect(named.sort()).toEqual([a, b].sort());
    // The request must be in the caller's own tenant.
    await expectDbError(
      t.db.withTenant(b, (tx) =>
        tx.execute(
          sql`select * from platform_tenants_naming_user(${uid}::uuid, ${pendingId}::uuid)`,
        ),
      ),
      /no export or erasure of this person/,
    );
    // An export of the person, while it is processing, may ask too; it also reaches an
    // organisation whose audit log alone names them.
    const c = await t.ownerQuery<{ id: string }>(
      `insert into tenants (name, slug) values ('Audit Only', 'audit-only-${Date.now()}') returning id`,
    );
    const tc = (c[0] as { id: string }).id;
    await t.ownerQuery(
      `insert into audit_logs (tenant_id, actor_type, action, resource_type, resource_id)
       values ($1, 'system', 'member.removed', 'user', $2)`,
      [tc, uid],
    );
    const [exporting] = await t.ownerQuery<{ id: string }>(
      `insert into data_requests (tenant_id, user_id, type, scope, status)
       values ($1, $2, 'export', 'user', 'pending') returning id`,
      [a, uid],
    );
    const exportId = (exporting as { id: string }).id;
    await expectDbError(naming(exportId), /no export or erasure of this person/);
    await t.ownerQuery(`update data_requests set status = 'processing' where id = $1`, [exportId]);
    expect(
      rows(await naming(exportId))
        .map((r) => r.tenant_id)
        .sort(),
    ).toEqual([a, b, tc].sort());
  });

  it('gives the auth role identity tables but no tenant data', async () => {
    await expectDbError(
      t.db.withAuth((tx) => tx.execute(sql`select * from widgets`)),
      /permission denied/,
    );
    // Identity is global: the auth role sees every user, across tenants.
    await t.ownerQuery(`insert into users (name, email) values ('Global', 'global@example.com')`);
    const users = rows(
      await t.db.withAuth((tx) => tx.execute(sql`select count(*)::int as n from users`)),
    );
    const all = await t.ownerQuery<{ n: number }>('select count(*)::int as n from users');
    expect(users).toEqual(all);
    expect(all[0]?.n).toBeGreaterThan(0);
  });

  it('rolls the transaction back when the callback throws', async () => {
    await expect(
      t.db.withTenant(a, async (tx) => {
        await tx.execute(
          sql`insert into widgets (tenant_id, name, public_key) values (${a}, 'tmp', 'pk_tmp')`,
        );
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const left = await t.ownerQuery(`select 1 from widgets where public_key = 'pk_tmp'`);
    expect(left).toEqual([]);
  });

  it('refuses a tenant id that is not a UUID', async () => {
    await expect(t.db.withTenant("' or 1=1 --", async () => 1)).rejects.toThrow(/must be a UUID/);
  });

  // PGlite lives in-process and has no connections to lose.
  const onServer = driver === 'postgres' ? it : undefined;
  onServer?.('recovers when the server drops its connections (restart, failover)', async () => {
    await Promise.all([1, 2, 3].map(() => t.db.withTenant(a, (tx) => tx.execute(sql`select 1`))));
    await t.ownerQuery(
      `select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and usename = current_user`,
    );
    await new Promise((r) => setTimeout(r, 100));
    const attempt = () => t.db.withTenant(a, (tx) => tx.execute(sql`select name from widgets`));
    // The first checkout may still find a dead socket; it fails cleanly and is discarded.
    const results = await Promise.allSettled([attempt(), attempt(), attempt(), attempt()]);
    for (const r of results)
      if (r.status === 'rejected')
        expect(String(r.reason)).toMatch(/terminat|connection|closed|ECONNRESET/i);
    const after = await attempt();
    expect(rows(after).length).toBeGreaterThan(0);
  });
});
