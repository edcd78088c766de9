import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { createPrivacyService } from '@platform/api';
import { testDrivers } from '@platform/db/testing';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotTenant } from './cross-tenant.ts';
import {
  type Account,
  cookieOf,
  data,
  type Harness,
  startHarness,
  trpcError,
  uniqueEmail,
} from './harness.ts';

const DAY_MS = 86_400_000;
const tag = () => randomBytes(4).toString('hex');

type RequestView = {
  id: string;
  type: 'export' | 'deletion';
  scope: 'user' | 'tenant';
  status: string;
  userId: string | null;
  dueAt: string | null;
  cancelledAt: string | null;
  completedAt: string | null;
  archiveExpiresAt: string | null;
  error: string | null;
  downloadUrl: string | null;
};

type Person = Account & { name: string; homeTenantId: string };

type UserArchive = {
  format: string;
  scope: string;
  profile: { id: string; email: string; name: string };
  accounts: { providerId: string }[];
  sessions: { id: string }[];
  memberships: { tenantId: string; role: string }[];
  organisations: {
    tenant: { id: string; name: string };
    member: boolean;
    role: string | null;
    removal: { name: string; email: string; role: string } | null;
    conversationsStarted: { id: string }[];
    messagesWritten: { content: string }[];
    auditEntries: { action: string; resourceId: string | null }[];
  }[];
};

describe.each(testDrivers())('GDPR export and erasure (%s)', (driver) => {
  let h: Harness;
  /** Organisation X: its owner, and people who join it. */
  let owner: Account;
  /** Another organisation, Y, which nothing here may touch. */
  let other: Account;
  let otherSecret: string;

  beforeAll(async () => {
    h = await startHarness(driver);
    owner = await h.signUp('Privacy Org X', { name: `Olive Owner ${tag()}` });
    other = await h.signUp('Privacy Org Y', { name: `Carol Other ${tag()}` });
    otherSecret = `tenant-y-secret-${tag()}`;
    await converse(other.cookie, `Y only: ${otherSecret}`);
  }, 120_000);
  afterAll(() => h?.close());

  /**
   * A person with their own name who joins X with `role`. Signing up made them the owner of a
   * home organisation; X's owner co-owns it, so they are never its last owner.
   */
  async function person(name: string, role: 'admin' | 'member', org = owner): Promise<Person> {
    const email = uniqueEmail(name.split(' ')[0]?.toLowerCase());
    const home = await h.signUp(`Home ${tag()}`, { name, email });
    await h.t.ownerQuery('insert into memberships (tenant_id, user_id, role) values ($1, $2, $3)', [
      org.tenantId,
      home.userId,
      role,
    ]);
    await h.t.ownerQuery(
      `insert into memberships (tenant_id, user_id, role) values ($1, $2, 'owner')`,
      [home.tenantId, owner.userId],
    );
    const signIn = await h.post('/api/auth/sign-in/email', { email, password: home.password });
    const cookie = cookieOf(signIn.raw);
    if (!cookie) throw new Error(`sign-in failed: ${signIn.status} ${signIn.raw.body}`);
    return { ...home, cookie, tenantId: org.tenantId, name, homeTenantId: home.tenantId };
  }

  /** A new session for `who`, acting for their newest organisation, which must be `tenantId`. */
  async function switchTo(who: Person, tenantId: string): Promise<string> {
    const signIn = await h.post('/api/auth/sign-in/email', {
      email: who.email,
      password: who.password,
    });
    const cookie = cookieOf(signIn.raw);
    if (!cookie) throw new Error(`sign-in failed: ${signIn.status} ${signIn.raw.body}`);
    const me = await ok<{ tenantId: string }>(h.query('users.me', cookie));
    expect(me.tenantId).toBe(tenantId);
    return cookie;
  }

  /** A dashboard conversation with one message; its id. */
  async function converse(cookie: string, text: string): Promise<string> {
    const created = await h.mutate('conversations.create', cookie, { title: 'Question' });
    expect(created.status, created.raw.body).toBe(200);
    const id = data<{ id: string }>(created).id;
    const sent = await h.mutate('chat.send', cookie, { conversationId: id, text });
    expect(sent.status, sent.raw.body).toBe(200);
    return id;
  }

  const ok = async <T = RequestView>(
    reply: Promise<{ status: number; raw: LightMyRequestResponse }>,
  ) => {
    const r = await reply;
    expect(r.status, r.raw.body).toBe(200);
    return data<T>(r as Parameters<typeof data>[0]);
  };

  const download = (cookie: string | undefined, id: string, headers: Record<string, string> = {}) =>
    h.app.inject({
      method: 'GET',
      url: `/api/v1/privacy/exports/${id}`,
      headers: { ...(cookie ? { cookie } : {}), ...headers },
    });

  /** The end of the grace period, now: the request and its queued job are due. */
  async function makeDue(requestId: string) {
    await h.t.ownerQuery(
      `update data_requests set due_at = now() - interval '1 minute' where id = $1`,
      [requestId],
    );
    await h.t.ownerQuery(
      `update jobs set run_at = now() - interval '1 minute'
        where queue = 'privacy' and status = 'queued' and payload->>'requestId' = $1`,
      [requestId],
    );
  }

  const requestRow = async (id: string) =>
    (
      await h.t.ownerQuery<{
        status: string;
        user_id: string | null;
        archive: Uint8Array | null;
        error: string | null;
      }>('select status, user_id, archive, error from data_requests where id = $1', [id])
    )[0];

  const auditActions = async (tenantId: string) =>
    (
      await h.t.ownerQuery<{ action: string; resource_id: string | null }>(
        `select action, resource_id from audit_logs where tenant_id = $1 and action like 'privacy.%'`,
        [tenantId],
      )
    ).map((r) => `${r.action}:${r.resource_id ?? ''}`);

  /** Tables (any schema table) holding `needle` anywhere in a row. */
  async function tablesContaining(needle: string): Promise<string[]> {
    const tables = await h.t.ownerQuery<{ name: string }>(
      `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind = 'r' order by 1`,
    );
    const hits: string[] = [];
    for (const { name } of tables) {
      const [row] = await h.t.ownerQuery<{ n: number }>(
        `select count(*)::int as n from "${name}" t where strpos(t::text, $1) > 0`,
        [needle],
      );
      if ((row?.n ?? 0) > 0) hits.push(name);
    }
    return hits;
  }

  it('exports what an organisation they were removed from still holds about them', async () => {
    const dana = await person(`Dana Departed ${tag()}`, 'member');
    const danaText = `dana-wrote-before-leaving-${tag()}`;
    const conversation = await converse(dana.cookie, danaText);
    await ok(h.mutate('users.remove', owner.cookie, { userId: dana.userId }));
    // She asks from her own organisation: X's rows no longer lead to her through a membership.
    const home = await switchTo(dana, dana.homeTenantId);
    const asked = await ok(h.mutate('privacy.requestExport', home, {}));
    await h.platform.privacy.drain();
    const got = await download(home, asked.id);
    expect(got.statusCode, got.body).toBe(200);
    const archive = JSON.parse(got.body) as UserArchive;
    expect(archive.memberships.map((m) => m.tenantId)).toEqual([dana.homeTenantId]);

    const inX = archive.organisations.find((o) => o.tenant.id === owner.tenantId);
    expect(inX).toMatchObject({ member: false, role: null });
    expect(inX?.removal).toMatchObject({ name: dana.name, email: dana.email, role: 'member' });
    expect(inX?.conversationsStarted.map((c) => c.id)).toEqual([conversation]);
    expect(inX?.messagesWritten.map((m) => m.content)).toEqual([danaText]);
    const about = inX?.auditEntries.map((e) => `${e.action}:${e.resourceId}`) ?? [];
    expect(about).toContain(`member.removed:${dana.userId}`);
    expect(archive.organisations.find((o) => o.tenant.id === dana.homeTenantId)).toMatchObject({
      member: true,
      role: 'owner',
      removal: null,
    });
    // Still nothing of an organisation that never had her.
    for (const absent of [other.tenantId, otherSecret])
      expect(got.body, `the export holds ${absent}`).not.toContain(absent);
  });

  it('exports a person’s own data, to them only, and nothing of anyone else', async () => {
    const alice = await person(`Alice Exporter ${tag()}`, 'member');
    const bob = await person(`Bob Bystander ${tag()}`, 'member');
    const aliceText = `alice-writes-${tag()}`;
    const bobText = `bob-writes-${tag()}`;
    const aliceConversation = await converse(alice.cookie, aliceText);
    await converse(bob.cookie, bobText);
    // Something done to Alice's account by someone else: an audit entry about her.
    await ok(h.mutate('users.updateRole', owner.cookie, { userId: alice.userId, role: 'admin' }));

    const asked = await ok(h.mutate('privacy.requestExport', alice.cookie, {}));
    expect(asked).toMatchObject({ type: 'export', scope: 'user', status: 'pending' });
    expect(asked.downloadUrl).toBeNull();
    // Asking again while it is being built answers the same request.
    expect((await ok(h.mutate('privacy.requestExport', alice.cookie, {}))).id).toBe(asked.id);
    const early = await download(alice.cookie, asked.id);
    expect(early.statusCode, early.body).toBe(409);

    await h.platform.privacy.drain();
    const mine = await ok<{ items: RequestView[] }>(h.query('privacy.requests', alice.cookie));
    const done = mine.items.find((r) => r.id === asked.id);
    expect(done).toMatchObject({
      status: 'completed',
      downloadUrl: `/api/v1/privacy/exports/${asked.id}`,
    });
    expect(Date.parse(done?.archiveExpiresAt ?? '') - Date.now()).toBeGreaterThan(6 * DAY_MS);
    // Bob's list does not show Alice's request.
    const bobs = await ok<{ items: RequestView[] }>(h.query('privacy.requests', bob.cookie));
    expect(bobs.items.map((r) => r.id)).not.toContain(asked.id);

    const got = await download(alice.cookie, asked.id);
    expect(got.statusCode, got.body).toBe(200);
    expect(got.headers['content-type']).toMatch(/^application\/json/);
    expect(got.headers['content-disposition']).toMatch(
      /^attachment; filename="personal-data-.*\.json"$/,
    );
    expect(got.headers['cache-control']).toBe('no-store');
    const archive = JSON.parse(got.body) as UserArchive;
    expect(archive.format).toBe('platform.gdpr-export');
    expect(archive.profile).toMatchObject({
      id: alice.userId,
      email: alice.email,
      name: alice.name,
    });
    expect(archive.accounts.map((a) => a.providerId)).toContain('credential');
    expect(archive.sessions.length).toBeGreaterThan(0);
    expect(archive.memberships.map((m) => m.tenantId).sort()).toEqual(
      [owner.tenantId, alice.homeTenantId].sort(),
    );
    const inX = archive.organisations.find((o) => o.tenant.id === owner.tenantId);
    expect(inX?.role).toBe('admin');
    expect(inX?.conversationsStarted.map((c) => c.id)).toEqual([aliceConversation]);
    expect(inX?.messagesWritten.map((m) => m.content)).toEqual([aliceText]);
    const about = inX?.auditEntries.map((e) => `${e.action}:${e.resourceId}`) ?? [];
    expect(about).toContain(`member.role_changed:${alice.userId}`);
    expect(about.some((a) => a.startsWith('auth.sign_in:'))).toBe(true);
    // No secret, and nothing of Bob's or of the other organisation.
    for (const absent of [
      '$argon2',
      'password',
      'token',
      'secret"',
      bob.userId,
      bob.email,
      bob.name,
      bobText,
      other.tenantId,
      other.userId,
      other.email,
      otherSecret,
    ])
      expect(got.body, `the export holds ${absent}`).not.toContain(absent);

    // The same archive gzipped, for a client that accepts it.
    const zipped = await download(alice.cookie, asked.id, { 'accept-encoding': 'gzip, br' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(zipped.rawPayload).toString('utf8')).toBe(got.body);

    // Nobody else downloads it: not a colleague, not an admin, not another organisation.
    for (const cookie of [bob.cookie, owner.cookie, other.cookie])
      expect((await download(cookie, asked.id)).statusCode).toBe(404);
    expect((await download(undefined, asked.id)).statusCode).toBe(401);
    expect((await download(alice.cookie, 'not-a-uuid')).statusCode).toBe(400);
    const keyed = await download(undefined, asked.id, { authorization: 'Bearer sk_live_x' });
    expect(keyed.statusCode).toBe(403);

    const log = await auditActions(owner.tenantId);
    expect(log).toContain(`privacy.export_requested:${asked.id}`);
    expect(log).toContain(`privacy.export_completed:${asked.id}`);
    expect(log).toContain(`privacy.export_downloaded:${asked.id}`);

    // Past its expiry the archive is gone: 410, and the bytes are deleted.
    await h.t.ownerQuery(
      `update data_requests set archive_expires_at = now() - interval '1 second' where id = $1`,
      [asked.id],
    );
    expect((await download(alice.cookie, asked.id)).statusCode).toBe(410);
    expect((await requestRow(asked.id))?.archive).toBeNull();
  });

  it('schedules a deletion after the grace period, and a cancelled one never runs', async () => {
    const dave = await person(`Dave Deleter ${tag()}`, 'member');
    const bob = await person(`Bob Other ${tag()}`, 'member');
    const asked = await ok(h.mutate('privacy.requestDeletion', dave.cookie, {}));
    expect(asked).toMatchObject({ type: 'deletion', scope: 'user', status: 'scheduled' });
    const due = Date.parse(asked.dueAt ?? '');
    expect(Math.abs(due - (Date.now() + 30 * DAY_MS))).toBeLessThan(10 * 60_000);
    const [job] = await h.t.ownerQuery<{ run_at: Date }>(
      `select run_at from jobs where queue = 'privacy' and payload->>'requestId' = $1`,
      [asked.id],
    );
    expect(new Date(job?.run_at ?? 0).getTime()).toBe(due);
    // Asking again does not restart the grace period.
    expect((await ok(h.mutate('privacy.requestDeletion', dave.cookie, {}))).id).toBe(asked.id);
    // An admin sees it, and the organisation's list has it; nobody but Dave may cancel it.
    const all = await ok<{ items: RequestView[] }>(h.query('privacy.tenantRequests', owner.cookie));
    expect(all.items.map((r) => r.id)).toContain(asked.id);
    expect((await h.query('privacy.tenantRequests', bob.cookie)).status).toBe(403);
    const byBob = await h.mutate('privacy.cancelDeletion', bob.cookie, { id: asked.id });
    expect(byBob.status).toBe(404);
    const byAdmin = await h.mutate('privacy.cancelDeletion', owner.cookie, { id: asked.id });
    expect(byAdmin.status).toBe(403);
    const bad = await h.mutate('privacy.cancelDeletion', dave.cookie, { id: 'nope' });
    expect(bad.status).toBe(400);
    expect(trpcError(bad).data.field).toBe('id');

    const cancelled = await ok(h.mutate('privacy.cancelDeletion', dave.cookie, { id: asked.id }));
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.cancelledAt).not.toBeNull();
    // Cancelling twice changes nothing.
    expect(
      (await ok(h.mutate('privacy.cancelDeletion', dave.cookie, { id: asked.id }))).status,
    ).toBe('cancelled');

    // The job was queued before the cancellation; when it runs, the cancellation wins.
    await makeDue(asked.id);
    await h.platform.privacy.drain();
    expect((await requestRow(asked.id))?.status).toBe('cancelled');
    const [still] = await h.t.ownerQuery<{ name: string }>('select name from users where id = $1', [
      dave.userId,
    ]);
    expect(still?.name).toBe(dave.name);
    expect((await h.query('users.me', dave.cookie)).status).toBe(200);
    const log = await auditActions(owner.tenantId);
    expect(log).toContain(`privacy.deletion_requested:${dave.userId}`);
    expect(log).toContain(`privacy.deletion_cancelled:${dave.userId}`);
    expect(log.filter((a) => a.startsWith('privacy.deletion_completed'))).toEqual([]);
  });

  it('refuses to erase the last owner of an organisation, up front and when due', async () => {
    const refused = await h.mutate('privacy.requestDeletion', owner.cookie, {});
    expect(refused.status, refused.raw.body).toBe(409);
    expect(trpcError(refused).message).toContain('Privacy Org X');
    expect(trpcError(refused).message).toContain('last owner');
    const [none] = await h.t.ownerQuery<{ n: number }>(
      `select count(*)::int as n from data_requests where type = 'deletion' and user_id = $1`,
      [owner.userId],
    );
    expect(none?.n).toBe(0);

    // Erin co-owns X when she asks; by the due date she is its only owner: the job refuses.
    const erin = await person(`Erin Coowner ${tag()}`, 'admin');
    await h.t.ownerQuery(
      `update memberships set role = 'owner' where tenant_id = $1 and user_id = $2`,
      [owner.tenantId, erin.userId],
    );
    const asked = await ok(h.mutate('privacy.requestDeletion', erin.cookie, {}));
    await h.t.ownerQuery(
      `update memberships set role = 'admin' where tenant_id = $1 and user_id = $2`,
      [owner.tenantId, owner.userId],
    );
    try {
      await makeDue(asked.id);
      await h.platform.privacy.drain();
      const row = await requestRow(asked.id);
      expect(row?.status).toBe('failed');
      expect(row?.error).toContain('last owner');
      const [kept] = await h.t.ownerQuery<{ n: number }>(
        'select count(*)::int as n from memberships where user_id = $1',
        [erin.userId],
      );
      expect(kept?.n).toBe(2);
    } finally {
      await h.t.ownerQuery(
        `update memberships set role = 'owner' where tenant_id = $1 and user_id = $2`,
        [owner.tenantId, owner.userId],
      );
    }
  });

  it('leaves an owner when the two owners of an organisation are erased at the same instant', async () => {
    // Rita and Pat own R together; each asks to be erased from another organisation's queue
    // (Rita from R, Pat from his home), so two workers run the two jobs at once. Each passed
    // the last-owner check when asking; only one of them may leave R.
    const rita = await h.signUp(`Org R ${tag()}`, { name: `Rita Owner ${tag()}` });
    const pat = await person(`Pat Coowner ${tag()}`, 'admin', rita);
    // (older than his home membership, so his new session acts for his home)
    await h.t.ownerQuery(
      `update memberships set role = 'owner', created_at = now() - interval '1 day'
        where tenant_id = $1 and user_id = $2`,
      [rita.tenantId, pat.userId],
    );
    const ritaAsked = await ok(h.mutate('privacy.requestDeletion', rita.cookie, {}));
    const patAsked = await ok(
      h.mutate('privacy.requestDeletion', await switchTo(pat, pat.homeTenantId), {}),
    );
    await makeDue(ritaAsked.id);
    await makeDue(patAsked.id);
    const second = createPrivacyService({
      db: h.platform.db,
      log: h.app.log,
      graceDays: 30,
      exportTtlDays: 7,
    });
    await Promise.all([h.platform.privacy.drain(), second.drain()]);

    const outcomes = [await requestRow(ritaAsked.id), await requestRow(patAsked.id)];
    expect(outcomes.map((o) => o?.status).sort()).toEqual(['completed', 'failed']);
    expect(outcomes.find((o) => o?.status === 'failed')?.error).toContain('last owner');
    const owners = await h.t.ownerQuery<{ user_id: string }>(
      `select user_id from memberships where tenant_id = $1 and role = 'owner'`,
      [rita.tenantId],
    );
    expect(owners).toHaveLength(1);
  });

  it('erases a due person everywhere, keeping transcripts anonymised', async () => {
    const name = `Frank Erasable ${tag()}`;
    const frank = await person(name, 'admin');
    const bob = await person(`Bob Witness ${tag()}`, 'member');
    const frankText = `frank-asks-${tag()}`;
    const bobText = `bob-asks-${tag()}`;
    // Frank starts a conversation, takes over Bob's and answers in it, creates an API key, a
    // personality and a budget, and has an export waiting.
    const frankConversation = await converse(frank.cookie, frankText);
    const bobConversation = await converse(bob.cookie, bobText);
    await ok(h.mutate('conversations.claim', frank.cookie, { id: bobConversation }));
    const agentText = `frank-answers-${tag()}`;
    await ok(
      h.mutate('chat.send', frank.cookie, { conversationId: bobConversation, text: agentText }),
    );
    const key = await ok<{ id: string; key: string }>(
      h.mutate('apiKeys.create', frank.cookie, { name: 'Frank sync', scopes: ['read'] }),
    );
    await ok(
      h.mutate('personalities.create', frank.cookie, {
        name: 'Frank bot',
        systemPrompt: 'Be brief.',
      }),
    );
    await ok(h.mutate('budgets.set', frank.cookie, { monthlyLimitUsd: 12 }));
    // He worked for organisation L and left it before asking: his name there goes too.
    const formerEmployer = await h.signUp(`Former L ${tag()}`, { name: `Lena Lead ${tag()}` });
    await h.t.ownerQuery(
      `insert into memberships (tenant_id, user_id, role) values ($1, $2, 'member')`,
      [formerEmployer.tenantId, frank.userId],
    );
    const lCookie = await switchTo(frank, formerEmployer.tenantId);
    const formerText = `frank-at-l-${tag()}`;
    const formerConversation = await converse(lCookie, formerText);
    // L removed him (keeping his name and email in its list of removed people).
    const removed = await h.mutate('users.remove', formerEmployer.cookie, { userId: frank.userId });
    expect(removed.status, removed.raw.body).toBe(200);
    expect(await tablesContaining(frank.email)).toContain('membership_removals');
    const exported = await ok(h.mutate('privacy.requestExport', frank.cookie, {}));
    await h.platform.privacy.drain();
    expect((await requestRow(exported.id))?.archive).not.toBeNull();
    const [authored] = await h.t.ownerQuery<{ author_name: string }>(
      'select author_name from messages where author_user_id = $1 limit 1',
      [frank.userId],
    );
    expect(authored?.author_name).toBe(name);
    expect(await tablesContaining(name)).toContain('messages');
    const ySnapshot = await snapshotTenant(h, other.tenantId);

    const asked = await ok(h.mutate('privacy.requestDeletion', frank.cookie, {}));
    // A crashed earlier attempt left it processing: running again completes it.
    await makeDue(asked.id);
    await h.t.ownerQuery(`update data_requests set status = 'processing' where id = $1`, [
      asked.id,
    ]);
    await h.platform.privacy.drain();

    const row = await requestRow(asked.id);
    expect(row).toMatchObject({ status: 'completed', user_id: null });
    // Identity: gone, with every credential and session.
    for (const table of ['users', 'accounts', 'auth_sessions', 'two_factors', 'memberships']) {
      const column = table === 'users' ? 'id' : 'user_id';
      const [left] = await h.t.ownerQuery<{ n: number }>(
        `select count(*)::int as n from ${table} where ${column} = $1`,
        [frank.userId],
      );
      expect(left?.n, table).toBe(0);
    }
    expect((await h.query('users.me', frank.cookie)).status).toBe(401);
    // Transcripts: the text stays, the author is anonymous; the platform's note too.
    const messages = await h.t.ownerQuery<{
      content: string;
      author_name: string | null;
      author_user_id: string | null;
      author_type: string;
    }>(
      'select content, author_name, author_user_id, author_type from messages where session_id = any($1::uuid[]) order by created_at',
      [[frankConversation, bobConversation]],
    );
    const [former] = await h.t.ownerQuery<{ author_name: string; author_user_id: string | null }>(
      'select author_name, author_user_id from messages where session_id = $1 and content = $2',
      [formerConversation, formerText],
    );
    expect(former).toEqual({ author_name: 'Deleted user', author_user_id: null });
    for (const text of [frankText, agentText])
      expect(messages.find((m) => m.content === text)).toMatchObject({
        author_name: 'Deleted user',
        author_user_id: null,
      });
    expect(messages.find((m) => m.content === bobText)?.author_name).toBe(bob.name);
    expect(messages.map((m) => m.content)).toContain('Deleted user joined the conversation.');
    const [conversation] = await h.t.ownerQuery<{ assigned_name: string; user_id: string | null }>(
      'select assigned_name, assigned_user_id, user_id from chat_sessions where id = $1',
      [bobConversation],
    );
    expect(conversation?.assigned_name).toBe('Deleted user');
    const [started] = await h.t.ownerQuery<{ user_id: string | null }>(
      'select user_id from chat_sessions where id = $1',
      [frankConversation],
    );
    expect(started?.user_id).toBeNull();
    // The key acted for Frank: revoked, and refused.
    const [keyRow] = await h.t.ownerQuery<{ revoked_at: Date | null; created_by: string | null }>(
      'select revoked_at, created_by from api_keys where id = $1',
      [key.id],
    );
    expect(keyRow?.revoked_at).not.toBeNull();
    expect(keyRow?.created_by).toBeNull();
    const byKey = await h.app.inject({
      method: 'GET',
      url: '/trpc/tenants.current',
      headers: { authorization: `Bearer ${key.key}` },
    });
    expect(byKey.statusCode).toBe(401);
    // His export's archive went with him.
    expect((await requestRow(exported.id))?.archive).toBeNull();

    // Every table with a user reference, scanned: his name and email nowhere; his id only in
    // the append-only audit log (pseudonymous once the users row is gone: see erase-user.ts).
    expect(await tablesContaining(name)).toEqual([]);
    expect(await tablesContaining(frank.email)).toEqual([]);
    expect(await tablesContaining(frank.userId)).toEqual(['audit_logs']);
    const log = await auditActions(owner.tenantId);
    expect(log).toContain(`privacy.deletion_completed:${frank.userId}`);
    // Bob, and the other organisation, are untouched.
    expect((await h.query('users.me', bob.cookie)).status).toBe(200);
    expect(await snapshotTenant(h, other.tenantId)).toEqual(ySnapshot);
  });

  it('exports and erases a whole organisation for its owner only', async () => {
    const zed = await h.signUp(`Org Z ${tag()}`, { name: `Zed Founder ${tag()}` });
    const zara = await person(`Zara Admin ${tag()}`, 'admin', zed);
    const zoe = await person(`Zoe Member ${tag()}`, 'member', zed);
    const docText = `z-handbook-${tag()}`;
    await h.ingest(zed.cookie, 'z-handbook.md', `# Handbook\n\nThe ${docText} rules.`);
    const zText = `z-conversation-${tag()}`;
    await converse(zoe.cookie, zText);
    const widget = await ok<{ id: string; publicKey: string }>(
      h.mutate('widgets.create', zed.cookie, {
        name: 'Z site',
        allowedOrigins: ['https://z.example.com'],
      }),
    );

    // Export: admins and owners ask, a member may not; a member cannot download it either.
    expect((await h.mutate('privacy.requestTenantExport', zoe.cookie, {})).status).toBe(403);
    const exported = await ok(h.mutate('privacy.requestTenantExport', zara.cookie, {}));
    expect(exported).toMatchObject({ scope: 'tenant', status: 'pending', userId: null });
    await h.platform.privacy.drain();
    expect((await download(zoe.cookie, exported.id)).statusCode).toBe(404);
    expect((await download(owner.cookie, exported.id)).statusCode).toBe(404);
    const got = await download(zed.cookie, exported.id);
    expect(got.statusCode, got.body).toBe(200);
    expect(got.headers['content-disposition']).toMatch(/filename="organisation-data-/);
    const archive = JSON.parse(got.body) as {
      tenant: { id: string };
      members: { email: string; role: string }[];
      documents: { title: string; text: string | null }[];
      conversations: { messages: { content: string }[] }[];
      widgets: { id: string }[];
      auditLog: { action: string }[];
    };
    expect(archive.tenant.id).toBe(zed.tenantId);
    expect(archive.members.map((m) => m.email).sort()).toEqual(
      [zed.email, zara.email, zoe.email].sort(),
    );
    expect(archive.documents[0]?.text).toContain(docText);
    expect(archive.conversations.flatMap((c) => c.messages.map((m) => m.content))).toContain(zText);
    expect(archive.widgets.map((w) => w.id)).toEqual([widget.id]);
    expect(got.body).not.toContain(widget.publicKey);
    expect(archive.auditLog.map((e) => e.action)).toContain('widget.created');
    expect(got.body).not.toContain(otherSecret);
    expect(got.body).not.toContain(owner.tenantId);

    // Deletion: owners only; cancellable by an owner; a cancelled one never runs.
    expect((await h.mutate('privacy.requestTenantDeletion', zara.cookie, {})).status).toBe(403);
    const first = await ok(h.mutate('privacy.requestTenantDeletion', zed.cookie, {}));
    expect(first).toMatchObject({ scope: 'tenant', status: 'scheduled' });
    expect((await h.mutate('privacy.cancelDeletion', zara.cookie, { id: first.id })).status).toBe(
      403,
    );
    await ok(h.mutate('privacy.cancelDeletion', zed.cookie, { id: first.id }));
    await makeDue(first.id);
    await h.platform.privacy.drain();
    expect((await h.query('tenants.current', zed.cookie)).status).toBe(200);

    const snapshots = {
      x: await snapshotTenant(h, owner.tenantId),
      y: await snapshotTenant(h, other.tenantId),
      zaraHome: await snapshotTenant(h, zara.homeTenantId),
    };
    const asked = await ok(h.mutate('privacy.requestTenantDeletion', zed.cookie, {}));
    expect(Math.abs(Date.parse(asked.dueAt ?? '') - (Date.now() + 30 * DAY_MS))).toBeLessThan(
      10 * 60_000,
    );
    await makeDue(asked.id);
    await h.platform.privacy.drain();

    // Nothing is left of Z: no tenants row, and no row anywhere that names it, not even in
    // the append-only audit log, cost events or routing decisions, nor the request and the
    // job that erased it (the server log records that).
    expect(await requestRow(asked.id)).toBeUndefined();
    const [tenant] = await h.t.ownerQuery('select id from tenants where id = $1', [zed.tenantId]);
    expect(tenant).toBeUndefined();
    expect(await tablesContaining(zed.tenantId)).toEqual([]);
    expect(await tablesContaining(docText)).toEqual([]);
    expect(await tablesContaining(zText)).toEqual([]);
    // Zed belonged only to Z: erased. Zara and Zoe keep their accounts and other organisations.
    const users = await h.t.ownerQuery<{ id: string }>(
      'select id from users where id = any($1::uuid[])',
      [[zed.userId, zara.userId, zoe.userId]],
    );
    expect(users.map((u) => u.id).sort()).toEqual([zara.userId, zoe.userId].sort());
    expect(await tablesContaining(zed.email)).toEqual([]);
    expect((await h.query('users.me', zed.cookie)).status).toBe(401);
    const zaraNow = await ok<{ tenantId: string }>(h.query('users.me', zara.cookie));
    expect(zaraNow.tenantId).toBe(zara.homeTenantId);
    // Other organisations: not a row changed.
    expect(await snapshotTenant(h, owner.tenantId)).toEqual(snapshots.x);
    expect(await snapshotTenant(h, other.tenantId)).toEqual(snapshots.y);
    expect(await snapshotTenant(h, zara.homeTenantId)).toEqual(snapshots.zaraHome);
  }, 120_000);
});
