import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPasswordPolicy } from '@platform/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHibp } from './hibp-fake.ts';

const offline = { enabled: false, url: 'http://127.0.0.1:9', timeoutMs: 500 };

describe('password policy (offline list and zxcvbn)', () => {
  const policy = createPasswordPolicy({ minScore: 3, hibp: offline });

  it('refuses common passwords and predictable patterns, saying why', async () => {
    const cases: [string, RegExp][] = [
      ['password1234', /common/],
      ['Password1234', /common/],
      ['qwertyuiop12', /common/],
      ['iloveyou1234', /commonly used password/],
      ['123456789012', /common/],
      ['qazwsxedcrfv', /common/],
      ['xxxxxxxxxxxx', /repeats characters/],
      ['abcdefghijkl', /sequence/],
      ['letmeinletmein', /repeats a short pattern/],
      ['P@ssw0rd2024', /too easy to guess/],
    ];
    for (const [password, reason] of cases) {
      const problem = await policy.problem(password);
      expect(problem, password).toMatch(reason);
      expect(problem, password).toMatch(/choose a longer passphrase/);
    }
  });

  it('accepts passphrases and random strings, with no composition rules', async () => {
    for (const password of [
      'correct horse battery staple',
      'a long enough passphrase',
      'Tq7#vR2!pLx9',
      'x7Kp2mQ9vL4w',
      'benchmark password for fan-out',
    ])
      expect(await policy.problem(password), password).toBeNull();
  });

  it("counts the person's own email, name and organisation as guessable words", async () => {
    const password = 'Wolfenstein Industries';
    expect(await policy.problem(password)).toBeNull();
    expect(
      await policy.problem(password, ['ceo@wolfenstein.example', 'Ada', 'Wolfenstein Industries']),
    ).toMatch(/your name, email or organisation|too easy to guess/);
  });

  it('applies the configured minimum score', async () => {
    const lenient = createPasswordPolicy({ minScore: 0, hibp: offline });
    expect(await lenient.problem('xxxxxxxxxxxx')).toBeNull();
    // The common-password list applies whatever the score threshold.
    expect(await lenient.problem('password1234')).toMatch(/commonly used/);
  });
});

describe('password policy with Have I Been Pwned (a local fake of the range API)', () => {
  const pwnedButStrong = 'Rhubarb Telescope Mandolin 1987';
  let hibp: Awaited<ReturnType<typeof startFakeHibp>>;
  beforeAll(async () => {
    hibp = await startFakeHibp([pwnedButStrong]);
  });
  afterAll(() => hibp?.close());

  it('refuses a breached password, sending only the first 5 hex of its SHA-1, padded', async () => {
    const warnings: object[] = [];
    const policy = createPasswordPolicy({
      minScore: 3,
      hibp: { enabled: true, url: hibp.url, timeoutMs: 2000 },
      log: { warn: (obj) => warnings.push(obj) },
    });
    const before = hibp.requests.length;
    expect(await policy.problem(pwnedButStrong)).toMatch(/known data breach/);
    const sent = hibp.requests.slice(before);
    expect(sent).toEqual([
      { path: `/range/${hibp.sha1(pwnedButStrong).slice(0, 5)}`, padding: 'true' },
    ]);
    expect(JSON.stringify(sent)).not.toContain(hibp.sha1(pwnedButStrong).slice(5));
    expect(warnings).toEqual([]);
  });

  it('accepts a password the service does not list (padding lines count 0 and never match)', async () => {
    const policy = createPasswordPolicy({
      minScore: 3,
      hibp: { enabled: true, url: `${hibp.url}/`, timeoutMs: 2000 },
    });
    expect(await policy.problem('Quartz Pelican Harvest Lantern')).toBeNull();
  });

  it('does not ask the service about passwords the offline checks already refuse', async () => {
    const policy = createPasswordPolicy({
      minScore: 3,
      hibp: { enabled: true, url: hibp.url, timeoutMs: 2000 },
    });
    const before = hibp.requests.length;
    expect(await policy.problem('password1234')).toMatch(/commonly used/);
    expect(hibp.requests.length).toBe(before);
  });

  it('fails open when the service is down, answers an error, or does not answer in time', async () => {
    const silent = createServer(() => {}); // accepts the connection, never answers
    const broken = createServer((_req, res) => res.writeHead(503).end('Service Unavailable'));
    const down = createServer();
    for (const s of [silent, broken, down])
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const urlOf = (s: typeof silent) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    const downUrl = urlOf(down);
    await new Promise((resolve) => down.close(resolve));
    try {
      for (const url of [downUrl, urlOf(broken), urlOf(silent)]) {
        const warnings: object[] = [];
        const policy = createPasswordPolicy({
          minScore: 3,
          hibp: { enabled: true, url, timeoutMs: 300 },
          log: { warn: (obj) => warnings.push(obj) },
        });
        expect(await policy.problem(pwnedButStrong), url).toBeNull();
        expect(warnings, url).toHaveLength(1);
        // The warning names the service, never the password or its hash.
        expect(JSON.stringify(warnings)).not.toContain(pwnedButStrong);
        expect(JSON.stringify(warnings)).not.toContain(hibp.sha1(pwnedButStrong).slice(5));
      }
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
      await new Promise((resolve) => broken.close(resolve));
    }
  });
});
