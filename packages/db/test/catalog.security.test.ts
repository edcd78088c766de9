import {
  findIsolationProblems,
  openTestDatabase,
  type TestDatabase,
  testDrivers,
} from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe.each(testDrivers())('tenant isolation catalog (%s)', (driver) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(driver);
  });
  afterAll(() => t?.close());

  it('has forced RLS and four tenant policies on every table with tenant_id', async () => {
    expect(await findIsolationProblems(t.ownerQuery)).toEqual([]);
  });

  it('covers the seed tables and the ones auth and jobs need', async () => {
    const rows = await t.ownerQuery<{ table: string }>(
      `select c.relname as table from pg_class c join pg_attribute a on a.attrelid = c.oid
        where a.attname = 'tenant_id' and c.relkind = 'r' order by 1`,
    );
    expect(rows.map((r) => r.table)).toEqual(
      expect.arrayContaining([
        'ai_personalities',
        'api_keys',
        'audit_logs',
        'budget_alerts',
        'chat_sessions',
        'collections',
        'cost_events',
        'cost_summaries',
        'data_requests',
        'jobs',
        'knowledge_chunks',
        'knowledge_documents',
        'meetings',
        'memberships',
        'messages',
        'widgets',
      ]),
    );
  });

  it('flags a new tenant table without RLS, and one missing a policy', async () => {
    await t.ownerQuery('create table rogue_notes (id serial primary key, tenant_id uuid not null)');
    await t.ownerQuery('create table half_done (id serial primary key, tenant_id uuid not null)');
    await t.ownerQuery('alter table half_done enable row level security');
    await t.ownerQuery('alter table half_done force row level security');
    await t.ownerQuery(
      'create policy tenant_select on half_done for select using (tenant_id = platform_current_tenant())',
    );
    try {
      const problems = await findIsolationProblems(t.ownerQuery);
      expect(problems).toContain('rogue_notes: row level security is not enabled');
      expect(problems).toContain('rogue_notes: row level security is not forced');
      expect(problems).toContain('rogue_notes: no tenant_id policy for DELETE');
      expect(problems).toContain('half_done: no tenant_id policy for INSERT');
      expect(problems).not.toContain('half_done: no tenant_id policy for SELECT');
    } finally {
      await t.ownerQuery('drop table rogue_notes');
      await t.ownerQuery('drop table half_done');
    }
  });

  it('flags a permissive policy that would open a table to everyone', async () => {
    await t.ownerQuery('create policy leak on widgets for select using (true)');
    try {
      expect(await findIsolationProblems(t.ownerQuery)).toContain(
        'widgets: unexpected policy leak (r to public)',
      );
    } finally {
      await t.ownerQuery('drop policy leak on widgets');
    }
  });

  it('runs the runtime as roles that are not superusers, owners, or RLS-exempt', async () => {
    const roles = await t.ownerQuery<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean }>(
      `select rolname, rolsuper, rolbypassrls from pg_roles where rolname like 'platform\\_%' order by 1`,
    );
    expect(roles.map((r) => r.rolname)).toEqual([
      'platform_auth',
      'platform_definer',
      'platform_runtime',
    ]);
    for (const r of roles) expect([r.rolsuper, r.rolbypassrls]).toEqual([false, false]);
    const owners = await t.ownerQuery<{ owner: string }>(
      `select distinct pg_get_userbyid(relowner) as owner from pg_class c
         join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and relkind = 'r'`,
    );
    expect(owners.map((o) => o.owner)).not.toContain('platform_runtime');
  });

  it('migrates idempotently: a second run applies nothing and changes no catalog', async () => {
    const snapshot = () =>
      t.ownerQuery(
        `select c.relname, p.polname from pg_policy p join pg_class c on c.oid = p.polrelid order by 1, 2`,
      );
    const before = await snapshot();
    expect(await t.db.migrate()).toEqual({ applied: 0 });
    expect(await snapshot()).toEqual(before);
    expect(await t.db.migrationStatus()).toMatchObject({ current: true });
  });
});
