/** `npm run db:migrate`: applies pending migrations to DATABASE_URL (or the embedded database). */
import { loadConfig } from '@platform/config';
import { openDatabase } from '../open.ts';

const config = loadConfig();
const db = await openDatabase(config);
try {
  const { applied } = await db.migrate();
  const status = await db.migrationStatus();
  console.log(
    applied === 0
      ? `Database is up to date (${status.applied}/${status.expected} migrations).`
      : `Applied ${applied} migration(s); ${status.applied}/${status.expected} in place.`,
  );
} finally {
  await db.close();
}
