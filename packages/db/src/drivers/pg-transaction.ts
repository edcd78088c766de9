import { NodePgSession, NodePgTransaction } from 'drizzle-orm/node-postgres';
import { PgDialect } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { isUuid, membershipSql } from '../roles.ts';
import type { Membership, Tx } from '../types.ts';

const dialect = new PgDialect({ casing: 'snake_case' });

/**
 * A scoped transaction on node-postgres whose opening costs one round trip: BEGIN, the role
 * switch, the tenant setting and (optionally) the caller's membership go as one
 * simple-protocol message (the role is one of our constants and the ids validated UUIDs, so
 * nothing user-supplied is spliced in). The
 * rest is drizzle's own transaction object, savepoints included.
 */
export async function pgScopedTransaction<T>(
  pool: pg.Pool,
  role: string,
  tenantId: string,
  fn: (tx: Tx, member: Membership | null) => Promise<T>,
  memberId?: string,
): Promise<T> {
  if (!/^[a-z_]+$/.test(role) || (tenantId !== '' && !isUuid(tenantId)))
    throw new TypeError('pgScopedTransaction: invalid role or tenant id');
  // The membership look-up (when asked for) rides in the same message, after the scope is set.
  const opening = `begin; select set_config('role', '${role}', true), set_config('app.current_tenant_id', '${tenantId}', true)${
    memberId ? `; ${membershipSql(tenantId, memberId)}` : ''
  }`;
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const tx = new NodePgTransaction(
      dialect,
      new NodePgSession(client, dialect, undefined),
      undefined,
    );
    try {
      const results = (await client.query(opening)) as unknown as pg.QueryResult[];
      const roleRow = memberId ? results[results.length - 1]?.rows[0] : undefined;
      const member: Membership | null = roleRow
        ? { role: roleRow.role as Membership['role'], mfaBlocked: roleRow.mfa_blocked === true }
        : null;
      const result = await fn(tx as unknown as Tx, member);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch((e: Error) => {
        broken = e;
      });
      throw error;
    }
  } catch (error) {
    broken ??= isConnectionError(error) ? (error as Error) : undefined;
    throw error;
  } finally {
    // A connection that failed mid-transaction is destroyed rather than handed to the next request.
    client.release(broken);
  }
}

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return !code || code.startsWith('08') || code === '57P01';
}
