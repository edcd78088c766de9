import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, PUBLIC_URL, startHarness, uniqueEmail } from './harness.ts';

/**
 * Password reset by email is not offered (no reset email is ever sent, so no reset token can
 * exist): Better Auth's reset endpoints answer a plain 404, never a 500, and log nothing.
 */
describe.each(testDrivers())('password reset is not offered (%s)', (driver) => {
  let h: Harness;
  const lines: string[] = [];
  beforeAll(async () => {
    h = await startHarness(driver, { LOG_LEVEL: 'warn' }, { log: (line) => lines.push(line) });
  });
  afterAll(() => h?.close());

  const unavailable = {
    code: 'PASSWORD_RESET_UNAVAILABLE',
    message: 'Password reset by email is not available on this server',
  };

  it('answers 404 PASSWORD_RESET_UNAVAILABLE on every reset endpoint, alike for any email', async () => {
    const acct = await h.signUp('Forgetful Co');
    const known = await h.post('/api/auth/request-password-reset', { email: acct.email });
    const unknown = await h.post('/api/auth/request-password-reset', {
      email: uniqueEmail('nobody'),
    });
    for (const r of [known, unknown]) {
      expect(r.status).toBe(404);
      expect(r.body).toEqual(unavailable);
    }
    const reset = await h.post('/api/auth/reset-password', {
      newPassword: 'Quartz Pelican Harvest Lantern',
      token: 'any-token',
    });
    expect(reset.status).toBe(404);
    expect(reset.body).toEqual(unavailable);
    const link = await h.app.inject({
      method: 'GET',
      url: `/api/auth/reset-password/any-token?callbackURL=${encodeURIComponent(`${PUBLIC_URL}/account`)}`,
    });
    expect(link.statusCode).toBe(404);
    expect(JSON.parse(link.body)).toEqual(unavailable);
    // The password did not change, and no reset token was stored.
    const signIn = await h.post('/api/auth/sign-in/email', {
      email: acct.email,
      password: acct.password,
    });
    expect(signIn.status).toBe(200);
    const tokens = await h.t.ownerQuery(
      `select 1 from verification_tokens where identifier like 'reset-password:%'`,
    );
    expect(tokens).toEqual([]);
  });

  it('still answers a malformed request by its field', async () => {
    const weak = await h.post('/api/auth/reset-password', { newPassword: 'password1234' });
    expect(weak.status).toBe(400);
    expect(weak.body).toMatchObject({ code: 'WEAK_PASSWORD', field: 'newPassword' });
    const missing = await h.post('/api/auth/reset-password', {});
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 'VALIDATION_ERROR', field: 'newPassword' });
  });

  it('writes no warning or error to the log (unauthenticated calls must not flood it)', () => {
    const loud = lines.filter((line) => (JSON.parse(line) as { level: number }).level >= 40);
    expect(loud).toEqual([]);
  });
});
