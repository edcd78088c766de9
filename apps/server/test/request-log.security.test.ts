import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggedUrl } from '../src/log-url.ts';
import { type Account, type Harness, startHarness } from './harness.ts';

type Line = { msg?: string; req?: { method: string; url: string } };

/**
 * Request logs keep the path and the parameter names, never query values that may hold user
 * text (tRPC GET inputs) or credentials (tokens, keys, single sign-on's code and state).
 */
describe.each(testDrivers())('request logs keep query values out (%s)', (driver) => {
  let h: Harness;
  let owner: Account;
  const lines: string[] = [];
  beforeAll(async () => {
    h = await startHarness(driver, { LOG_LEVEL: 'info' }, { log: (line) => lines.push(line) });
    owner = await h.signUp('Quiet Logs Ltd');
  });
  afterAll(() => h?.close());

  /** The URLs of the "incoming request" lines logged since `from`. */
  const loggedUrls = (from: number) =>
    lines
      .slice(from)
      .map((line) => JSON.parse(line) as Line)
      .filter((l) => l.msg === 'incoming request')
      .map((l) => l.req?.url);

  it('hides a tRPC GET input, single or batched, and keeps the procedure', async () => {
    const from = lines.length;
    const secret = 'SECRET-QUESTION-about-layoffs-7f3a';
    const single = await h.query('knowledge.search', owner.cookie, { query: secret });
    expect(single.status).toBe(200);
    const batch = encodeURIComponent(
      JSON.stringify({ 0: { query: secret }, 1: { query: `${secret} again` } }),
    );
    const batched = await h.app.inject({
      method: 'GET',
      url: `/trpc/knowledge.search,knowledge.search?batch=1&input=${batch}`,
      headers: { cookie: owner.cookie },
    });
    expect(batched.statusCode).toBe(200);

    expect(lines.slice(from).join('\n')).not.toContain('SECRET-QUESTION');
    expect(loggedUrls(from)).toEqual([
      '/trpc/knowledge.search?input=[redacted]',
      '/trpc/knowledge.search,knowledge.search?batch=1&input=[redacted]',
    ]);
  });

  it('hides tokens, keys and single sign-on codes in any query string', async () => {
    const from = lines.length;
    const urls = [
      '/api/auth/verify-email?token=SECRET-email-token-1',
      '/api/auth/sso/callback?code=SECRET-sso-code-2&state=SECRET-sso-state-3',
      '/widget.js?key=SECRET-widget-key-4',
      '/api/v1/conversations?widgetKey=SECRET-widget-key-5&limit=5',
      '/api/auth/reset-password/SECRET-reset-token-6?callbackURL=%2Faccount',
      '/health?SECRET-bare-token-7&access_token=SECRET-access-8',
    ];
    for (const url of urls) await h.app.inject({ method: 'GET', url });

    expect(lines.slice(from).join('\n')).not.toContain('SECRET-');
    expect(loggedUrls(from)).toEqual([
      '/api/auth/verify-email?token=[redacted]',
      '/api/auth/sso/callback?code=[redacted]&state=[redacted]',
      '/widget.js?key=[redacted]',
      '/api/v1/conversations?widgetKey=[redacted]&limit=5',
      '/api/auth/reset-password/[redacted]?callbackURL=[redacted]',
      '/health?[redacted]&access_token=[redacted]',
    ]);
  });
});

describe('loggedUrl', () => {
  it('keeps paths and names, shows only listed values, and reads names as the server does', () => {
    expect(loggedUrl('/trpc/users.me')).toBe('/trpc/users.me');
    expect(loggedUrl('/api/v1/audit?since=2024-01-01T00:00:00Z&limit=10&action=auth.')).toBe(
      '/api/v1/audit?since=2024-01-01T00:00:00Z&limit=10&action=auth.',
    );
    expect(loggedUrl('/trpc/ai.route?%69nput=secret')).toBe('/trpc/ai.route?%69nput=[redacted]');
    expect(loggedUrl('/x?%6cimit=5&bad=%E0%A4%A')).toBe('/x?%6cimit=5&bad=[redacted]');
    expect(loggedUrl('/x?%E0%A4%A=secret')).toBe('/x?%E0%A4%A=[redacted]');
    expect(loggedUrl('/x?input=a=b&&batch')).toBe('/x?input=[redacted]&&batch');
    expect(loggedUrl(`/x?${'t'.repeat(80)}=1`)).toBe('/x?[redacted]');
  });
});
