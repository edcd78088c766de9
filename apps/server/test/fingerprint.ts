import type { Harness } from './harness.ts';

/** What a fingerprint leaves out of one table: some columns, and rows matching a SQL predicate. */
export type Ignore = Record<string, { columns?: string[]; rows?: string }>;

/**
 * Columns that change when a row is merely used, never by a write the caller asked for:
 * - auth_sessions.last_seen_at: the idle timeout stamps it (at most once a minute) on reads;
 * - api_keys.last_used_at: stamped on every use of a key.
 * Nothing else is left out by default: background workers are not started by the harness, and
 * audit entries are written in the procedure's own transaction, so a refusal leaves none.
 */
export const TOUCHED_ON_READ: Ignore = {
  auth_sessions: { columns: ['last_seen_at'] },
  api_keys: { columns: ['last_used_at'] },
};

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * A cheap digest of every table in the public schema (the new ones included, found in the
 * catalog): its row count and an order-independent hash of its rows as JSON. Two equal
 * fingerprints mean no row was added, removed or changed. One query for all tables.
 */
export async function fingerprint(
  h: Harness,
  ignore: Ignore = {},
): Promise<Record<string, string>> {
  const tables = await h.t.ownerQuery<{ name: string }>(
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relname not like '\\_\\_%'
      order by 1`,
  );
  const parts = tables.map(({ name }) => {
    const skip = { ...TOUCHED_ON_READ[name], ...ignore[name] };
    const columns = [...(TOUCHED_ON_READ[name]?.columns ?? []), ...(ignore[name]?.columns ?? [])];
    const row = columns.length
      ? `(to_jsonb(x) - array[${columns.map(literal).join(', ')}]::text[])`
      : 'to_jsonb(x)';
    const where = skip.rows ? `where not (${skip.rows})` : '';
    return `select ${literal(name)} as name, count(*)::text || ':' ||
        coalesce(md5(string_agg(md5(${row}::text), '' order by md5(${row}::text))), '') as digest
      from ${ident(name)} x ${where}`;
  });
  const rows = await h.t.ownerQuery<{ name: string; digest: string }>(parts.join(' union all '));
  return Object.fromEntries(rows.map((r) => [r.name, r.digest]));
}
