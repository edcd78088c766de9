import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openTestDatabase, type TestDatabase, testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

/** A manual long enough that embedding it takes many batches. */
const manual = Array.from(
  { length: 1500 },
  (_, i) =>
    `## Procedure ${i + 1}\n\nInspect valve ${i + 1}, record pressure ${i * 7} and tell the shift lead about unit ${i + 5000}. ${'Keep the log book current and sign each entry. '.repeat(14)}`,
).join('\n\n');

function runCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', INGEST_LEASE_SECONDS: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, output: () => out };
}

/**
 * The real crash: the ingesting process is SIGKILLed in the middle of embedding, then run
 * again. The job is reclaimed when its lease runs out, the chunks already written are kept,
 * and the document ends with each chunk exactly once.
 */
describe.each(testDrivers())('ingestion survives a killed process (%s)', (driver) => {
  let t: TestDatabase | undefined;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'platform-crash-'));
    writeFileSync(join(dir, 'manual.md'), `# Operations manual\n\n${manual}`);
    if (driver === 'postgres') t = await openTestDatabase('postgres');
    env = { DATA_DIR: join(dir, 'data'), ...(t?.url ? { DATABASE_URL: t.url } : {}) };
    if (t) {
      // A production database must know the tenant already.
      await t.ownerQuery(`insert into tenants (name, slug) values ('crash', 'crash')`);
    }
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes after SIGKILL with no duplicate chunks', async () => {
    const file = join(dir, 'manual.md');
    const first = runCli(['ingest', file, '--tenant', 'crash'], env);
    // Kill once embedding is under way (the CLI logs each stage change without a terminal).
    const deadline = Date.now() + 90_000;
    while (!/ embedding /.test(first.output())) {
      if (Date.now() > deadline) throw new Error(`never reached embedding:\n${first.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    if (t) {
      // On PostgreSQL we can watch the first batches land before pulling the plug.
      for (let n = 0; n === 0 && Date.now() < deadline; ) {
        const [row] = await t.ownerQuery<{ n: number }>(
          'select count(*)::int as n from knowledge_chunks',
        );
        n = row?.n ?? 0;
        if (!n) await new Promise((r) => setTimeout(r, 10));
      }
    } else await new Promise((r) => setTimeout(r, 500));
    first.child.kill('SIGKILL');
    await first.exited;
    expect(first.output()).not.toMatch(/ready 100%/);
    if (t) {
      const [left] = await t.ownerQuery<{ total: number; active: number }>(
        'select count(*)::int as total, count(*) filter (where active)::int as active from knowledge_chunks',
      );
      expect(left?.total).toBeGreaterThan(0); // work was under way...
      expect(left?.active).toBe(0); // ...and none of it searchable yet
    }

    // Run again until it gets through (PGlite's lock file goes stale 15 s after a crash).
    let second = runCli(['ingest', file, '--tenant', 'crash'], env);
    for (let i = 0; (await second.exited) !== 0 && i < 20; i++) {
      expect(second.output()).toMatch(/in use by another process|lock/i);
      await new Promise((r) => setTimeout(r, 2000));
      second = runCli(['ingest', file, '--tenant', 'crash'], env);
    }
    expect(second.output()).toMatch(/1 ingested, 0 failed/);

    const query = runCli(['search', '--tenant', 'crash', '--jsonl', '--k', '3'], env);
    query.child.stdin.end(
      `${JSON.stringify({ query: 'what pressure do I write down for valve 1217' })}\n`,
    );
    expect(await query.exited).toBe(0);
    const line = JSON.parse(query.output().trim().split('\n').at(-1) ?? '{}') as {
      results: { document: string; heading: string; text: string }[];
    };
    expect(line.results[0]?.heading).toBe('Operations manual > Procedure 1217');

    if (t) {
      const rows = await t.ownerQuery<{ chunk_index: number; n: number; active: boolean }>(
        `select chunk_index, count(*)::int as n, bool_and(active) as active from knowledge_chunks group by chunk_index order by 1`,
      );
      const [doc] = await t.ownerQuery<{ status: string; metadata: { chunks: number } }>(
        'select status, metadata from knowledge_documents',
      );
      expect(doc?.status).toBe('ready');
      expect(rows.length).toBe(doc?.metadata.chunks);
      expect(rows.every((r, i) => r.chunk_index === i && r.n === 1 && r.active)).toBe(true);
    }
  }, 180_000);
});
