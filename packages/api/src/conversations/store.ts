import { schema, type Tx } from '@platform/db';
import { and, eq, sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import { type Actor, assertCanSee } from './actor.ts';
import { type ConversationView, conversationView } from './views.ts';

const c = schema.chatSessions;
const m = schema.messages;
type ConversationRow = typeof c.$inferSelect;
export type MessageRow = typeof m.$inferSelect;
export type NewMessage = Omit<typeof m.$inferInsert, 'tenantId' | 'sessionId'>;

const PREVIEW_CHARS = 140;

/** The conversation if the actor may see it (locked for update when asked), else NOT_FOUND. */
export async function loadConversation(
  tx: Tx,
  actor: Actor,
  id: string,
  opts: { lock?: boolean } = {},
): Promise<ConversationRow> {
  const query = tx.select().from(c).where(eq(c.id, id));
  const [row] = opts.lock ? await query.for('update') : await query;
  return assertCanSee(actor, row);
}

/**
 * Personality names by tenant and personality, briefly: every message's inbox update names the
 * assistant, and a rename may take a few seconds to show.
 */
const names = new LRUCache<string, { name: string | null }>({ max: 10_000, ttl: 10_000 });

/** The assistant's display name for a conversation (its personality's name). */
export async function assistantName(tx: Tx, row: ConversationRow): Promise<string | null> {
  const key = `${row.tenantId}:${row.personalityId ?? 'default'}`;
  const cached = names.get(key);
  if (cached) return cached.name;
  const p = schema.aiPersonalities;
  const [named] = row.personalityId
    ? await tx.select({ name: p.name }).from(p).where(eq(p.id, row.personalityId))
    : await tx.select({ name: p.name }).from(p).where(eq(p.isDefault, true));
  names.set(key, { name: named?.name ?? null });
  return named?.name ?? null;
}

export async function viewOf(tx: Tx, row: ConversationRow): Promise<ConversationView> {
  return conversationView(row, await assistantName(tx, row));
}

/**
 * Appends a message and moves the conversation's counters, preview and activity time in the
 * same transaction. A repeated clientMessageId returns the message stored the first time.
 */
export async function appendMessage(
  tx: Tx,
  conversation: ConversationRow,
  message: NewMessage,
): Promise<{ row: MessageRow; duplicate: boolean; conversation: ConversationRow }> {
  if (message.clientMessageId) {
    const [existing] = await tx
      .select()
      .from(m)
      .where(and(eq(m.sessionId, conversation.id), eq(m.clientMessageId, message.clientMessageId)));
    if (existing) return { row: existing, duplicate: true, conversation };
  }
  const [row] = await tx
    .insert(m)
    .values({ ...message, tenantId: conversation.tenantId, sessionId: conversation.id })
    .returning();
  if (!row) throw new Error('appendMessage: insert returned no row');
  const preview = row.content.replace(/\s+/g, ' ').trim().slice(0, PREVIEW_CHARS);
  const [updated] = await tx
    .update(c)
    .set({
      messageCount: sql`${c.messageCount} + 1`,
      lastMessageAt: row.createdAt,
      ...(preview ? { lastMessagePreview: preview } : {}),
      ...(conversation.title || row.role !== 'user' || !preview
        ? {}
        : { title: preview.slice(0, 80) }),
    })
    .where(eq(c.id, conversation.id))
    .returning();
  return { row, duplicate: false, conversation: updated ?? conversation };
}

export async function updateConversation(
  tx: Tx,
  id: string,
  patch: Partial<typeof c.$inferInsert>,
): Promise<ConversationRow> {
  const [row] = await tx.update(c).set(patch).where(eq(c.id, id)).returning();
  if (!row) throw new Error('updateConversation: no row');
  return row;
}
