import { isUuid, schema } from '@platform/db';
import type { ConversationChannel, ConversationStatus } from '@platform/db/schema';
import { and, arrayContains, desc, eq, ilike, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import { DomainError } from '../errors.ts';
import { type Actor, assertMember } from './actor.ts';
import { type ConversationDeps, inTenant } from './deps.ts';
import { assistantName, loadConversation } from './store.ts';
import { type ConversationView, conversationView, type MessageView, messageFor } from './views.ts';

const c = schema.chatSessions;
const m = schema.messages;

export interface InboxQuery {
  status?: ConversationStatus[];
  channel?: ConversationChannel[];
  handler?: 'ai' | 'human';
  /** `me`, `unassigned`, or a member's user id. */
  assignee?: string;
  tag?: string;
  /** Words in the title, the visitor's name, or any message. */
  search?: string;
  cursor?: string;
  limit?: number;
}

type Cursor = { at: string; id: string };

const encodeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

function decodeCursor(raw: string): Cursor {
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Cursor;
    // Only what the database can compare with: a cursor crafted with a non-UUID id or a year
    // outside 1970–9999 failed the query as a 500.
    const at = typeof value.at === 'string' ? Date.parse(value.at) : Number.NaN;
    if (isUuid(value.id) && at >= 0 && at < Date.UTC(10_000, 0, 1)) return value;
  } catch {
    // fall through
  }
  throw new DomainError('BAD_REQUEST', 'cursor is not one this server returned', 'cursor');
}

/** The inbox: most recent activity first, filtered, searched, paged by an opaque cursor. */
export async function listConversations(
  deps: ConversationDeps,
  actor: Actor,
  query: InboxQuery,
): Promise<{ items: ConversationView[]; nextCursor: string | null }> {
  const limit = query.limit ?? 25;
  const where: SQL[] = [];
  // A visitor lists only the conversations it started through its own widget; the inbox's
  // filters by member are for members.
  if (actor.kind === 'visitor') {
    if (query.assignee || query.handler || query.tag || query.channel?.length)
      throw new DomainError('FORBIDDEN', 'Only members can filter the inbox', 'assignee');
    where.push(eq(c.visitorId, actor.visitorId), eq(c.widgetId, actor.widgetId));
  } else assertMember(actor, 'read the inbox');
  if (query.status?.length) where.push(or(...query.status.map((s) => eq(c.status, s))) as SQL);
  if (query.channel?.length) where.push(or(...query.channel.map((ch) => eq(c.channel, ch))) as SQL);
  if (query.handler) where.push(eq(c.handler, query.handler));
  if (query.assignee === 'unassigned') where.push(isNull(c.assignedUserId));
  else if (query.assignee === 'me' && actor.kind === 'member')
    where.push(eq(c.assignedUserId, actor.userId));
  else if (query.assignee) where.push(eq(c.assignedUserId, query.assignee));
  if (query.tag) where.push(arrayContains(c.tags, [query.tag.toLowerCase()]));
  if (query.search?.trim()) {
    const text = query.search.trim();
    const like = `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    where.push(
      or(
        ilike(c.title, like),
        ilike(c.visitorName, like),
        ilike(c.visitorEmail, like),
        sql`exists (select 1 from ${m} where ${m.sessionId} = ${c.id} and to_tsvector('simple', ${m.content}) @@ plainto_tsquery('simple', ${text}))`,
      ) as SQL,
    );
  }
  if (query.cursor) {
    const cursor = decodeCursor(query.cursor);
    const at = new Date(cursor.at);
    where.push(
      or(lt(c.lastMessageAt, at), and(eq(c.lastMessageAt, at), lt(c.id, cursor.id))) as SQL,
    );
  }
  return inTenant(
    deps,
    actor,
    async (tx) => {
      const rows = await tx
        .select()
        .from(c)
        .where(where.length ? and(...where) : undefined)
        .orderBy(desc(c.lastMessageAt), desc(c.id))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      const names = new Map<string, string | null>();
      const items: ConversationView[] = [];
      for (const row of page) {
        const key = row.personalityId ?? 'default';
        if (!names.has(key)) names.set(key, await assistantName(tx, row));
        items.push(conversationView(row, names.get(key) ?? null));
      }
      const last = page.at(-1);
      return {
        items,
        nextCursor:
          rows.length > limit && last
            ? encodeCursor({ at: last.lastMessageAt.toISOString(), id: last.id })
            : null,
      };
    },
    'read',
  );
}

/** A conversation's messages, oldest first, after a message id when paging forward. */
export async function listMessages(
  deps: ConversationDeps,
  actor: Actor,
  conversationId: string,
  opts: { limit?: number; since?: Date } = {},
): Promise<MessageView[]> {
  return inTenant(
    deps,
    actor,
    async (tx) => {
      await loadConversation(tx, actor, conversationId);
      const rows = await tx
        .select()
        .from(m)
        .where(
          and(
            eq(m.sessionId, conversationId),
            opts.since ? sql`${m.createdAt} >= ${opts.since.toISOString()}` : undefined,
          ),
        )
        .orderBy(desc(m.createdAt), desc(m.id))
        .limit(opts.limit ?? 200);
      return rows
        .reverse()
        .map((r) => messageFor(r, actor.kind === 'visitor' ? 'visitor' : 'member'));
    },
    'read',
  );
}
