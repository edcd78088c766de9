import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appRouter } from '@platform/api';
import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  B_LIMIT_MICROS,
  B_MODEL,
  B_SECRET,
  buildWorld,
  expectIsolated,
  type Probe,
  type World,
} from './cross-tenant.ts';
import { type Harness, startHarness } from './harness.ts';

/** A vendor that accepts every key (`GET /v1/models` answers 200), so A's key can be stored. */
let vendorUrl = '';
/** The id (not the token) of B's owner's session, which A's session procedures must not reach. */
let bSessionId = '';
/** An OpenID Connect issuer (the same local server's discovery document) for A's connection. */
let ssoIssuer = '';
/** B's single sign-on connection, its name holding B_SECRET. */
let bSsoId = '';
/** A scheduled deletion of B's member, which A must not cancel. */
let bDeletionId = '';
const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

/**
 * One probe per procedure. A procedure added to the router without a probe here fails
 * the completeness test below, so every new procedure gets the cross-tenant checks.
 */
const probes: Probe[] = [
  { path: 'tenants.current', kind: 'query' },
  { path: 'users.me', kind: 'query' },
  { path: 'users.list', kind: 'query', input: () => ({ limit: 200 }) },
  {
    path: 'users.updateRole',
    kind: 'mutation',
    input: (w) => ({ userId: w.b.member.userId, role: 'admin' }),
  },
  {
    path: 'users.updateRole',
    kind: 'mutation',
    input: (w) => ({ userId: w.b.owner.userId, role: 'member' }),
  },
  {
    path: 'knowledge.upload',
    kind: 'mutation',
    input: (w) => ({
      fileName: 'a.md',
      contentBase64: Buffer.from('# A\n\nfiled into B').toString('base64'),
      collectionId: w.b.collectionId,
    }),
  },
  { path: 'knowledge.list', kind: 'query', input: (w) => ({ collectionId: w.b.collectionId }) },
  { path: 'knowledge.list', kind: 'query', input: () => ({ limit: 200 }) },
  { path: 'knowledge.get', kind: 'query', input: (w) => ({ documentId: w.b.documentId }) },
  {
    path: 'knowledge.update',
    kind: 'mutation',
    input: (w) => ({ documentId: w.b.documentId, title: 'taken over', tags: ['x'] }),
  },
  { path: 'knowledge.remove', kind: 'mutation', input: (w) => ({ documentId: w.b.documentId }) },
  { path: 'knowledge.search', kind: 'query', input: () => ({ query: B_SECRET, limit: 50 }) },
  {
    path: 'knowledge.search',
    kind: 'query',
    input: (w) => ({
      query: B_SECRET,
      filters: { documentIds: [w.b.documentId], collectionId: w.b.collectionId, tags: ['board'] },
    }),
  },
  { path: 'collections.list', kind: 'query' },
  { path: 'collections.create', kind: 'mutation', input: () => ({ name: 'B private' }) },
  {
    path: 'collections.remove',
    kind: 'mutation',
    input: (w) => ({ collectionId: w.b.collectionId }),
  },
  { path: 'personalities.list', kind: 'query' },
  { path: 'personalities.get', kind: 'query', input: (w) => ({ id: w.b.personalityId }) },
  { path: 'personalities.versions', kind: 'query', input: (w) => ({ id: w.b.personalityId }) },
  {
    path: 'personalities.create',
    kind: 'mutation',
    input: (w) => ({ name: 'Spy', systemPrompt: 'Read B', collectionId: w.b.collectionId }),
  },
  {
    path: 'personalities.update',
    kind: 'mutation',
    input: (w) => ({ id: w.b.personalityId, systemPrompt: 'taken over', isDefault: true }),
  },
  { path: 'personalities.remove', kind: 'mutation', input: (w) => ({ id: w.b.personalityId }) },
  {
    path: 'costs.summary',
    kind: 'query',
    input: () => ({ from: daysAgo(30), to: today(), groupBy: 'model' }),
  },
  {
    path: 'costs.summary',
    kind: 'query',
    input: () => ({ from: daysAgo(30), to: today(), groupBy: 'tier' }),
  },
  { path: 'costs.events', kind: 'query', input: () => ({ limit: 100 }) },
  { path: 'costs.events', kind: 'query', input: () => ({ tier: 2, outcome: 'ok' }) },
  { path: 'budgets.get', kind: 'query' },
  {
    path: 'budgets.set',
    kind: 'mutation',
    input: () => ({ monthlyLimitUsd: 5, alertThresholds: [50] }),
  },
  { path: 'alerts.list', kind: 'query', input: () => ({ limit: 100 }) },
  { path: 'alerts.ack', kind: 'mutation', input: (w) => ({ id: w.b.alertId }) },
  { path: 'providerKeys.list', kind: 'query' },
  {
    path: 'providerKeys.set',
    kind: 'mutation',
    input: () => ({ provider: 'google', apiKey: 'a-owned-key-1234', baseUrl: vendorUrl }),
  },
  { path: 'providerKeys.remove', kind: 'mutation', input: () => ({ provider: 'google' }) },
  { path: 'ai.route', kind: 'query', input: () => ({ query: `What is the ${B_SECRET}?` }) },
  {
    path: 'ai.route',
    kind: 'query',
    input: (w) => ({ query: 'hello', personalityId: w.b.personalityId }),
  },
  {
    path: 'ai.answer',
    kind: 'mutation',
    input: () => ({ question: `Where is the ${B_SECRET} kept?` }),
  },
  {
    path: 'ai.answer',
    kind: 'mutation',
    input: (w) => ({ question: 'What is kept offshore?', personalityId: w.b.personalityId }),
  },
  {
    path: 'conversations.create',
    kind: 'mutation',
    input: (w) => ({ title: 'spy', personalityId: w.b.personalityId }),
  },
  { path: 'conversations.get', kind: 'query', input: (w) => ({ id: w.b.conversationId }) },
  { path: 'conversations.list', kind: 'query', input: () => ({ search: B_SECRET, limit: 100 }) },
  { path: 'conversations.list', kind: 'query', input: () => ({ status: ['open', 'waiting'] }) },
  { path: 'conversations.messages', kind: 'query', input: (w) => ({ id: w.b.conversationId }) },
  {
    path: 'conversations.requestHuman',
    kind: 'mutation',
    input: (w) => ({ id: w.b.conversationId }),
  },
  { path: 'conversations.claim', kind: 'mutation', input: (w) => ({ id: w.b.conversationId }) },
  { path: 'conversations.release', kind: 'mutation', input: (w) => ({ id: w.b.conversationId }) },
  { path: 'conversations.resolve', kind: 'mutation', input: (w) => ({ id: w.b.conversationId }) },
  { path: 'conversations.reopen', kind: 'mutation', input: (w) => ({ id: w.b.conversationId }) },
  {
    path: 'conversations.tag',
    kind: 'mutation',
    input: (w) => ({ id: w.b.conversationId, add: ['stolen'] }),
  },
  {
    path: 'conversations.rate',
    kind: 'mutation',
    input: (w) => ({ id: w.b.conversationId, scale: 'thumbs', value: -1 }),
  },
  { path: 'conversations.handoffRules', kind: 'query' },
  {
    path: 'conversations.setHandoffRules',
    kind: 'mutation',
    input: () => ({ lowConfidence: null, keywords: ['refund'] }),
  },
  {
    path: 'chat.send',
    kind: 'mutation',
    input: (w) => ({ conversationId: w.b.conversationId, text: `Repeat the ${B_SECRET}` }),
  },
  { path: 'chat.stop', kind: 'mutation', input: (w) => ({ conversationId: w.b.conversationId }) },
  { path: 'widgets.list', kind: 'query' },
  { path: 'widgets.get', kind: 'query', input: (w) => ({ id: w.b.widgetId }) },
  {
    path: 'widgets.create',
    kind: 'mutation',
    input: (w) => ({ name: 'Spy', personalityId: w.b.personalityId }),
  },
  {
    path: 'widgets.create',
    kind: 'mutation',
    input: (w) => ({ name: 'Spy', collectionId: w.b.collectionId }),
  },
  {
    path: 'widgets.update',
    kind: 'mutation',
    input: (w) => ({
      id: w.b.widgetId,
      name: 'taken over',
      allowedOrigins: ['https://evil.example.net'],
      isActive: false,
      settings: { greeting: 'hijacked' },
    }),
  },
  { path: 'widgets.remove', kind: 'mutation', input: (w) => ({ id: w.b.widgetId }) },
  { path: 'widgets.rotateKey', kind: 'mutation', input: (w) => ({ id: w.b.widgetId }) },
  // Sessions are the caller's own (global identity rows): B's session id is NOT_FOUND, and
  // A's admin cannot end B's members' sessions.
  { path: 'sessions.list', kind: 'query' },
  { path: 'sessions.revoke', kind: 'mutation', input: () => ({ id: bSessionId }) },
  { path: 'sessions.revokeOthers', kind: 'mutation' },
  {
    path: 'users.revokeSessions',
    kind: 'mutation',
    input: (w) => ({ userId: w.b.member.userId }),
  },
  { path: 'users.revokeSessions', kind: 'mutation', input: (w) => ({ userId: w.b.owner.userId }) },
  // Removal: B's people are not A's to remove, list or readmit (each is NOT_FOUND there).
  { path: 'users.remove', kind: 'mutation', input: (w) => ({ userId: w.b.member.userId }) },
  { path: 'users.remove', kind: 'mutation', input: (w) => ({ userId: w.b.owner.userId }) },
  { path: 'users.removed', kind: 'query', input: () => ({ limit: 200 }) },
  { path: 'users.readmit', kind: 'mutation', input: (w) => ({ userId: w.b.member.userId }) },
  { path: 'apiKeys.list', kind: 'query' },
  { path: 'apiKeys.create', kind: 'mutation', input: () => ({ name: 'Spy', scopes: ['admin'] }) },
  { path: 'apiKeys.revoke', kind: 'mutation', input: (w) => ({ id: w.b.apiKeyId }) },
  // MFA: the caller's own state and their own organisation's policy, never B's.
  { path: 'mfa.status', kind: 'query' },
  { path: 'mfa.setPolicy', kind: 'mutation', input: () => ({ requireMfa: false }) },
  // Single sign-on: A lists and creates its own; B's connection is NOT_FOUND.
  { path: 'sso.list', kind: 'query' },
  {
    path: 'sso.create',
    kind: 'mutation',
    input: () => ({
      name: 'A SSO',
      issuer: ssoIssuer,
      clientId: 'a-client',
      clientSecret: 'a-client-secret',
      domains: ['a-corp-probe.test'],
    }),
  },
  { path: 'sso.update', kind: 'mutation', input: () => ({ id: bSsoId, enabled: false }) },
  {
    path: 'sso.update',
    kind: 'mutation',
    input: () => ({ id: bSsoId, issuer: ssoIssuer, clientSecret: 'taken-over' }),
  },
  { path: 'sso.remove', kind: 'mutation', input: () => ({ id: bSsoId }) },
  // GDPR: A's own requests only (A's owner has a co-owner, so may ask to be erased); B's
  // scheduled deletion is NOT_FOUND. (B's export download is probed in privacy.security.test.ts.)
  { path: 'privacy.requests', kind: 'query' },
  { path: 'privacy.tenantRequests', kind: 'query', input: () => ({ limit: 200 }) },
  { path: 'privacy.requestExport', kind: 'mutation' },
  { path: 'privacy.requestTenantExport', kind: 'mutation' },
  { path: 'privacy.cancelDeletion', kind: 'mutation', input: () => ({ id: bDeletionId }) },
  { path: 'privacy.requestDeletion', kind: 'mutation' },
  { path: 'privacy.requestTenantDeletion', kind: 'mutation' },
  // Audit: A's admin filters on B's people and resources and gets none of B's entries. The
  // export naming B's ids comes last: its own `audit.exported` entry (in A's log) records the
  // filters, which a later unfiltered read of A's log would then show.
  { path: 'audit.list', kind: 'query', input: () => ({ limit: 200 }) },
  { path: 'audit.list', kind: 'query', input: (w) => ({ actorUserId: w.b.owner.userId }) },
  {
    path: 'audit.list',
    kind: 'query',
    input: (w) => ({ resourceType: 'widget', resourceId: w.b.widgetId }),
  },
  { path: 'audit.list', kind: 'query', input: () => ({ actionPrefix: 'provider_key.' }) },
  { path: 'audit.export', kind: 'mutation', input: () => ({ actionPrefix: 'widget.' }) },
  { path: 'audit.export', kind: 'mutation', input: () => ({}) },
  {
    path: 'audit.export',
    kind: 'mutation',
    input: (w) => ({ actorUserId: w.b.owner.userId, resourceId: w.b.personalityId }),
  },
];

/** Procedures that need no tenant (none yet); listed so the completeness check stays honest. */
const publicProcedures: string[] = [];

describe.each(testDrivers())('cross-tenant isolation of every procedure (%s)', (driver) => {
  let h: Harness;
  let w: World;
  let vendor: Server | undefined;
  beforeAll(async () => {
    vendor = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/.well-known/openid-configuration') {
        res.end(
          JSON.stringify({
            issuer: ssoIssuer,
            authorization_endpoint: `${ssoIssuer}/auth`,
            token_endpoint: `${ssoIssuer}/token`,
            jwks_uri: `${ssoIssuer}/jwks`,
            response_types_supported: ['code'],
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: ['RS256'],
          }),
        );
        return;
      }
      res.end('{"models":[]}');
    });
    const server = vendor;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    vendorUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1beta`;
    ssoIssuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    h = await startHarness(driver);
    w = await buildWorld(h);
    const [bSession] = await h.t.ownerQuery<{ id: string }>(
      'select id from auth_sessions where user_id = $1 order by created_at limit 1',
      [w.b.owner.userId],
    );
    bSessionId = bSession?.id ?? '';
    const [bSso] = await h.t.ownerQuery<{ id: string }>(
      `insert into sso_connections (tenant_id, name, domains, issuer, client_id)
       values ($1, $2, '{b-corp-probe.test}', $3, 'b-client') returning id`,
      [w.b.owner.tenantId, `B SSO ${B_SECRET}`, `${ssoIssuer}/b-idp`],
    );
    bSsoId = bSso?.id ?? '';
    const [bDeletion] = await h.t.ownerQuery<{ id: string }>(
      `insert into data_requests (tenant_id, user_id, requested_by, type, scope, status, due_at)
       values ($1, $2, $2, 'deletion', 'user', 'scheduled', now() + interval '30 days') returning id`,
      [w.b.owner.tenantId, w.b.member.userId],
    );
    bDeletionId = bDeletion?.id ?? '';
    // A second owner of A, so that A's owner is not its last and may ask to be erased.
    const coOwner = await h.signUp('A co-owner home');
    await h.t.ownerQuery(
      `insert into memberships (tenant_id, user_id, role) values ($1, $2, 'owner')`,
      [w.a.owner.tenantId, coOwner.userId],
    );
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await new Promise((resolve) => vendor?.close(resolve));
  });

  it('has a probe for every procedure in the router', () => {
    const all = Object.keys(appRouter._def.procedures).sort();
    const probed = new Set([...probes.map((p) => p.path), ...publicProcedures]);
    expect(all.filter((p) => !probed.has(p))).toEqual([]);
  });

  for (const [i, probe] of probes.entries()) {
    it(`probe ${i + 1}: ${probe.path} cannot reach tenant B`, async () => {
      await expectIsolated(h, w, probe);
    });
  }

  it('still works for the caller’s own tenant (the probes are not vacuous)', async () => {
    const list = await h.query('users.list', w.b.owner.cookie);
    expect(JSON.stringify(list.body)).toContain(w.b.member.email);
    const promote = await h.mutate('users.updateRole', w.b.owner.cookie, {
      userId: w.b.member.userId,
      role: 'admin',
    });
    expect(promote.status).toBe(200);
    const [row] = await h.t.ownerQuery<{ role: string }>(
      'select role from memberships where tenant_id = $1 and user_id = $2',
      [w.b.owner.tenantId, w.b.member.userId],
    );
    expect(row?.role).toBe('admin');
    await h.mutate('users.updateRole', w.b.owner.cookie, {
      userId: w.b.member.userId,
      role: 'member',
    });
    const found = await h.query('knowledge.search', w.b.owner.cookie, { query: B_SECRET });
    expect(JSON.stringify(found.body)).toContain(B_SECRET);
    const doc = await h.query('knowledge.get', w.b.owner.cookie, { documentId: w.b.documentId });
    expect(doc.status).toBe(200);

    // B sees its own AI records through the same procedures, so the probes' checks have teeth.
    const own = async (path: string, input?: unknown) => {
      const reply = await h.query(path, w.b.owner.cookie, input);
      expect(reply.status, `${path}: ${reply.raw.body}`).toBe(200);
      return reply.raw.body;
    };
    expect(await own('personalities.get', { id: w.b.personalityId })).toContain(B_SECRET);
    expect(await own('personalities.versions', { id: w.b.personalityId })).toContain(B_SECRET);
    const range = { from: daysAgo(30), to: today() };
    const summary = await own('costs.summary', { ...range, groupBy: 'model' });
    expect(summary).toContain(B_MODEL);
    expect(await own('costs.events', {})).toContain(w.b.costEventId);
    expect(await own('budgets.get')).toContain(String(B_LIMIT_MICROS));
    expect(await own('alerts.list')).toContain(w.b.alertId);
    const keys = await own('providerKeys.list');
    expect(keys).toContain('…y-42');
    expect(keys).not.toContain(w.b.providerKey);
    // The summary joins the rolled-up day (3 requests) and today's raw event (1).
    const byModel = JSON.parse(summary) as {
      result: { data: { rows: { key: string; requests: number }[] } };
    };
    // (B's conversation also metered one offline answer.)
    expect(byModel.result.data.rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: `compatible:${B_MODEL}`, requests: 4 }),
      ]),
    );
    expect(await own('conversations.get', { id: w.b.conversationId })).toContain(B_SECRET);
    expect(await own('conversations.list', { search: B_SECRET })).toContain(w.b.conversationId);
    expect(await own('conversations.messages', { id: w.b.conversationId })).toContain(B_SECRET);
    const widget = await own('widgets.get', { id: w.b.widgetId });
    expect(widget).toContain(w.b.widgetKey);
    expect(widget).toContain(B_SECRET);
    expect(await own('widgets.list')).toContain(w.b.widgetId);
    // B's session survived A's revoke probes, and B sees it.
    expect(await own('sessions.list')).toContain(bSessionId);
    // B's SSO connection is still B's, unchanged by A's update and remove probes.
    expect(await own('sso.list')).toContain(bSsoId);
    // B's own audit log holds B's widget and personality entries, which A's reads never showed.
    const log = await own('audit.list', { limit: 200 });
    expect(log).toContain(w.b.widgetId);
    expect(log).toContain(w.b.personalityId);
    // B's API key is still listed for B, and still works: A's revoke did not reach it.
    expect(await own('apiKeys.list')).toContain(w.b.apiKeyId);
    const byKey = await h.app.inject({
      method: 'GET',
      url: '/trpc/tenants.current',
      headers: { authorization: `Bearer ${w.b.apiKey}` },
    });
    expect(byKey.statusCode, byKey.body).toBe(200);
    expect(byKey.body).toContain(w.b.owner.tenantId);
    // After every probe, B's key still admits B's own site.
    expect(await h.platform.db.widgetByKey(w.b.widgetKey)).toMatchObject({
      widgetId: w.b.widgetId,
      tenantId: w.b.owner.tenantId,
    });
  });

  it('ignores a tenant id smuggled into input', async () => {
    const reply = await h.query('users.list', w.a.owner.cookie, { tenantId: w.b.owner.tenantId });
    expect(reply.status).toBe(400);
    expect(JSON.stringify(reply.body)).not.toContain(w.b.member.email);
  });
});
