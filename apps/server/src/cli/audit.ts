import { type AuditLogEntry, entryView, filterConditions, selectEntries } from '@platform/api';
import { tenantBySlug } from '../tenant-by-slug.ts';
import { parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';
import { withPlatform } from './open.ts';
import { parseSince } from './since.ts';
import { UsageError } from './usage-error.ts';

const usage = `npm run platform -- audit --tenant <slug> --since <15m|1h|2d|1w|ISO date> [--action <prefix>] [--limit <n>] [--json]

Prints an organisation's audit log since then, newest first: time, actor, action, target and
client IP. --action keeps actions starting with the prefix (e.g. member. or provider_key).
--limit caps the entries printed (default 1000, at most 50000).`;

const ACTION = /^[\w.:-]{1,100}$/;

/** Who acted, for one line: a member's email (a key names its creator), else the actor's id. */
function actorOf(e: AuditLogEntry): string {
  const who = e.actor.email ?? e.actor.userId;
  if (e.actor.type === 'user') return e.actor.email ?? `user:${e.actor.userId}`;
  return who ? `${e.actor.type}:${who}` : e.actor.type;
}

const targetOf = (e: AuditLogEntry) =>
  e.resourceType ? `${e.resourceType}${e.resourceId ? `:${e.resourceId}` : ''}` : '-';

export const audit: Command = {
  summary: "print an organisation's audit log (who did what, when, from where)",
  usage,
  async run(args, config) {
    const { values } = parseCommandArgs(
      args,
      {
        tenant: { type: 'string' },
        since: { type: 'string' },
        action: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      usage,
    );
    if (!values.tenant) throw new UsageError(`--tenant is required\n\n${usage}`);
    if (!values.since) throw new UsageError(`--since is required\n\n${usage}`);
    const since = parseSince(values.since, usage);
    if (values.action !== undefined && !ACTION.test(values.action))
      throw new UsageError(
        `--action must be an action or its prefix (letters, digits, _ . : -), e.g. member.\n\n${usage}`,
      );
    const limit = values.limit === undefined ? 1000 : Number(values.limit);
    if (!/^\d+$/.test(values.limit ?? '1000') || limit < 1 || limit > 50_000)
      throw new UsageError(`--limit must be a whole number from 1 to 50000\n\n${usage}`);
    const slug = values.tenant;
    return withPlatform(config, async ({ db }) => {
      const tenant = await tenantBySlug(db, slug, { createIfMissing: false });
      if (!tenant) {
        console.error(`No organisation with slug "${slug}"`);
        return 2;
      }
      const where = filterConditions(tenant.id, {
        since: since.toISOString(),
        ...(values.action ? { actionPrefix: values.action } : {}),
      });
      const rows = await db.withTenant(tenant.id, (tx) => selectEntries(tx, where, limit + 1));
      const entries = rows.slice(0, limit).map(entryView);
      const more = rows.length > limit;
      if (values.json) {
        console.log(JSON.stringify({ entries, truncated: more }, null, 2));
        return 0;
      }
      console.log(`${slug}: audit log since ${since.toISOString()}`);
      if (!entries.length) console.log('  (no entries)');
      for (const e of entries)
        console.log(
          `  ${e.createdAt.toISOString()}  ${actorOf(e).padEnd(32)} ${e.action.padEnd(28)} ${targetOf(e).padEnd(48)} ${e.ipAddress ?? '-'}`,
        );
      if (more) console.log(`  (showing the newest ${limit}; narrow --since or raise --limit)`);
      return 0;
    });
  },
};
