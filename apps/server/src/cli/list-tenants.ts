import { sql } from 'drizzle-orm';
import type { Command } from './command.ts';
import { withPlatform } from './open.ts';

export const listTenants: Command = {
  summary: 'list organisations with their slug and member count',
  usage: 'npm run platform -- list-tenants [--json]',
  async run(args, config) {
    const rows = await withPlatform(config, async ({ db }) => {
      const result = await db.withAuth((tx) =>
        tx.execute(sql`select * from platform_list_tenants()`),
      );
      return (result as unknown as { rows: Record<string, unknown>[] }).rows;
    });
    if (args.includes('--json')) {
      console.log(JSON.stringify(rows, null, 2));
      return 0;
    }
    if (!rows.length) {
      console.log('No tenants yet. Create one with: npm run platform -- create-tenant --help');
      return 0;
    }
    console.table(
      rows.map((r) => ({
        id: r.id,
        name: r.name,
        slug: r.slug,
        plan: r.plan,
        members: Number(r.members),
        created: new Date(String(r.created_at)).toISOString(),
      })),
    );
    return 0;
  },
};
