import { type Database, schema, type Tx } from '@platform/db';
import { asc, eq, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { apiKeyColumns } from '../routers/apiKeys/view.ts';
import { ARCHIVE_FORMAT, ARCHIVE_VERSION } from './archive.ts';
import { requestColumns } from './requests.ts';

/** Documents with their text: the active chunks' passages joined in order. */
async function documentsOf(tx: Tx, tenantId: string) {
  const d = schema.knowledgeDocuments;
  const documents = await tx
    .select({
      id: d.id,
      title: d.title,
      sourceType: d.sourceType,
      sourceUri: d.sourceUri,
      mimeType: d.mimeType,
      status: d.status,
      collectionId: d.collectionId,
      tags: d.tags,
      contentHash: d.contentHash,
      byteSize: d.byteSize,
      metadata: d.metadata,
      createdAt: d.createdAt,
      updatedAt: d.updatedAt,
      // Spelled out: drizzle leaves columns unqualified in a single-table select, and the
      // subquery's own "id" would then shadow the document's.
      text: sql<
        string | null
      >`(select string_agg(kc.content, E'\n\n' order by kc.chunk_index) from knowledge_chunks kc where kc.document_id = knowledge_documents.id and kc.active)`,
    })
    .from(d)
    .where(eq(d.tenantId, tenantId))
    .orderBy(asc(d.createdAt), asc(d.id));
  return documents;
}

/** Conversations, each with its messages in order. */
async function conversationsOf(tx: Tx, tenantId: string) {
  const c = schema.chatSessions;
  const m = schema.messages;
  const conversations = await tx
    .select()
    .from(c)
    .where(eq(c.tenantId, tenantId))
    .orderBy(asc(c.createdAt), asc(c.id));
  const messages = await tx
    .select()
    .from(m)
    .where(eq(m.tenantId, tenantId))
    .orderBy(asc(m.createdAt), asc(m.id));
  const bySession = new Map<string, (typeof messages)[number][]>();
  for (const message of messages) {
    const list = bySession.get(message.sessionId) ?? [];
    list.push(message);
    bySession.set(message.sessionId, list);
  }
  return conversations.map((conversation) => ({
    ...conversation,
    messages: bySession.get(conversation.id) ?? [],
  }));
}

/**
 * The whole organisation (GDPR art. 20 for a controller leaving the platform): its settings,
 * members, knowledge (metadata and text; not the embeddings, which are derived), collections,
 * personalities with every version, widgets (without their public keys), conversations with
 * their messages, meetings, budgets and alerts, API keys, provider keys and SSO connections
 * (metadata only: never a secret, hash or ciphertext), the audit log and privacy requests.
 * One tenant transaction, so the archive is a consistent snapshot.
 */
export function buildTenantExport(db: Database, tenantId: string, requestId: string) {
  return db.withTenant(tenantId, async (tx) => {
    const t = schema.tenants;
    const ms = schema.memberships;
    const u = schema.users;
    const p = schema.aiPersonalities;
    const pv = schema.aiPersonalityVersions;
    const w = schema.widgets;
    const k = schema.apiKeys;
    const pc = schema.providerCredentials;
    const sso = schema.ssoConnections;
    const l = schema.auditLogs;
    const r = schema.dataRequests;
    const [tenant] = await tx
      .select({
        id: t.id,
        name: t.name,
        slug: t.slug,
        plan: t.plan,
        settings: t.settings,
        createdAt: t.createdAt,
      })
      .from(t)
      .where(eq(t.id, tenantId));
    const where = (table: { tenantId: AnyPgColumn }) => eq(table.tenantId, tenantId);
    return {
      format: ARCHIVE_FORMAT,
      version: ARCHIVE_VERSION,
      scope: 'tenant',
      requestId,
      generatedAt: new Date(),
      tenant: tenant ?? null,
      members: await tx
        .select({
          userId: ms.userId,
          name: u.name,
          email: u.email,
          role: ms.role,
          joinedAt: ms.createdAt,
        })
        .from(ms)
        .innerJoin(u, eq(u.id, ms.userId))
        .where(where(ms))
        .orderBy(asc(ms.createdAt)),
      collections: await tx.select().from(schema.collections).where(where(schema.collections)),
      documents: await documentsOf(tx, tenantId),
      personalities: await tx.select().from(p).where(where(p)).orderBy(asc(p.createdAt)),
      personalityVersions: await tx
        .select()
        .from(pv)
        .where(where(pv))
        .orderBy(asc(pv.personalityId), asc(pv.version)),
      widgets: await tx
        .select({
          id: w.id,
          name: w.name,
          allowedOrigins: w.allowedOrigins,
          personalityId: w.personalityId,
          collectionId: w.collectionId,
          settings: w.settings,
          isActive: w.isActive,
          createdAt: w.createdAt,
          updatedAt: w.updatedAt,
        })
        .from(w)
        .where(where(w)),
      conversations: await conversationsOf(tx, tenantId),
      meetings: await tx.select().from(schema.meetings).where(where(schema.meetings)),
      budgets: await tx.select().from(schema.budgets).where(where(schema.budgets)),
      budgetAlerts: await tx.select().from(schema.budgetAlerts).where(where(schema.budgetAlerts)),
      costSummaries: await tx
        .select()
        .from(schema.costSummaries)
        .where(where(schema.costSummaries)),
      // What members see of a key: never its hash.
      apiKeys: await tx.select(apiKeyColumns).from(k).where(where(k)),
      providerKeys: await tx
        .select({
          provider: pc.provider,
          baseUrl: pc.baseUrl,
          keyHint: pc.keyHint,
          validatedAt: pc.validatedAt,
          createdAt: pc.createdAt,
        })
        .from(pc)
        .where(where(pc)),
      ssoConnections: await tx
        .select({
          id: sso.id,
          protocol: sso.protocol,
          name: sso.name,
          domains: sso.domains,
          issuer: sso.issuer,
          clientId: sso.clientId,
          defaultRole: sso.defaultRole,
          enabled: sso.enabled,
          createdAt: sso.createdAt,
        })
        .from(sso)
        .where(where(sso)),
      auditLog: await tx.select().from(l).where(where(l)).orderBy(asc(l.createdAt), asc(l.id)),
      privacyRequests: await tx.select(requestColumns).from(r).where(where(r)),
    };
  });
}
