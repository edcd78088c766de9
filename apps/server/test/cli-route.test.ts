import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

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
