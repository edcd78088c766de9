import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPglite } from '../drivers/pglite.ts';
import { openPostgres } from '../drivers/postgres.ts';
import type { Database } from '../types.ts';

export type Driver = 'pglite' | 'postgres';

/** The drivers this test run covers: PGlite always, PostgreSQL when DATABASE_URL is set. */
export function testDrivers(): Driver[] {
  return process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

export const TEMPLATE_DATABASE = 'platform_test_template';

/**
 * The template of this test run. Global setup names one per run (PLATFORM_TEST_TEMPLATE, read
 * by the workers it forks), so two runs against one PostgreSQL server (a developer's and a
 * CI job's) never drop each other's template mid-run.
 */
export const templateDatabase = () => process.env.PLATFORM_TEST_TEMPLATE ?? TEMPLATE_DATABASE;

/** A database for one test file, with an owner-level escape hatch that only tests get. */
export type TestDatabase = {
  db: Database;
  driver: Driver;
  /** Connection string of this test database (postgres only). */
  url?: string;
  /** Runs SQL as the owner (superuser), bypassing every runtime safeguard. Tests only. */
  ownerQuery<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
};

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates the migrated template database that every PostgreSQL test file clones. */
export async function preparePostgresTemplate(url: string): Promise<void> {
  const admin = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${templateDatabase()}`);
    await admin.query(`create database ${templateDatabase()}`);
  } finally {
    await admin.end();
  }
  const db = openPostgres({ url: withDatabase(url, templateDatabase()), poolSize: 2 });
  try {
    await db.migrate();
  } finally {
    await db.close();
  }
}

/** Drops this run's template (global teardown). */
export async function dropPostgresTemplate(url: string): Promise<void> {
  const admin = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${templateDatabase()}`);
  } finally {
    await admin.end();
  }
}

/** A fresh, migrated database: in-memory PGlite, or a clone of the PostgreSQL template. */
export async function openTestDatabase(driver: Driver): Promise<TestDatabase> {
  if (driver === 'pglite') {
    const db = await openPglite();
    await db.migrate();
    return {
      db,
      driver,
      ownerQuery: async <T>(text: string, params?: unknown[]) =>
        (await db.client.query(text, params)).rows as T[],
      close: () => db.close(),
    };
  }
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('DATABASE_URL is required for the postgres driver');
  const name = `platform_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: withDatabase(base, 'postgres') });
  await admin.connect();
  await admin.query(`create database ${name} template ${templateDatabase()}`);
  const url = withDatabase(base, name);
  const db = openPostgres({ url, poolSize: 5 });
  const owner = new pg.Pool({ connectionString: url, max: 2 });
  owner.on('error', () => {}); // connections closing while the database is dropped
  return {
    db,
    driver,
    url,
    ownerQuery: async <T>(text: string, params?: unknown[]) =>
      (await owner.query(text, params)).rows as T[],
    close: async () => {
      await db.close();
      await owner.end();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
