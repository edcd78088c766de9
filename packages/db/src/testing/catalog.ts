import { AUTH_ROLE, RUNTIME_ROLE } from '../roles.ts';

type Query = <T = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<T[]>;

const COMMANDS: Record<string, string> = { r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' };
const DEFINER_ROLE = 'platform_definer';

/**
 * Reads the catalog and lists every breach of the tenant-isolation invariant (DESIGN 3):
 * a table with tenant_id lacking ENABLE or FORCE RLS, lacking a tenant policy for any of
 * the four commands, or carrying any other policy except a SELECT-only one for the definer
 * role; and runtime roles that are superusers, own tables, or bypass RLS.
 */
export async function findIsolationProblems(query: Query): Promise<string[]> {
  const problems: string[] = [];
  const tables = await query<{ table: string; rls: boolean; forced: boolean; owner: string }>(
    `select c.relname as table, c.relrowsecurity as rls, c.relforcerowsecurity as forced,
            pg_get_userbyid(c.relowner) as owner
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p')
        and exists (select 1 from pg_attribute a where a.attrelid = c.oid
                    and a.attname = 'tenant_id' and not a.attisdropped)
      order by 1`,
  );
  if (tables.length === 0) problems.push('no tenant tables found (wrong database?)');
  const policies = await query<{
    table: string;
    name: string;
    cmd: string;
    roles: string;
    qual: string | null;
    check: string | null;
  }>(
    `select c.relname as table, p.polname as name, p.polcmd as cmd,
            coalesce((select string_agg(case when r = 0 then 'public' else pg_get_userbyid(r) end, ',')
                        from unnest(p.polroles) r), '') as roles,
            pg_get_expr(p.polqual, p.polrelid) as qual,
            pg_get_expr(p.polwithcheck, p.polrelid) as check
       from pg_policy p join pg_class c on c.oid = p.polrelid`,
  );
  const isTenantPredicate = (e: string | null) =>
    e !== null && /^\(?tenant_id = platform_current_tenant\(\)\)?$/.test(e.trim());
  for (const t of tables) {
    if (!t.rls) problems.push(`${t.table}: row level security is not enabled`);
    if (!t.forced) problems.push(`${t.table}: row level security is not forced`);
    const own = policies.filter((p) => p.table === t.table);
    for (const [cmd, label] of Object.entries(COMMANDS)) {
      const ok = own.some(
        (p) =>
          p.cmd === cmd &&
          p.roles === 'public' &&
          (cmd === 'a' || isTenantPredicate(p.qual)) &&
          (cmd === 'r' || cmd === 'd' || isTenantPredicate(p.check)),
      );
      if (!ok) problems.push(`${t.table}: no tenant_id policy for ${label}`);
    }
    for (const p of own) {
      if (p.cmd === '*') problems.push(`${t.table}: policy ${p.name} applies to ALL commands`);
      const tenantShaped =
        p.roles === 'public' && (isTenantPredicate(p.qual) || isTenantPredicate(p.check));
      const definerRead = p.roles === DEFINER_ROLE && p.cmd === 'r';
      if (!tenantShaped && !definerRead)
        problems.push(`${t.table}: unexpected policy ${p.name} (${p.cmd} to ${p.roles})`);
    }
  }
  const roles = await query<{ name: string; super: boolean; bypass: boolean; login: boolean }>(
    `select rolname as name, rolsuper as super, rolbypassrls as bypass, rolcanlogin as login
       from pg_roles where rolname = any($1)`,
    [[RUNTIME_ROLE, AUTH_ROLE, DEFINER_ROLE]],
  );
  for (const name of [RUNTIME_ROLE, AUTH_ROLE, DEFINER_ROLE]) {
    const r = roles.find((x) => x.name === name);
    if (!r) problems.push(`role ${name} is missing`);
    else {
      if (r.super) problems.push(`role ${name} is a superuser`);
      if (r.bypass) problems.push(`role ${name} has BYPASSRLS`);
      if (r.login) problems.push(`role ${name} can log in`);
    }
  }
  const owned = await query<{ table: string; owner: string }>(
    `select c.relname as table, pg_get_userbyid(c.relowner) as owner
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm')
        and pg_get_userbyid(c.relowner) = any($1)`,
    [[RUNTIME_ROLE, AUTH_ROLE]],
  );
  for (const o of owned) problems.push(`${o.table} is owned by runtime role ${o.owner}`);
  return problems;
}
