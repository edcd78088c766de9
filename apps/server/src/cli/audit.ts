import { type AuditLogEntry, entryView, filterConditions, selectEntries } from '@platform/api';
import { operatorToken } from '@platform/auth';
import type { Config } from '@platform/config';
import { AUDIT_ACTION } from '../rest/audit.ts';
import { tenantBySlug } from '../tenant-by-slug.ts';
import { parseCommandArgs } from './args.ts';
import { isHeldByServer } from './ask-remote.ts';
import type { Command } from './command.ts';
import { withPlatform } from './open.ts';
import { parseSince } from './since.ts';
import { UsageError } from './usage-error.ts';

const usage = `npm run platform -- audit --tenant <slug> --since <15m|1h|2d|1w|ISO date> [--action <prefix>] [--limit <n>] [--json]

Prints an organisation's audit log since then, newest first: time, actor, action, target and
client IP. --action keeps actions starting with the prefix (e.g. member. or provider_key).
--limit caps the entries printed (default 1000, at most 50000).`;

const ACTION = AUDIT_ACTION;

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
    const query = { slug, since, limit, ...(values.action ? { action: values.action } : {}) };
    const print = (entries: AuditLogEntry[], truncated: boolean) => {
      if (values.json) return console.log(JSON.stringify({ entries, truncated }, null, 2));
      console.log(`${slug}: audit log since ${since.toISOString()}`);
      if (!entries.length) console.log('  (no entries)');
      for (const e of entries)
        console.log(
          `  ${new Date(e.createdAt).toISOString()}  ${actorOf(e).padEnd(32)} ${e.action.padEnd(28)} ${targetOf(e).padEnd(48)} ${e.ipAddress ?? '-'}`,
        );
      if (truncated)
        console.log(`  (showing the newest ${limit}; narrow --since or raise --limit)`);
    };
    try {
      return await withPlatform(config, async ({ db }) => {
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
        print(rows.slice(0, limit).map(entryView), rows.length > limit);
        return 0;
      });
    } catch (error) {
      // The embedded database belongs to a running server: read through it instead.
      if (!isHeldByServer(error)) throw error;
      return auditThroughServer(config, query, print);
    }
  },
};

/** The same entries from the running server on this machine (GET /api/v1/audit, as the operator). */
async function auditThroughServer(
  config: Config,
  query: { slug: string; since: Date; limit: number; action?: string },
  print: (entries: AuditLogEntry[], truncated: boolean) => void,
): Promise<number> {
  const base = `http://127.0.0.1:${config.PORT}`;
  const params = new URLSearchParams({
    since: query.since.toISOString(),
    limit: String(query.limit),
    ...(query.action ? { action: query.action } : {}),
  });
  let res: Response;
  try {
    res = await fetch(`${base}/api/v1/audit?${params}`, {
      headers: {
        authorization: `Operator ${operatorToken(config.AUTH_SECRET)}`,
        'x-platform-tenant': query.slug,
      },
    });
  } catch {
    console.error(
      `The embedded database is in use by a server, and no server answers on ${base}. Stop the other process or set DATABASE_URL.`,
    );
    return 1;
  }
  const body = (await res.json().catch(() => ({}))) as {
    entries?: AuditLogEntry[];
    truncated?: boolean;
    message?: string;
  };
  if (!res.ok || !body.entries) {
    console.error(body.message ?? `HTTP ${res.status}`);
    return res.status === 403 ? 2 : 1;
  }
  print(body.entries, body.truncated ?? false);
  return 0;
}
