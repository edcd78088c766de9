/**
 * The server's wire shapes, as far as the widget reads them. Mirrored rather than imported so
 * the published SDK depends on nothing of the server. Sources of truth:
 * packages/api/src/conversations/views.ts (visitorMessage, visitorConversation),
 * packages/realtime/src/protocol.ts (ServerFrame), apps/server/src/rest/widget-session.ts.
 */

export type Citation = { documentId: string; chunkId: string; title: string; snippet: string };

export type Message = {
  id: string;
  conversationId: string;
  author: { type: 'visitor' | 'member' | 'ai' | 'agent' | 'system'; name: string | null };
  role: 'user' | 'assistant' | 'system';
  text: string;
  status: 'complete' | 'stopped' | 'truncated' | 'failed';
  citations: Citation[];
  clientMessageId: string | null;
  createdAt: string;
};

/** Who answers the visitor now: the assistant, or the named human holding the conversation. */
export type AnsweredBy = { kind: 'ai' | 'human'; name: string | null };

export type Conversation = {
  id: string;
  status: 'open' | 'waiting' | 'resolved';
  answeredBy: AnsweredBy;
  rating: { scale: 'thumbs' | 'csat'; value: number; comment: string | null } | null;
};

/**
 * What a widget's settings say about its look (packages/api/src/widgets/settings.ts), as
 * `POST /api/v1/widget/session` returns them; an older server sends none and defaults apply.
 */
export type WidgetSettings = {
  theme?: { primaryColor?: string; backgroundColor?: string; textColor?: string };
  position?: 'bottom-right' | 'bottom-left';
  greeting?: string | null;
  language?: string;
};

/** `POST /api/v1/widget/session` → 200. */
export type Session = {
  token: string;
  expiresAt: string;
  visitorId: string;
  settings?: WidgetSettings;
};

/** Frames the server sends on /ws (protocol version 1). */
export type ServerFrame =
  | { v: 1; type: 'hello'; connectionId: string; heartbeatMs: number }
  | { v: 1; type: 'event'; id: string; event: string; data: Record<string, unknown> }
  | { v: 1; type: 'subscribed'; conversationId: string | null; replayed: number }
  | { v: 1; type: 'ack'; requestId?: string; data: Record<string, unknown> }
  | { v: 1; type: 'error'; code: string; message: string; field?: string; requestId?: string }
  | { v: 1; type: 'resync'; reason: string }
  | { v: 1; type: 'pong'; requestId?: string }
  | { v: 1; type: 'unsubscribed' };

/** Frames the widget sends. */
export type ClientFrame =
  | { type: 'subscribe'; conversationId: string; lastEventId?: string; requestId?: string }
  | {
      type: 'send';
      conversationId: string;
      text: string;
      clientMessageId: string;
      requestId: string;
    }
  | { type: 'stop'; conversationId: string }
  | { type: 'typing'; conversationId: string; typing: boolean }
  | { type: 'ping' };
