import type { Config } from '@platform/config';
import { openPglite } from './drivers/pglite.ts';
import { openPostgres } from './drivers/postgres.ts';
import type { Database } from './types.ts';

/** Picks the driver from configuration alone: DATABASE_URL means PostgreSQL, else PGlite. */
export async function openDatabase(
  config: Pick<Config, 'DATABASE_URL' | 'DATABASE_POOL_SIZE' | 'dataDir'>,
): Promise<Database> {
  if (config.DATABASE_URL)
    return openPostgres({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
  return openPglite({ dataDir: config.dataDir });
}
