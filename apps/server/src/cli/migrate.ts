import { openDatabase } from '@platform/db';
import type { Command } from './command.ts';

export const migrate: Command = {
  summary: 'apply pending database migrations (a no-op when up to date)',
  usage: 'npm run platform -- migrate',
  async run(_args, config) {
    const db = await openDatabase(config);
    try {
      const { applied } = await db.migrate();
      const s = await db.migrationStatus();
      console.log(
        applied
          ? `Applied ${applied} migration(s); ${s.applied}/${s.expected} in place.`
          : `Database is up to date (${s.applied}/${s.expected} migrations).`,
      );
      return 0;
    } finally {
      await db.close();
    }
  },
};
