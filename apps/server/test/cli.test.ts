import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordModelCall } from '@platform/ai';
import { loadConfig } from '@platform/config';
import { openTestDatabase, type TestDatabase, testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { commands } from '../src/cli/commands.ts';
import { withPlatform } from '../src/cli/open.ts';
import { tenantBySlug } from '../src/tenant-by-slug.ts';

async function run(name: string, args: string[], config: ReturnType<typeof loadConfig>) {
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const err = vi.spyOn(console, 'error').mockImplementation((...a) => void out.push(a.join(' ')));
  const table = vi
    .spyOn(console, 'table')
    .mockImplementation((rows) => void out.push(JSON.stringify(rows)));
  try {
    const command = commands[name];
    if (!command) throw new Error(`no command ${name}`);
    const code = await command.run(args, config);
    return { code, out: out.join('\n') };
  } finally {
    log.mockRestore();
    err.mockRestore();
    table.mockRestore();
  }
}

describe.each(testDrivers())('operator CLI (%s)', (driver) => {
  let t: TestDatabase | undefined;
  let dataDir: string;
  let config: ReturnType<typeof loadConfig>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'platform-cli-'));
    if (driver === 'postgres') t = await openTestDatabase('postgres');
    config = loadConfig({
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      ...(t?.url ? { DATABASE_URL: t.url } : {}),
    });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrates, and a second run is a no-op', async () => {
    const first = await run('migrate', [], config);
    expect(first.code).toBe(0);
    const second = await run('migrate', [], config);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/^Database is up to date \((\d+)\/\1 migrations\)\.$/);
  });

  it('creates a tenant with a slug from its name, and lists it', async () => {
    const created = await run(
      'create-tenant',
      ['--name', 'Acme Inc', '--owner-email', 'owner@acme.test', '--password', 'a sturdy password'],
      config,
    );
    expect(created.code).toBe(0);
    expect(created.out).toMatch(/slug acme-inc,.*owner@acme.test \(new account\)/);
    const again = await run(
      'create-tenant',
      ['--name', 'Acme Inc', '--owner-email', 'owner@acme.test'],
      config,
    );
    expect(again.out).toMatch(/slug acme-inc-2,.*\(existing account\)/);
    const listed = await run('list-tenants', ['--json'], config);
    const rows = JSON.parse(listed.out) as { slug: string; members: number | string }[];
    expect(rows.map((r) => r.slug)).toEqual(['acme-inc', 'acme-inc-2']);
    expect(rows.map((r) => Number(r.members))).toEqual([1, 1]);
    // Each organisation's log starts with its founding: a new owner's sign-up, else the
    // operator's act.
    const first = async (slug: string) => {
      const out = await run('audit', ['--tenant', slug, '--since', '1h', '--json'], config);
      const { entries } = JSON.parse(out.out) as {
        entries: { action: string; metadata: Record<string, unknown> }[];
      };
      return entries.map((e) => [e.action, e.metadata.organizationName]);
    };
    expect(await first('acme-inc')).toEqual([['auth.sign_up', 'Acme Inc']]);
    expect(await first('acme-inc-2')).toEqual([['tenant.created', 'Acme Inc']]);
  });

  it('refuses bad input with the field at fault and creates nothing', async () => {
    const weak = await run(
      'create-tenant',
      ['--name', 'Weak Co', '--owner-email', 'weak@acme.test', '--password', 'short'],
      config,
    );
    expect(weak).toMatchObject({ code: 2 });
    expect(weak.out).toContain('password: must be at least 12 characters');
    const badEmail = await run(
      'create-tenant',
      ['--name', 'Weak Co', '--owner-email', 'not-an-email', '--password', 'long enough pass'],
      config,
    );
    expect(badEmail.out).toContain('email:');
    await expect(run('create-tenant', ['--owner-email', 'x@y.test'], config)).rejects.toThrow(
      /--name is required/,
    );
    const listed = await run('list-tenants', ['--json'], config);
    expect(listed.out).not.toContain('Weak Co');
  });

  it('ingests a folder (identical files once, unreadable ones skipped) and searches it', async () => {
    const docs = mkdtempSync(join(tmpdir(), 'platform-docs-'));
    const guide =
      '# Guide\n\n## Returns\n\nItems can be returned within thirty days with a receipt.\n';
    writeFileSync(join(docs, 'guide.md'), guide);
    writeFileSync(join(docs, 'guide-copy.md'), guide);
    writeFileSync(join(docs, 'notes.txt'), 'The warehouse opens at seven in the morning.');
    writeFileSync(join(docs, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]));
    try {
      const ingested = await run('ingest', [docs, '--tenant', 'acme-inc'], config);
      expect(ingested.out).toMatch(/2 ingested, 0 failed, 0 unchanged, 1 skipped/);
      expect(ingested.out).toMatch(/skipped .*logo\.png: unsupported type/);
      expect(ingested.code).toBe(0);
      const again = await run('ingest', [docs, '--tenant', 'acme-inc'], config);
      expect(again.out).toMatch(/Nothing to ingest \(3 unchanged, 1 skipped\)/);
      const found = await run(
        'search',
        ['--tenant', 'acme-inc', 'how long do I have to return something'],
        config,
      );
      expect(found.code).toBe(0);
      expect(found.out.split('\n')[0]).toMatch(/guide(-copy)?\.md > Guide > Returns/);
      const missing = await run('search', ['--tenant', 'nobody', 'x'], config);
      expect(missing.code).toBe(2);
    } finally {
      rmSync(docs, { recursive: true, force: true });
    }
  });

  it("prints the month's spend by model from the ledger", async () => {
    await withPlatform(config, async ({ db }) => {
      const tenant = await tenantBySlug(db, 'acme-inc', { createIfMissing: false });
      const tenantId = tenant?.id as string;
      await db.withTenant(tenantId, async (tx) => {
        for (const [provider, model, input] of [
          ['openai', 'gpt-4o-mini', 1000],
          ['openai', 'gpt-4o-mini', 1000],
          ['anthropic', 'claude-sonnet-4-5', 2000],
        ] as const)
          await recordModelCall(tx, tenantId, {
            ref: { provider, model },
            tier: 1,
            usage: { inputTokens: input, outputTokens: 100, cachedInputTokens: 0 },
            latencyMs: 5,
            outcome: 'ok',
          });
      });
    });
    const { code, out } = await run('costs', ['--tenant', 'acme-inc', '--json'], config);
    expect(code).toBe(0);
    const report = JSON.parse(out);
    // claude: 2000*3 + 100*15 = 7500; mini: 2 * (1000*0.15 + 100*0.6) = 420
    expect(report.byModel).toEqual([
      expect.objectContaining({ model: 'anthropic:claude-sonnet-4-5', calls: 1, costMicros: 7500 }),
      expect.objectContaining({ model: 'openai:gpt-4o-mini', calls: 2, costMicros: 420 }),
    ]);
    expect(report.totalMicros).toBe(7920);
    expect(
      (await run('costs', ['--tenant', 'acme-inc', '--month', '2026-13'], config).catch((e) => e))
        .message,
    ).toMatch(/--month/);
  });
});
