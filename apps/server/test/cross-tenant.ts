import { saveProviderKey } from '@platform/ai';
import { schema } from '@platform/db';
import { expect } from 'vitest';
import type { Account, Harness, Reply } from './harness.ts';

/** Two organisations: the caller's (A) and a victim (B) with an owner and a plain member. */
export type World = {
  a: { owner: Account };
  b: {
    owner: Account;
    member: { userId: string; email: string };
    /** A searchable document in a collection, with words no other tenant uses. */
    documentId: string;
    collectionId: string;
    /** A personality besides the default, its prompt holding B_SECRET. */
    personalityId: string;
    /** A budget alert, a metered call (today) and its rolled-up day (yesterday). */
    alertId: string;
    costEventId: string;
    /** B's own key for a vendor, stored encrypted. */
    providerKey: string;
    /** A conversation in which B's owner asked about B_SECRET and the assistant answered. */
    conversationId: string;
    /** A widget bound to B's personality and collection, its greeting holding B_SECRET. */
    widgetId: string;
    widgetKey: string;
    /** An API key of B's (read scope), and its secret. */
    apiKeyId: string;
    apiKey: string;
  };
};

/** Identifiers only tenant B's AI records carry (a model name, a vendor URL, a budget). */
export const B_MODEL = 'quokka-ledger-7b';
export const B_BASE_URL = 'http://127.0.0.1:9/zanzibar-endpoint';
/** B's monthly limit in micro-dollars, a figure no other record holds. */
export const B_LIMIT_MICROS = 987_654_321;

/** Words only tenant B's document contains; a probe's answer must never show them. */
export const B_SECRET = 'zanzibar quokka ledger';
const B_FILE = 'tenant-b-confidential.md';

export async function buildWorld(h: Harness): Promise<World> {
  const a = { owner: await h.signUp('Tenant A Corp') };
  const bOwner = await h.signUp('Tenant B Corp');
  // B's plain member joins by membership row (invitations arrive with a later feature).
  const other = await h.signUp('Tenant B Member Home');
  await h.t.ownerQuery(
    `insert into memberships (tenant_id, user_id, role) values ($1, $2, 'member')`,
    [bOwner.tenantId, other.userId],
  );
  const collection = await h.mutate('collections.create', bOwner.cookie, { name: 'B private' });
  const collectionId = (collection.body.result as { data: { id: string } }).data.id;
  const upload = await h.mutate('knowledge.upload', bOwner.cookie, {
    fileName: B_FILE,
    contentBase64: Buffer.from(`# Board minutes\n\nThe ${B_SECRET} is kept offshore.`).toString(
      'base64',
    ),
    collectionId,
    tags: ['board'],
  });
  const documentId = (upload.body.result as { data: { document: { id: string } } }).data.document
    .id;
  await h.platform.knowledge.start();
  for (let i = 0; ; i++) {
    const [doc] = await h.t.ownerQuery<{ status: string }>(
      'select status from knowledge_documents where id = $1',
      [documentId],
    );
    if (doc?.status === 'ready') break;
    if (i > 600) throw new Error(`tenant B's document did not become ready: ${doc?.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const ai = await buildAiRecords(h, bOwner);
  const conversation = await h.mutate('conversations.create', bOwner.cookie, { title: B_SECRET });
  const conversationId = (conversation.body.result as { data: { id: string } }).data.id;
  const sent = await h.mutate('chat.send', bOwner.cookie, {
    conversationId,
    text: `Where is the ${B_SECRET} kept?`,
  });
  if (sent.status !== 200) throw new Error(`B's conversation: ${sent.raw.body}`);
  const widget = await buildWidget(h, bOwner, ai.personalityId, collectionId);
  const key = await h.mutate('apiKeys.create', bOwner.cookie, { name: 'B sync', scopes: ['read'] });
  if (key.status !== 200) throw new Error(`B's API key: ${key.raw.body}`);
  const { id: apiKeyId, key: apiKey } = (key.body.result as { data: { id: string; key: string } })
    .data;
  return {
    a,
    b: {
      owner: bOwner,
      member: { userId: other.userId, email: other.email },
      documentId,
      collectionId,
      conversationId,
      ...ai,
      ...widget,
      apiKeyId,
      apiKey,
    },
  };
}

/**
 * B's AI records: a personality and a budget through their procedures; a cost event, a day's
 * summary and a budget alert inserted directly (no procedure writes them, and no roll-up job is
 * queued, so nothing changes B's rows while the probes run); a provider key through the store.
 */
async function buildAiRecords(h: Harness, bOwner: Account) {
  const created = await h.mutate('personalities.create', bOwner.cookie, {
    name: 'B concierge',
    systemPrompt: `Never mention the ${B_SECRET}.`,
  });
  if (created.status !== 200) throw new Error(`B's personality: ${created.raw.body}`);
  const personalityId = (created.body.result as { data: { id: string } }).data.id;
  const budget = await h.mutate('budgets.set', bOwner.cookie, {
    monthlyLimitUsd: B_LIMIT_MICROS / 1e6,
    exhaustedPolicy: 'block',
  });
  if (budget.status !== 200) throw new Error(`B's budget: ${budget.raw.body}`);

  const tenantId = bOwner.tenantId;
  const now = new Date();
  const yesterday = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
  const providerKey = 'sk-b-secret-provider-key-42';
  const { alertId, costEventId } = await h.platform.db.withTenant(tenantId, async (tx) => {
    const [event] = await tx
      .insert(schema.costEvents)
      .values({
        tenantId,
        personalityId,
        kind: 'llm',
        provider: 'compatible',
        model: B_MODEL,
        tier: 2,
        inputTokens: 1200,
        outputTokens: 300,
        priceVersion: 'test',
        costMicros: 0,
        outcome: 'ok',
        createdAt: now,
      })
      .returning({ id: schema.costEvents.id });
    await tx.insert(schema.costSummaries).values({
      tenantId,
      day: yesterday,
      provider: 'compatible',
      model: B_MODEL,
      tier: 2,
      requests: 3,
      inputTokens: 3600,
      outputTokens: 900,
      costMicros: 0,
    });
    const [alert] = await tx
      .insert(schema.budgetAlerts)
      .values({
        tenantId,
        month: `${now.toISOString().slice(0, 7)}-01`,
        thresholdPercent: 50,
        budgetMicros: B_LIMIT_MICROS,
        spentMicros: Math.round(B_LIMIT_MICROS / 2),
      })
      .returning({ id: schema.budgetAlerts.id });
    await saveProviderKey(
      tx,
      tenantId,
      h.platform.ai.cipher,
      { provider: 'google', apiKey: providerKey, baseUrl: B_BASE_URL },
      bOwner.userId,
    );
    if (!event || !alert) throw new Error("B's AI records were not written");
    return { alertId: alert.id, costEventId: event.id };
  });
  return { personalityId, alertId, costEventId, providerKey };
}

/** B's widget, through widgets.create like any administrator's. */
async function buildWidget(
  h: Harness,
  bOwner: Account,
  personalityId: string,
  collectionId: string,
): Promise<{ widgetId: string; widgetKey: string }> {
  const created = await h.mutate('widgets.create', bOwner.cookie, {
    name: 'B website',
    allowedOrigins: ['https://b.example.com'],
    personalityId,
    collectionId,
    settings: { greeting: `Ask about the ${B_SECRET}` },
  });
  if (created.status !== 200) throw new Error(`B's widget: ${created.raw.body}`);
  const { id, publicKey } = (created.body.result as { data: { id: string; publicKey: string } })
    .data;
  return { widgetId: id, widgetKey: publicKey };
}

/** Every row tenant B owns, across every tenant-scoped table found in the catalog. */
export async function snapshotTenant(
  h: Harness,
  tenantId: string,
): Promise<Record<string, unknown[]>> {
  const tables = await h.t.ownerQuery<{ table: string }>(
    `select c.relname as table from pg_class c join pg_attribute a on a.attrelid = c.oid
      join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind = 'r' and a.attname = 'tenant_id' order by 1`,
  );
  const snapshot: Record<string, unknown[]> = {
    tenants: await h.t.ownerQuery('select * from tenants where id = $1', [tenantId]),
    members: await h.t.ownerQuery(
      'select u.* from users u join memberships m on m.user_id = u.id where m.tenant_id = $1 order by u.id',
      [tenantId],
    ),
  };
  for (const { table } of tables)
    snapshot[table] = await h.t.ownerQuery(
      `select * from "${table}" where tenant_id = $1 order by 1, 2`,
      [tenantId],
    );
  return snapshot;
}

export type Probe = {
  /** tRPC path, e.g. `users.updateRole`. */
  path: string;
  kind: 'query' | 'mutation';
  /** Input naming B's resources; omit for procedures without input. */
  input?: (w: World) => unknown;
};

/**
 * Calls a procedure as A's owner with B's ids and asserts isolation: the answer is NOT_FOUND
 * or a success that mentions nothing of B, and none of B's rows changed. One line per
 * procedure: `await expectIsolated(h, world, { path, kind, input })`.
 */
export async function expectIsolated(h: Harness, w: World, probe: Probe): Promise<Reply> {
  const before = await snapshotTenant(h, w.b.owner.tenantId);
  const input = probe.input?.(w);
  const reply =
    probe.kind === 'query'
      ? await h.query(probe.path, w.a.owner.cookie, input)
      : await h.mutate(probe.path, w.a.owner.cookie, input);
  const text = reply.raw.body;
  if (reply.status !== 200) {
    expect(reply.status, `${probe.path}: ${text}`).toBe(404);
    expect((reply.body.error as { data: { code: string } }).data.code).toBe('NOT_FOUND');
  }
  for (const secret of [
    w.b.owner.tenantId,
    w.b.owner.userId,
    w.b.owner.email,
    w.b.member.userId,
    w.b.member.email,
    w.b.documentId,
    w.b.collectionId,
    w.b.personalityId,
    w.b.alertId,
    w.b.costEventId,
    w.b.providerKey,
    w.b.widgetId,
    w.b.widgetKey,
    w.b.apiKeyId,
    w.b.apiKey,
    w.b.apiKey.slice(0, 12),
    B_SECRET,
    B_FILE,
    B_MODEL,
    B_BASE_URL,
    String(B_LIMIT_MICROS),
    String(B_LIMIT_MICROS / 1e6),
  ])
    expect(text, `${probe.path} leaked ${secret}`).not.toContain(secret);
  expect(await snapshotTenant(h, w.b.owner.tenantId), `${probe.path} changed tenant B`).toEqual(
    before,
  );
  return reply;
}
