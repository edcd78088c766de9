import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '@platform/config';
import { type Driver, openTestDatabase, type TestDatabase } from '@platform/db/testing';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../src/app.ts';
import { stopServer } from '../src/in-flight.ts';
import { createLogger } from '../src/logger.ts';
import { openPlatform, type Platform } from '../src/platform.ts';

export const PUBLIC_URL = 'http://localhost:3000';

export type Account = {
  cookie: string;
  userId: string;
  tenantId: string;
  email: string;
  password: string;
};

export type Reply = { status: number; body: Record<string, unknown>; raw: LightMyRequestResponse };

export type Harness = {
  app: FastifyInstance;
  platform: Platform;
  t: TestDatabase;
  config: Config;
  signUp(
    org: string,
    opts?: { email?: string; name?: string; password?: string },
  ): Promise<Account>;
  /**
   * A new person who joins the owner's organisation with this role; the returned cookie acts for
   * that organisation (signing in again puts the session in the newest membership).
   * homeTenantId is the organisation the person founded at sign-up.
   */
  joinAs(
    owner: Account,
    role: 'admin' | 'member' | 'viewer',
  ): Promise<Account & { homeTenantId: string }>;
  post(url: string, body: unknown, cookie?: string): Promise<Reply>;
  query(path: string, cookie?: string, input?: unknown): Promise<Reply>;
  mutate(path: string, cookie: string | undefined, input: unknown): Promise<Reply>;
  /** The CSRF token of a session (GET /api/csrf), for writes sent without post/mutate. */
  csrf(cookie: string): Promise<string | undefined>;
  /** Uploads a document through knowledge.upload and waits until it is searchable; its id. */
  ingest(cookie: string, fileName: string, text: string): Promise<string>;
  close(): Promise<void>;
};

let counter = 0;
export const uniqueEmail = (label = 'user') =>
  `${label}-${process.pid}-${++counter}-${randomBytes(3).toString('hex')}@example.com`;

export const cookieOf = (reply: LightMyRequestResponse): string | undefined => {
  const raw = reply.headers['set-cookie'];
  const all = Array.isArray(raw) ? raw : raw ? [raw] : [];
  return all.find((c) => c.includes('session_token='))?.split(';')[0];
};

const toReply = (raw: LightMyRequestResponse): Reply => {
  let body: Record<string, unknown> = {};
  try {
    body = raw.body ? (JSON.parse(raw.body) as Record<string, unknown>) : {};
  } catch {
    body = { text: raw.body };
  }
  return { status: raw.statusCode, body, raw };
};

/** The server in-process on a fresh database, driven through HTTP with fastify.inject. */
export async function startHarness(
  driver: Driver,
  env: Record<string, string> = {},
  /** `log` receives every log line (set LOG_LEVEL in env, e.g. `debug`). */
  opts: { log?: (line: string) => void } = {},
): Promise<Harness> {
  const t = await openTestDatabase(driver);
  const dataDir = mkdtempSync(join(tmpdir(), 'platform-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    // One test signs many people up from one address; the limits have tests of their own.
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    IP_RATE_LIMIT_PER_MINUTE: '1000000',
    DATA_DIR: dataDir,
    AUTH_SECRET: randomBytes(32).toString('base64url'),
    PUBLIC_URL,
    ...(t.url ? { DATABASE_URL: t.url } : {}),
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    ...env,
  });
  const sink = opts.log;
  const logger = sink
    ? createLogger(config, { write: (line: string) => sink(line) })
    : createLogger(config);
  const platform = await openPlatform(config, logger, { db: t.db });
  const app = await buildApp(platform);
  await app.ready();

  // A cookie-authenticated write carries its session's CSRF token, as a browser page would.
  const csrfTokens = new Map<string, string>();
  const csrfOf = async (cookie: string): Promise<string | undefined> => {
    const known = csrfTokens.get(cookie);
    if (known) return known;
    const r = await app.inject({ method: 'GET', url: '/api/csrf', headers: { cookie } });
    if (r.statusCode !== 200) return undefined;
    const token = (JSON.parse(r.body) as { token: string }).token;
    csrfTokens.set(cookie, token);
    return token;
  };
  const headers = async (cookie?: string) => {
    const token = cookie ? await csrfOf(cookie) : undefined;
    return {
      origin: PUBLIC_URL,
      'content-type': 'application/json',
      ...(cookie ? { cookie } : {}),
      ...(token ? { 'x-csrf-token': token } : {}),
    };
  };
  const post = async (url: string, body: unknown, cookie?: string) =>
    toReply(
      await app.inject({
        method: 'POST',
        url,
        headers: await headers(cookie),
        payload: JSON.stringify(body ?? {}),
      }),
    );
  const query = async (path: string, cookie?: string, input?: unknown) =>
    toReply(
      await app.inject({
        method: 'GET',
        url: `/trpc/${path}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`,
        headers: cookie ? { cookie } : {},
      }),
    );
  const mutate = async (path: string, cookie: string | undefined, input: unknown) =>
    post(`/trpc/${path}`, input, cookie);

  const signUp: Harness['signUp'] = async (org, opts = {}) => {
    const email = opts.email ?? uniqueEmail();
    const password = opts.password ?? 'correct horse battery staple';
    const reply = await post('/api/auth/sign-up/email', {
      name: opts.name ?? 'Test Person',
      email,
      password,
      organizationName: org,
    });
    const cookie = cookieOf(reply.raw);
    if (reply.status !== 200 || !cookie)
      throw new Error(`sign-up failed: ${reply.status} ${reply.raw.body}`);
    const me = await query('users.me', cookie);
    const data = (me.body.result as { data: { id: string; tenantId: string } }).data;
    return { cookie, userId: data.id, tenantId: data.tenantId, email, password };
  };

  const joinAs: Harness['joinAs'] = async (owner, role) => {
    const person = await signUp(`${role} home`);
    await t.ownerQuery('insert into memberships (tenant_id, user_id, role) values ($1, $2, $3)', [
      owner.tenantId,
      person.userId,
      role,
    ]);
    const signIn = await post('/api/auth/sign-in/email', {
      email: person.email,
      password: person.password,
    });
    const cookie = cookieOf(signIn.raw);
    if (!cookie) throw new Error(`sign-in failed: ${signIn.status}`);
    return { ...person, cookie, tenantId: owner.tenantId, homeTenantId: person.tenantId };
  };

  const ingest: Harness['ingest'] = async (cookie, fileName, text) => {
    const up = await mutate('knowledge.upload', cookie, {
      fileName,
      contentBase64: Buffer.from(text).toString('base64'),
    });
    const id = (up.body.result as { data: { document: { id: string } } } | undefined)?.data.document
      .id;
    if (!id) throw new Error(`upload failed: ${up.status} ${up.raw.body}`);
    await platform.knowledge.start();
    for (let i = 0; i < 600; i++) {
      const got = await query('knowledge.get', cookie, { documentId: id });
      const status = (got.body.result as { data: { status: string } }).data.status;
      if (status === 'ready') return id;
      if (status === 'failed') throw new Error(`ingestion of ${fileName} failed`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${fileName} never became ready`);
  };

  return {
    app,
    platform,
    t,
    config,
    signUp,
    joinAs,
    ingest,
    post,
    query,
    mutate,
    csrf: csrfOf,
    close: async () => {
      await stopServer(app, 10_000);
      await platform.knowledge.stop();
      await platform.ai.stop();
      platform.redis?.disconnect();
      await t.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** tRPC success payload. */
export const data = <T = Record<string, unknown>>(r: Reply): T =>
  (r.body.result as { data: T }).data;
/** tRPC error payload: `{ message, data: { code, httpStatus, field } }`. */
export const trpcError = (r: Reply) =>
  r.body.error as { message: string; data: { code: string; httpStatus: number; field?: string } };
