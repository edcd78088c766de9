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
  /** As the visitor gave it (widget identify()): unverified. */
  visitorEmail: string | null;
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
    visitorEmail: row.visitorEmail,
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

/** A message as stored, with everything members may see. */
export function messageView(row: MessageRow): MessageView {
  return {
    id: row.id,
    conversationId: row.sessionId,
    author: { type: row.authorType, name: row.authorName, userId: row.authorUserId },
    role: row.role,
    text: row.content,
    status: row.status,
    citations: row.citations,
    replyTo: row.replyTo,
    clientMessageId: row.clientMessageId,
    tier: row.tier,
    provider: row.provider,
    model: row.model,
    cacheHit: row.cacheHit,
    costMicros: row.costMicros,
    latency:
      row.totalMs !== null
        ? { retrievalMs: row.retrievalMs, firstTokenMs: row.firstTokenMs, totalMs: row.totalMs }
        : null,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * What a widget visitor may see of a message: no cost, model or routing details, and no
 * member user ids. Every channel (events, REST, replay) redacts through here.
 */
export function visitorMessage(message: MessageView): MessageView {
  return {
    ...message,
    author: { ...message.author, userId: null },
    tier: null,
    provider: null,
    model: null,
    cacheHit: null,
    costMicros: null,
    latency: null,
  };
}

export type VisitorConversationView = Omit<
  ConversationView,
  'tags' | 'assignedUserId' | 'handoffReason'
>;

/** What a visitor may see of a conversation: no internal tags, assignee id or handoff reason. */
export function visitorConversation(view: ConversationView): VisitorConversationView {
  const { tags: _t, assignedUserId: _a, handoffReason: _h, ...visible } = view;
  return visible;
}

/** A message for the given audience. */
export const messageFor = (row: MessageRow, audience: 'member' | 'visitor'): MessageView =>
  audience === 'member' ? messageView(row) : visitorMessage(messageView(row));
