import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordModelCall } from '@platform/ai';
import { loadConfig } from '@platform/config';
import { openTestDatabase, type TestDatabase, testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { commands } from '../src/cli/commands.ts';
import { withPlatform } from '../src/cli/open.ts';
import { tenantBySlug } from '../src/cli/tenant-by-slug.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));

describe('route --jsonl (the real process, stdin to stdout)', () => {
  it('prints one decision per line; a bad line answers an error and the rest go on', () => {
    const input = [
      '{"query":"What are your opening hours?"}',
      'not json',
      '{"query":"My chest hurts and my left arm is numb"}',
      '{"query":"and for 12 seats?","history":[{"role":"user","content":"How much is Pro per seat per month?"},{"role":"assistant","content":"$30 a seat."}]}',
      '{"query":"x","history":[{"role":"bot","content":"?"}]}',
    ].join('\n');
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'apps/server/src/cli/main.ts', 'route', '--jsonl'],
      { cwd: root, input, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent' } },
    );
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatchObject({ tier: 1 });
    expect(typeof lines[0].score).toBe('number');
    expect(lines[0].reason).toMatch(/^tier 1: /);
    expect(lines[1]).toEqual({ error: 'line is not JSON' });
    expect(lines[2]).toMatchObject({ tier: 3 });
    expect(lines[3]).toMatchObject({ tier: 2 });
    expect(lines[4].error).toMatch(/^history\[0\]/);
  });
});

describe.each(testDrivers())('costs CLI (%s)', (driver) => {
  let t: TestDatabase | undefined;
  let dataDir: string;
  let config: ReturnType<typeof loadConfig>;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'platform-cli-ai-'));
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

  it("prints the month's spend by model from the ledger", async () => {
    await withPlatform(config, async ({ db }) => {
      if (driver === 'postgres') await db.migrate();
      const tenant = await tenantBySlug(db, 'spend', { createIfMissing: true });
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
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
    try {
      const command = commands.costs;
      if (!command) throw new Error('no costs command');
      expect(await command.run(['--tenant', 'spend', '--json'], config)).toBe(0);
    } finally {
      log.mockRestore();
    }
    const report = JSON.parse(out.join('\n'));
    // claude: 2000*3 + 100*15 = 7500; mini: 2 * (1000*0.15 + 100*0.6) = 420
    expect(report.byModel).toEqual([
      expect.objectContaining({ model: 'anthropic:claude-sonnet-4-5', calls: 1, costMicros: 7500 }),
      expect.objectContaining({ model: 'openai:gpt-4o-mini', calls: 2, costMicros: 420 }),
    ]);
    expect(report.totalMicros).toBe(7920);
  });
});
