import type { LightMyRequestResponse } from 'fastify';
import { type TOTP, URI } from 'otpauth';
import type { Account, Harness, Reply } from './harness.ts';

/** What POST /api/auth/two-factor/enable answers: shown once. */
export type Enrolment = { totpURI: string; qrSvg: string; backupCodes: string[]; totp: TOTP };

/** `name=value` of the named cookie a reply sets (undefined when absent or cleared). */
export function setCookie(reply: LightMyRequestResponse, name: string): string | undefined {
  const raw = reply.headers['set-cookie'];
  const all = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const found = all.find((c) => c.startsWith(`better-auth.${name}=`));
  const pair = found?.split(';')[0];
  return pair && pair.length > `better-auth.${name}=`.length ? pair : undefined;
}

/** A code from the app, for now or `steps` 30 s steps later (one step of drift is accepted). */
export const codeAt = (totp: TOTP, steps = 0) =>
  totp.generate({ timestamp: Date.now() + steps * 30_000 });

/** Starts enrolment (the password re-authenticates) and reads the authenticator from the URI. */
export async function startEnrolment(h: Harness, account: Account): Promise<Enrolment> {
  const reply = await h.post(
    '/api/auth/two-factor/enable',
    { password: account.password },
    account.cookie,
  );
  if (reply.status !== 200) throw new Error(`enable: ${reply.status} ${reply.raw.body}`);
  const body = reply.body as Omit<Enrolment, 'totp'>;
  return { ...body, totp: URI.parse(body.totpURI) as TOTP };
}

/**
 * Turns MFA on for the account (enable, then the first code) and returns the enrolment with the
 * account's new cookie: confirming replaces the session.
 */
export async function enrol(
  h: Harness,
  account: Account,
): Promise<{ enrolment: Enrolment; account: Account }> {
  const enrolment = await startEnrolment(h, account);
  const reply = await h.post(
    '/api/auth/two-factor/verify-totp',
    { code: codeAt(enrolment.totp) },
    account.cookie,
  );
  const cookie = setCookie(reply.raw, 'session_token');
  if (reply.status !== 200 || !cookie)
    throw new Error(`verify-totp: ${reply.status} ${reply.raw.body}`);
  return { enrolment, account: { ...account, cookie } };
}

/** Password sign-in of an MFA account: the challenge cookie (no session yet). */
export async function passwordStep(
  h: Harness,
  account: Account,
): Promise<{ reply: Reply; challenge: string }> {
  const reply = await h.post('/api/auth/sign-in/email', {
    email: account.email,
    password: account.password,
  });
  const challenge = setCookie(reply.raw, 'two_factor');
  if (reply.status !== 200 || !challenge)
    throw new Error(`sign-in: ${reply.status} ${reply.raw.body}`);
  return { reply, challenge };
}

/** The second step: a TOTP code or a recovery code against the challenge cookie. */
export function secondStep(
  h: Harness,
  challenge: string,
  kind: 'totp' | 'recovery',
  code: string,
): Promise<Reply> {
  const path = kind === 'totp' ? 'verify-totp' : 'verify-backup-code';
  return h.post(`/api/auth/two-factor/${path}`, { code }, challenge);
}

/** Full sign-in with a code; the new session's cookie. */
export async function signInWith(
  h: Harness,
  account: Account,
  kind: 'totp' | 'recovery',
  code: string,
): Promise<string> {
  const { challenge } = await passwordStep(h, account);
  const reply = await secondStep(h, challenge, kind, code);
  const cookie = setCookie(reply.raw, 'session_token');
  if (reply.status !== 200 || !cookie)
    throw new Error(`second factor: ${reply.status} ${reply.raw.body}`);
  return cookie;
}

export type AuditRow = {
  tenant_id: string;
  action: string;
  actor_user_id: string | null;
  metadata: Record<string, unknown>;
};

/** The MFA entries naming a user as actor, oldest first. */
export const mfaAudit = (h: Harness, userId: string) =>
  h.t.ownerQuery<AuditRow>(
    `select tenant_id, action, actor_user_id, metadata from audit_logs
      where actor_user_id = $1 and action like 'mfa.%' order by created_at, id`,
    [userId],
  );
