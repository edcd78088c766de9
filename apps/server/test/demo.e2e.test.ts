import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTestDatabase, type TestDatabase, testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../src/demo/constants.ts';
import { DEMO_PAGE_CSP } from '../src/demo/page.ts';
import { seedDemo } from '../src/demo/seed.ts';
import { createLogger } from '../src/logger.ts';
import { openPlatform, type Platform } from '../src/platform.ts';
import { cookieOf, data, type Harness, PUBLIC_URL, startHarness } from './harness.ts';
import { freePort, startServer, waitHealthy } from './process.ts';

/** Each question the demo page suggests, with the fact and the document its answer must quote. */
const EXAMPLES: Record<string, { fact: RegExp; document: string }> = {
  'How long does standard shipping take?': {
    fact: /3 to 5 business days/,
    document: 'shipping-and-returns.md',
  },
  'How much does the Plus plan cost per month?': {
    fact: /\$19 per month/,
    document: 'billing-and-plans.md',
  },
  'How many days do I have to return unopened coffee beans?': {
    fact: /30 days/,
    document: 'shipping-and-returns.md',
  },
  'How long is the password reset link valid?': {
    fact: /30\s+minutes/,
    document: 'account-and-security.md',
  },
};
const ELSEWHERE = 'https://evil.example.net';

type Citation = { documentId: string; title: string; snippet: string };
type Outcome = {
  reply: { text: string; citations: Citation[] } | null;
  handoff: string | null;
};

/** The widget script tag on the demo page, and the example questions it lists. */
const widgetTag = (key: string) => `<script src="/widget.js" data-widget-key="${key}" async>`;
const examplesOn = (html: string) =>
  [...(html.match(/<ul id="examples">([\s\S]*?)<\/ul>/)?.[1] ?? '').matchAll(/<li>(.*?)<\/li>/g)]
    .map((m) => m[1])
    .filter((q): q is string => !!q);

/**
 * Asks through the REST API as the widget does: a visitor token for the key from `origin`, a
 * conversation, then the question (JSON outcome rather than the event stream).
 */
async function askAsVisitor(
  request: (
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
  ) => Promise<{ status: number; json: unknown }>,
  key: string,
  origin: string,
  question: string,
): Promise<Outcome> {
  const session = await request('POST', '/api/v1/widget/session', { widgetKey: key }, { origin });
  expect(session.status, JSON.stringify(session.json)).toBe(200);
  const auth = { origin, authorization: `Bearer ${(session.json as { token: string }).token}` };
  const conversation = await request('POST', '/api/v1/conversations', {}, auth);
  expect(conversation.status, JSON.stringify(conversation.json)).toBe(201);
  const id = (conversation.json as { id: string }).id;
  const sent = await request(
    'POST',
    `/api/v1/conversations/${id}/messages`,
    { text: question },
    { ...auth, accept: 'application/json' },
  );
  expect(sent.status, JSON.stringify(sent.json)).toBe(200);
  return sent.json as Outcome;
}

describe.each(testDrivers())('first-start demo (%s)', (driver) => {
  let h: Harness;
  let widgetKey: string;
  const passwordFile = () => join(h.config.dataDir, DEMO.passwordFile);
  const count = async (query: string, params: unknown[] = []) =>
    Number((await h.t.ownerQuery<{ n: string }>(query, params))[0]?.n);

  beforeAll(async () => {
    h = await startHarness(driver, { DEMO_SEED: 'true' });
  });
  afterAll(() => h?.close());

  it('is off when DEMO_SEED is', async () => {
    expect(await seedDemo({ ...h.platform, config: { ...h.config, DEMO_SEED: false } })).toBeNull();
    expect(await count(`select count(*) as n from tenants where slug = 'demo'`)).toBe(0);
  });

  it('seeds one organisation, admin, knowledge base and widget when two starts race', async () => {
    // On PostgreSQL the second "instance" has its own connection pool (and ingestion workers),
    // as a second server process would; the embedded database has one owner, so it shares.
    const second: Platform =
      driver === 'postgres'
        ? await openPlatform(h.config, createLogger({ LOG_LEVEL: 'silent' }))
        : h.platform;
    try {
      const [a, b] = await Promise.all([seedDemo(h.platform), seedDemo(second)]);
      expect(a?.widgetKey).toMatch(/^pk_[\w-]{32}$/);
      expect(b?.widgetKey).toBe(a?.widgetKey);
      widgetKey = a?.widgetKey as string;
    } finally {
      if (second !== h.platform) await second.close();
    }

    const tenants = await h.t.ownerQuery<{ id: string; name: string; slug: string }>(
      'select id, name, slug from tenants',
    );
    expect(tenants.map(({ name, slug }) => ({ name, slug }))).toEqual([
      { name: DEMO.organisation, slug: DEMO.slug },
    ]);
    const tenantId = tenants[0]?.id;
    expect(await count('select count(*) as n from users where email = $1', [DEMO.adminEmail])).toBe(
      1,
    );
    expect(
      await h.t.ownerQuery('select role from memberships where tenant_id = $1', [tenantId]),
    ).toEqual([{ role: 'owner' }]);
    const widgets = await h.t.ownerQuery<Record<string, unknown>>(
      'select name, public_key, allowed_origins, settings, is_active from widgets',
    );
    expect(widgets).toEqual([
      {
        name: DEMO.widgetName,
        public_key: widgetKey,
        allowed_origins: [PUBLIC_URL, 'http://127.0.0.1:3000'],
        settings: { greeting: DEMO.greeting },
        is_active: true,
      },
    ]);
    const documents = await h.t.ownerQuery<{ title: string; status: string }>(
      'select title, status from knowledge_documents where tenant_id = $1 order by title',
      [tenantId],
    );
    expect(documents).toEqual(
      [
        'account-and-security.md',
        'billing-and-plans.md',
        'getting-started.md',
        'shipping-and-returns.md',
      ].map((title) => ({ title, status: 'ready' })),
    );
    // The password: one line, private to the server's user.
    expect(readFileSync(passwordFile(), 'utf8')).toMatch(/^[\w-]{24}\n$/);
    expect(statSync(passwordFile()).mode & 0o777).toBe(0o600);

    // A later start changes nothing.
    const before = readFileSync(passwordFile(), 'utf8');
    expect(await seedDemo(h.platform)).toEqual({ widgetKey, created: false });
    expect(await count('select count(*) as n from tenants')).toBe(1);
    expect(await count('select count(*) as n from widgets')).toBe(1);
    expect(await count('select count(*) as n from knowledge_documents')).toBe(4);
    expect(readFileSync(passwordFile(), 'utf8')).toBe(before);
  });

  it('lets the admin sign in with the password from the file', async () => {
    const password = readFileSync(passwordFile(), 'utf8').trim();
    const wrong = await h.post('/api/auth/sign-in/email', {
      email: DEMO.adminEmail,
      password: `${password}x`,
    });
    expect(wrong.status).toBe(401);
    const signIn = await h.post('/api/auth/sign-in/email', { email: DEMO.adminEmail, password });
    expect(signIn.status, signIn.raw.body).toBe(200);
    const me = data<{ email: string; role: string; tenantId: string }>(
      await h.query('users.me', cookieOf(signIn.raw)),
    );
    expect(me).toMatchObject({ email: DEMO.adminEmail, role: 'owner' });
    const [tenant] = await h.t.ownerQuery<{ id: string }>(`select id from tenants`);
    expect(me.tenantId).toBe(tenant?.id);
  });

  it('serves the demo page at / with the widget, under a strict CSP, and the account page', async () => {
    const page = await h.app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toBe(DEMO_PAGE_CSP);
    expect(page.body).toContain(`${widgetTag(widgetKey)}</script>`);
    expect(page.body).toContain(passwordFile());
    expect(page.body).toContain(DEMO.adminEmail);
    expect(page.body).toContain('href="/account"');
    // Nothing inline for the CSP to block: every script has a src, styles are a linked sheet.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.body).not.toMatch(/<style|\sstyle=/);
    expect(examplesOn(page.body).sort()).toEqual(Object.keys(EXAMPLES).sort());

    const css = await h.app.inject({ method: 'GET', url: '/demo.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    const account = await h.app.inject({ method: 'GET', url: '/account' });
    expect(account.statusCode).toBe(200);
    expect(account.body).toContain('/api/auth/sign-in/email');
  });

  it("issues visitor tokens to the server's own origins only", async () => {
    const session = (origin: string) =>
      h.app.inject({
        method: 'POST',
        url: '/api/v1/widget/session',
        headers: { 'content-type': 'application/json', origin },
        payload: JSON.stringify({ widgetKey }),
      });
    for (const origin of [PUBLIC_URL, 'http://127.0.0.1:3000']) {
      const ok = await session(origin);
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.headers['access-control-allow-origin']).toBe(origin);
    }
    const refused = await session(ELSEWHERE);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'FORBIDDEN', field: 'origin' });
  });

  it('answers every example question from the sample help centre, with a citation', async () => {
    const request = async (
      method: string,
      url: string,
      body: unknown,
      headers: Record<string, string>,
    ) => {
      const r = await h.app.inject({
        method: method as 'POST',
        url,
        headers: { 'content-type': 'application/json', ...headers },
        payload: JSON.stringify(body),
      });
      return { status: r.statusCode, json: r.json() as unknown };
    };
    for (const [question, expected] of Object.entries(EXAMPLES)) {
      const { reply, handoff } = await askAsVisitor(request, widgetKey, PUBLIC_URL, question);
      expect(handoff, question).toBeNull();
      expect(reply?.text, question).toMatch(expected.fact);
      expect(reply?.citations[0]?.title, question).toBe(expected.document);
    }
  });
});

describe.each(testDrivers())('npm start on a fresh DATA_DIR (%s)', (driver) => {
  let t: TestDatabase | undefined;
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'platform-demo-'));
    // LOG_LEVEL info for the seeding hint. DEMO_SEED '' reads as unset: the embedded default
    // (on); PostgreSQL needs it turned on.
    env = { DATA_DIR: dataDir, LOG_LEVEL: 'info', DEMO_SEED: '' };
    if (driver === 'postgres') {
      t = await openTestDatabase('postgres');
      env.DATABASE_URL = t.url as string;
      env.DEMO_SEED = 'true';
    }
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves a working demo from the first request, and seeds it only once', async () => {
    const port = await freePort();
    const server = startServer(env, port);
    let restarted: ReturnType<typeof startServer> | undefined;
    try {
      await waitHealthy(server, 90_000);
      const origin = `http://localhost:${port}`;
      const request = async (
        method: string,
        path: string,
        body: unknown,
        headers: Record<string, string>,
      ) => {
        const r = await fetch(`${server.url}${path}`, {
          method,
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        });
        return { status: r.status, json: (await r.json()) as unknown };
      };

      const page = await fetch(`${server.url}/`);
      expect(page.headers.get('content-security-policy')).toBe(DEMO_PAGE_CSP);
      const html = await page.text();
      const key = html.match(/data-widget-key="(pk_[\w-]+)"/)?.[1] as string;
      expect(html).toContain(widgetTag(key));
      const file = join(dataDir, DEMO.passwordFile);
      expect(html).toContain(file);

      // The hint names the file; the password never reaches the log.
      const password = readFileSync(file, 'utf8').trim();
      expect(server.output()).toContain(file);
      expect(server.output()).toContain('demo seeded');
      expect(server.output()).not.toContain(password);

      const signIn = await request(
        'POST',
        '/api/auth/sign-in/email',
        { email: DEMO.adminEmail, password },
        { origin },
      );
      expect(signIn.status).toBe(200);
      const question = 'How much does the Plus plan cost per month?';
      for (const from of [origin, `http://127.0.0.1:${port}`]) {
        const { reply } = await askAsVisitor(request, key, from, question);
        expect(reply?.text).toMatch(/\$19 per month/);
        expect(reply?.citations[0]?.title).toBe('billing-and-plans.md');
      }

      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      restarted = startServer(env, port);
      await waitHealthy(restarted, 90_000);
      const again = await (await fetch(`${restarted.url}/`)).text();
      expect(again).toContain(widgetTag(key));
      expect(restarted.output()).not.toContain('demo seeded');
      expect(readFileSync(file, 'utf8').trim()).toBe(password);
    } finally {
      for (const s of [server, restarted]) {
        if (s && s.child.exitCode === null) {
          s.child.kill('SIGTERM');
          await s.exited;
        }
      }
    }
  }, 240_000);
});
