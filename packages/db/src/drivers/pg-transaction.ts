import { NodePgSession, NodePgTransaction } from 'drizzle-orm/node-postgres';
import { PgDialect } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { isUuid } from '../roles.ts';
import type { Tx } from '../types.ts';

const dialect = new PgDialect({ casing: 'snake_case' });

/**
 * A scoped transaction on node-postgres whose opening costs one round trip: BEGIN, the role
 * switch and the tenant setting go as one simple-protocol message (the role is one of our
 * constants and the tenant a validated UUID, so nothing user-supplied is spliced in). The
 * rest is drizzle's own transaction object, savepoints included.
 */
export async function pgScopedTransaction<T>(
  pool: pg.Pool,
  role: string,
  tenantId: string,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  if (!/^[a-z_]+$/.test(role) || (tenantId !== '' && !isUuid(tenantId)))
    throw new TypeError('pgScopedTransaction: invalid role or tenant id');
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(
      `begin; select set_config('role', '${role}', true), set_config('app.current_tenant_id', '${tenantId}', true)`,
    );
    const tx = new NodePgTransaction(
      dialect,
      new NodePgSession(client, dialect, undefined),
      undefined,
    );
    try {
      const result = await fn(tx as unknown as Tx);
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
