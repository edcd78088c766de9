import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@platform/config';
import { appendAudit, schema } from '@platform/db';
import { openTestDatabase, type TestDatabase, testDrivers } from '@platform/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { commands } from '../src/cli/commands.ts';
import { withPlatform } from '../src/cli/open.ts';
import { parseSince } from '../src/cli/since.ts';
import { UsageError } from '../src/cli/usage-error.ts';
import { tenantBySlug } from '../src/tenant-by-slug.ts';

async function run(args: string[], config: ReturnType<typeof loadConfig>) {
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const err = vi.spyOn(console, 'error').mockImplementation((...a) => void out.push(a.join(' ')));
  try {
    const command = commands.audit;
    if (!command) throw new Error('no audit command');
    const code = await command.run(args, config);
    return { code, out: out.join('\n') };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

/** The usage error a call throws (the CLI prints it and exits 2). */
const usageError = (work: Promise<unknown>) =>
  work.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('--since', () => {
  const now = new Date('2026-11-28T12:00:00.000Z');
  it('reads spans back from now and ISO dates', () => {
    expect(parseSince('15m', 'u', now).toISOString()).toBe('2026-11-28T11:45:00.000Z');
    expect(parseSince('1h', 'u', now).toISOString()).toBe('2026-11-28T11:00:00.000Z');
    expect(parseSince('2d', 'u', now).toISOString()).toBe('2026-11-26T12:00:00.000Z');
    expect(parseSince('1w', 'u', now).toISOString()).toBe('2026-11-21T12:00:00.000Z');
    expect(parseSince('2026-11-01', 'u', now).toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(parseSince('2026-11-01T09:30:00+01:00', 'u', now).toISOString()).toBe(
      '2026-11-01T08:30:00.000Z',
    );
  });
  it('refuses anything else with a usage error naming the flag', () => {
    for (const bad of [
      '',
      '1',
      'h',
      '1y',
      '-1h',
      '1.5h',
      'yesterday',
      '2026-02-30',
      '2026-13-01',
      '2026-11-01T25:00:00Z',
      '2026-11-01T09:00:00',
      '01/11/2026',
    ])
      expect(() => parseSince(bad, 'usage', now), bad).toThrow(
        expect.objectContaining({ message: expect.stringMatching(/^--since must be/) }),
      );
    expect(() => parseSince('soon', 'usage', now)).toThrow(UsageError);
  });
});

describe.each(testDrivers())('platform audit (%s)', (driver) => {
  let t: TestDatabase | undefined;
  let dataDir: string;
  let config: ReturnType<typeof loadConfig>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'platform-cli-audit-'));
    if (driver === 'postgres') t = await openTestDatabase('postgres');
    config = loadConfig({
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      ...(t?.url ? { DATABASE_URL: t.url } : {}),
    });
    await commands.migrate?.run([], config);
    const made = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      for (const name of ['Audit Co', 'Other Co'])
        await commands['create-tenant']?.run(
          [
            '--name',
            name,
            '--owner-email',
            `owner@${name.split(' ')[0]?.toLowerCase()}.test`,
            '--owner-name',
            `${name} Owner`,
            '--password',
            'a sturdy password',
          ],
          config,
        );
    } finally {
      made.mockRestore();
    }
    // Entries as the procedures write them: one by the owner from an IP, one by the system,
    // one three days old, and one in the other organisation.
    await withPlatform(config, async ({ db }) => {
      const [audit, other] = await Promise.all(
        ['audit-co', 'other-co'].map((slug) => tenantBySlug(db, slug, { createIfMissing: false })),
      );
      if (!audit || !other) throw new Error('tenants missing');
      // The runtime sees only this organisation's members: its owner.
      const [owner] = await db.withTenant(audit.id, (tx) =>
        tx.select({ id: schema.users.id }).from(schema.users),
      );
      const ownerId = owner?.id ?? null;
      await db.withTenant(audit.id, async (tx) => {
        await appendAudit(tx, audit.id, {
          actorUserId: ownerId,
          action: 'member.role_changed',
          resourceType: 'user',
          resourceId: 'f0000000-0000-4000-8000-000000000001',
          ipAddress: '203.0.113.7',
          userAgent: 'cli-test',
          metadata: { before: { role: 'member' }, after: { role: 'admin' } },
        });
      });
      // Its own transaction, so it is strictly newer (one transaction's entries share a time).
      await db.withTenant(audit.id, async (tx) => {
        await appendAudit(tx, audit.id, {
          action: 'budget.threshold_reached',
          resourceType: 'budget_alert',
          resourceId: 'alert-1',
        });
        // Back-dated as the table owner (the runtime's own entries are stamped with now()).
        await tx.execute(sql`reset role`);
        await tx.insert(schema.auditLogs).values({
          tenantId: audit.id,
          actorType: 'system',
          action: 'widget.key_rotated',
          createdAt: new Date(Date.now() - 3 * 86_400_000),
        });
      });
      await db.withTenant(other.id, (tx) =>
        appendAudit(tx, other.id, { action: 'widget.created', resourceType: 'widget' }),
      );
    });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("prints the organisation's entries since then, newest first, with actor, target and IP", async () => {
    const { code, out } = await run(['--tenant', 'audit-co', '--since', '1h'], config);
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^audit-co: audit log since \d{4}-\d\d-\d\dT/);
    const system = lines.findIndex((l) => l.includes('budget.threshold_reached'));
    const member = lines.findIndex((l) => l.includes('member.role_changed'));
    expect(system).toBeGreaterThan(0);
    expect(member).toBeGreaterThan(system);
    expect(lines[system]).toMatch(
      /^ {2}\d{4}-\d\d-\d\dT\S+Z {2}system +budget\.threshold_reached +budget_alert:alert-1 +-$/,
    );
    expect(lines[member]).toMatch(
      /owner@audit\.test +member\.role_changed +user:f0000000-0000-4000-8000-000000000001 +203\.0\.113\.7$/,
    );
    expect(out).not.toContain('widget.');
  });

  it('goes further back with --since, filters by action prefix and prints JSON', async () => {
    const week = await run(['--tenant', 'audit-co', '--since', '1w'], config);
    expect(week.out).toContain('widget.key_rotated');
    const json = await run(
      ['--tenant', 'audit-co', '--since', '2026-01-01', '--action', 'member.role', '--json'],
      config,
    );
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out) as {
      entries: { action: string; actor: { email: string }; ipAddress: string; metadata: unknown }[];
      truncated: boolean;
    };
    expect(report.truncated).toBe(false);
    expect(report.entries).toEqual([
      expect.objectContaining({
        action: 'member.role_changed',
        actor: expect.objectContaining({ type: 'user', email: 'owner@audit.test' }),
        ipAddress: '203.0.113.7',
        userAgent: 'cli-test',
        metadata: { before: { role: 'member' }, after: { role: 'admin' } },
      }),
    ]);
    const limited = await run(['--tenant', 'audit-co', '--since', '1w', '--limit', '1'], config);
    expect(limited.out).toMatch(/showing the newest 1;/);
  });

  it('refuses bad flags with a usage error naming the flag, and an unknown slug with 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--since', '1h'], /^--tenant is required/],
      [['--tenant', 'audit-co'], /^--since is required/],
      [['--tenant', 'audit-co', '--since', '3 days'], /^--since must be/],
      [['--tenant', 'audit-co', '--since', '1h', '--action', 'a b'], /^--action must be/],
      [['--tenant', 'audit-co', '--since', '1h', '--limit', '0'], /^--limit must be/],
      [['--tenant', 'audit-co', '--since', '1h', '--limit', '1e3'], /^--limit must be/],
      [['--tenant', 'audit-co', '--since', '1h', '--colour'], /Unknown option '--colour'/],
    ];
    for (const [args, message] of cases) {
      const error = await usageError(run(args, config));
      expect(error, args.join(' ')).toBeInstanceOf(UsageError);
      expect((error as Error).message, args.join(' ')).toMatch(message);
    }
    const missing = await run(['--tenant', 'nobody', '--since', '1h'], config);
    expect(missing.code).toBe(2);
    expect(missing.out).toMatch(/No organisation with slug "nobody"/);
  });
});
