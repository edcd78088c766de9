import type { schema } from '@platform/db';

type ConversationRow = typeof schema.chatSessions.$inferSelect;
type MessageRow = typeof schema.messages.$inferSelect;

export type AnsweredBy = { kind: 'ai' | 'human'; name: string | null };

export type ConversationView = {
  id: string;
  channel: ConversationRow['channel'];
  title: string | null;
  status: ConversationRow['status'];
  handler: ConversationRow['handler'];
  /** Who answers the visitor now: the assistant, or the named human holding the conversation. */
  answeredBy: AnsweredBy;
  assignedUserId: string | null;
  handoffReason: string | null;
  tags: string[];
  rating: { scale: 'thumbs' | 'csat'; value: number; comment: string | null } | null;
  visitorId: string | null;
  visitorName: string | null;
  widgetId: string | null;
  personalityId: string | null;
  messageCount: number;
  lastMessageAt: string;
  lastMessagePreview: string | null;
  createdAt: string;
  resolvedAt: string | null;
};

export function conversationView(
  row: ConversationRow,
  assistantName: string | null,
): ConversationView {
  return {
    id: row.id,
    channel: row.channel,
    title: row.title,
    status: row.status,
    handler: row.handler,
    answeredBy:
      row.handler === 'human'
        ? { kind: 'human', name: row.assignedName }
        : { kind: 'ai', name: assistantName },
    assignedUserId: row.assignedUserId,
    handoffReason: row.handoffReason,
    tags: row.tags,
    rating:
      row.rating !== null && row.ratingScale
        ? { scale: row.ratingScale, value: row.rating, comment: row.ratingComment }
        : null,
    visitorId: row.visitorId,
    visitorName: row.visitorName,
    widgetId: row.widgetId,
    personalityId: row.personalityId,
    messageCount: row.messageCount,
    lastMessageAt: row.lastMessageAt.toISOString(),
    lastMessagePreview: row.lastMessagePreview,
    createdAt: row.createdAt.toISOString(),
    resolvedAt: row.resolvedAt?.toISOString() ?? null,
  };
}

export type MessageView = {
  id: string;
  conversationId: string;
  author: { type: MessageRow['authorType']; name: string | null; userId: string | null };
  role: MessageRow['role'];
  text: string;
  status: MessageRow['status'];
  citations: MessageRow['citations'];
  replyTo: string | null;
  clientMessageId: string | null;
  tier: number | null;
  provider: string | null;
  model: string | null;
  cacheHit: boolean | null;
  costMicros: number | null;
  latency: {
    retrievalMs: number | null;
    firstTokenMs: number | null;
    totalMs: number | null;
  } | null;
  createdAt: string;
};

/**
 * A message as participants see it. Visitors do not see what an answer cost or which model
 * wrote it; members do.
 */
export function messageView(row: MessageRow, audience: 'member' | 'visitor'): MessageView {
  const internal = audience === 'member';
  return {
    id: row.id,
    conversationId: row.sessionId,
    author: {
      type: row.authorType,
      name: row.authorName,
      userId: internal ? row.authorUserId : null,
    },
    role: row.role,
    text: row.content,
    status: row.status,
    citations: row.citations,
    replyTo: row.replyTo,
    clientMessageId: row.clientMessageId,
    tier: internal ? row.tier : null,
    provider: internal ? row.provider : null,
    model: internal ? row.model : null,
    cacheHit: internal ? row.cacheHit : null,
    costMicros: internal ? row.costMicros : null,
    latency:
      internal && row.totalMs !== null
        ? { retrievalMs: row.retrievalMs, firstTokenMs: row.firstTokenMs, totalMs: row.totalMs }
        : null,
    createdAt: row.createdAt.toISOString(),
  };
}
