import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openTestDatabase, type TestDatabase, testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type ServerProcess, startServer, waitHealthy } from './process.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));

const GUIDE = `# Office guide

## Bicycles

Bicycles are parked in the basement rack; the door code is changed every month.

## Printing

Colour printing needs a badge tap at the printer on the second floor.
`;

// Each command is a real process that opens the platform: allow a few seconds apiece.
describe.each(testDrivers())('ask (the real CLI process) (%s)', { timeout: 180_000 }, (driver) => {
  let t: TestDatabase | undefined;
  let dir: string;
  let env: Record<string, string>;

  /** Runs `npm run platform -- <args>` as an operator would. */
  const cli = (...args: string[]) => {
    const { DATABASE_URL: _url, ...inherited } = process.env;
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'apps/server/src/cli/main.ts', ...args],
      { cwd: root, encoding: 'utf8', env: { ...inherited, ...env }, timeout: 120_000 },
    );
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'platform-ask-'));
    if (driver === 'postgres') t = await openTestDatabase('postgres');
    env = {
      DATA_DIR: join(dir, 'data'),
      LOG_LEVEL: 'silent',
      ...(t?.url ? { DATABASE_URL: t.url } : {}),
    };
    const docs = join(dir, 'docs');
    mkdirSync(docs);
    writeFileSync(join(docs, 'office.md'), GUIDE);
    // The embedded database creates the organisation on ingest; PostgreSQL needs it first.
    if (driver === 'postgres') {
      const created = cli(
        'create-tenant',
        '--name',
        'Ask Co',
        '--owner-email',
        'owner@ask.test',
        '--password',
        'a sturdy password',
      );
      expect(created.code, created.stderr).toBe(0);
    }
    const ingested = cli('ingest', docs, '--tenant', 'ask-co');
    expect(ingested.code, ingested.stderr + ingested.stdout).toBe(0);
    expect(ingested.stderr).toMatch(/1 ingested/);
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('streams an answer with its sources, tier and cost, and continues the conversation', () => {
    const asked = cli('ask', '--tenant', 'ask-co', 'Where are bicycles parked?');
    expect(asked.code, asked.stderr).toBe(0);
    const { stdout } = asked;
    expect(stdout).toContain('basement rack');
    expect(stdout).toMatch(/\n\nSources:\n\[1\] office\.md — .*basement rack/);
    expect(stdout).toMatch(
      /^Tier [123] · offline:extractive-v1 · \$0\.000000 · \d+ ms \(retrieval \d+ ms, first token \d+ ms\)$/m,
    );
    const id = stdout.match(/^Conversation ([0-9a-f-]{36})/m)?.[1];
    expect(id).toBeDefined();

    const followUp = cli(
      'ask',
      '--tenant',
      'ask-co',
      '--conversation',
      String(id),
      '--json',
      'How do I print in colour?',
    );
    expect(followUp.code, followUp.stderr).toBe(0);
    const outcome = JSON.parse(followUp.stdout) as {
      message: { conversationId: string };
      reply: { text: string; citations: { title: string }[]; tier: number } | null;
      handoff: string | null;
    };
    expect(outcome.message.conversationId).toBe(id);
    expect(outcome.reply?.text).toContain('badge tap');
    expect(outcome.reply?.citations[0]?.title).toBe('office.md');
    expect(outcome.handoff).toBeNull();
  });

  it('says when the conversation went to a person', () => {
    const asked = cli('ask', '--tenant', 'ask-co', 'Can I speak to a real person please?');
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stdout).toMatch(/^Handed to a person: asked for a person/m);
    expect(asked.stdout).not.toContain('Sources:');
  });

  it('refuses an unknown organisation or a malformed conversation id', () => {
    const unknown = cli('ask', '--tenant', 'nobody-here', 'hello?');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No organisation with slug "nobody-here"');
    const badId = cli('ask', '--tenant', 'ask-co', '--conversation', 'nope', 'hello?');
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('--conversation must be a conversation id');
    const missing = cli('ask', '--tenant', 'ask-co', '--conversation', crypto.randomUUID(), 'hi');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Conversation not found');
  });
});

// The embedded database belongs to one process: with the server running, ask goes through it.
describe('ask while the embedded server runs (pglite)', { timeout: 180_000 }, () => {
  let dir: string;
  let server: ServerProcess | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'platform-ask-live-'));
  });
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers through the running server, with sources', async () => {
    const port = await freePort();
    const env = { DATA_DIR: join(dir, 'data'), PORT: String(port), LOG_LEVEL: 'silent' };
    const docs = join(dir, 'docs');
    mkdirSync(docs);
    writeFileSync(join(docs, 'office.md'), GUIDE);
    const run = (...args: string[]) => {
      const { DATABASE_URL: _url, REDIS_URL: _redis, ...inherited } = process.env;
      return spawnSync(
        process.execPath,
        ['--import', 'tsx', 'apps/server/src/cli/main.ts', ...args],
        {
          cwd: root,
          encoding: 'utf8',
          env: { ...inherited, ...env },
          timeout: 120_000,
        },
      );
    };
    expect(run('ingest', docs, '--tenant', 'live-co').status).toBe(0);
    server = startServer(env, port);
    await waitHealthy(server);
    const asked = run('ask', '--tenant', 'live-co', 'Where are bicycles parked?');
    expect(asked.status, asked.stderr).toBe(0);
    expect(asked.stdout).toContain('basement rack');
    expect(asked.stdout).toMatch(/\n\nSources:\n\[1\] office\.md — /);
    expect(asked.stdout).toMatch(/^Tier [123] · offline:extractive-v1/m);
    const unknown = run('ask', '--tenant', 'nobody', 'hi');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('No organisation with slug "nobody"');
  });
});
