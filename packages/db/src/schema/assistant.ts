/** Assistant surfaces: personalities, widgets, meetings, chat sessions and their messages. */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  real,
  smallint,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, id, tenantId, updatedAt } from './columns.ts';
import { users } from './identity.ts';
import { collections } from './knowledge.ts';
import { tenants } from './tenants.ts';

const tenantRef = () => tenantId().references(() => tenants.id, { onDelete: 'cascade' });

export const aiPersonalities = pgTable(
  'ai_personalities',
  {
    id: id(),
    tenantId: tenantRef(),
    name: text('name').notNull(),
    description: text('description'),
    systemPrompt: text('system_prompt').notNull(),
    tone: text('tone'),
    /** BCP 47 tag the assistant answers in, e.g. en, de, pt-BR. */
    language: text('language').notNull().default('en'),
    greeting: text('greeting'),
    temperature: real('temperature').notNull().default(0.7),
    /** The router keeps this personality's answers within these tiers (1 cheapest .. 3). */
    minTier: smallint('min_tier').notNull().default(1),
    maxTier: smallint('max_tier').notNull().default(3),
    /** Answers draw on this collection only, when set; otherwise on the whole knowledge base. */
    collectionId: uuid('collection_id').references(() => collections.id, { onDelete: 'set null' }),
    isDefault: boolean('is_default').notNull().default(false),
    /** Bumped by every edit; ai_personality_versions keeps each version as it was. */
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('ai_personalities_tenant_idx').on(t.tenantId, t.name),
    uniqueIndex('ai_personalities_one_default').on(t.tenantId).where(sql`is_default`),
    check(
      'ai_personalities_tiers_check',
      sql`1 <= min_tier and min_tier <= max_tier and max_tier <= 3`,
    ),
    check('ai_personalities_temperature_check', sql`temperature >= 0 and temperature <= 2`),
    check('ai_personalities_prompt_check', sql`length(btrim(system_prompt)) > 0`),
  ],
);

export type PersonalitySnapshot = {
  name: string;
  description: string | null;
  systemPrompt: string;
  tone: string | null;
  language: string;
  greeting: string | null;
  temperature: number;
  minTier: number;
  maxTier: number;
  collectionId: string | null;
};

/** Every version of a personality as it was, so a past answer can be traced to its prompt. */
export const aiPersonalityVersions = pgTable(
  'ai_personality_versions',
  {
    id: id(),
    tenantId: tenantRef(),
    personalityId: uuid('personality_id')
      .notNull()
      .references(() => aiPersonalities.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    snapshot: jsonb('snapshot').$type<PersonalitySnapshot>().notNull(),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
  },
  (t) => [unique('ai_personality_versions_unique').on(t.personalityId, t.version)],
);

export const widgets = pgTable(
  'widgets',
  {
    id: id(),
    tenantId: tenantRef(),
    name: text('name').notNull(),
    /** Public key embedded in the customer's page; resolved by a SECURITY DEFINER look-up. */
    publicKey: text('public_key').notNull().unique(),
    allowedOrigins: text('allowed_origins').array().notNull().default(sql`'{}'::text[]`),
    personalityId: uuid('personality_id').references(() => aiPersonalities.id, {
      onDelete: 'set null',
    }),
    collectionId: uuid('collection_id').references(() => collections.id, { onDelete: 'set null' }),
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
    isActive: boolean('is_active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('widgets_tenant_idx').on(t.tenantId, t.createdAt)],
);

export const meetings = pgTable(
  'meetings',
  {
    id: id(),
    tenantId: tenantRef(),
    title: text('title').notNull(),
    roomName: text('room_name').notNull().unique(),
    status: text('status', { enum: ['scheduled', 'active', 'ended'] })
      .notNull()
      .default('scheduled'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    personalityId: uuid('personality_id').references(() => aiPersonalities.id, {
      onDelete: 'set null',
    }),
    startedAt: timestamp('started_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('meetings_tenant_idx').on(t.tenantId, t.createdAt)],
);

export const conversationChannels = ['widget', 'dashboard', 'meeting', 'api'] as const;
export type ConversationChannel = (typeof conversationChannels)[number];
export const conversationStatuses = ['open', 'waiting', 'resolved'] as const;
export type ConversationStatus = (typeof conversationStatuses)[number];
/** Who answers the visitor: the assistant, or a human who claimed the conversation. */
export const conversationHandlers = ['ai', 'human'] as const;
export type ConversationHandler = (typeof conversationHandlers)[number];

/**
 * A conversation on any channel (the seed's `sessions`; renamed to avoid clashing with auth
 * sessions). Status and handler drive the inbox and human handoff.
 */
export const chatSessions = pgTable(
  'chat_sessions',
  {
    id: id(),
    tenantId: tenantRef(),
    channel: text('channel', { enum: conversationChannels }).notNull(),
    widgetId: uuid('widget_id').references(() => widgets.id, { onDelete: 'set null' }),
    meetingId: uuid('meeting_id').references(() => meetings.id, { onDelete: 'set null' }),
    /** The member who started it (dashboard, api), if any. */
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    visitorId: text('visitor_id'),
    visitorName: text('visitor_name'),
    /** As the visitor gave it through the widget's identify(): unverified, shown to members only. */
    visitorEmail: text('visitor_email'),
    title: text('title'),
    personalityId: uuid('personality_id').references(() => aiPersonalities.id, {
      onDelete: 'set null',
    }),
    personalityVersion: integer('personality_version'),
    status: text('status', { enum: conversationStatuses }).notNull().default('open'),
    handler: text('handler', { enum: conversationHandlers }).notNull().default('ai'),
    /** The human holding the conversation while handler = human. */
    assignedUserId: uuid('assigned_user_id').references(() => users.id, { onDelete: 'set null' }),
    /** Their display name when they claimed it, shown to the visitor as who is answering. */
    assignedName: text('assigned_name'),
    handoffReason: text('handoff_reason'),
    handoffAt: timestamp('handoff_at', { withTimezone: true }),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    /** thumbs: -1 or 1; csat: 1..5. */
    rating: smallint('rating'),
    ratingScale: text('rating_scale', { enum: ['thumbs', 'csat'] }),
    ratingComment: text('rating_comment'),
    ratedAt: timestamp('rated_at', { withTimezone: true }),
    /** Conversation memory beyond the recent turns: a summary of the first summaryMessages messages. */
    summary: text('summary'),
    summaryMessages: integer('summary_messages').notNull().default(0),
    messageCount: integer('message_count').notNull().default(0),
    lastMessageAt: timestamp('last_message_at', { withTimezone: true }).notNull().defaultNow(),
    lastMessagePreview: text('last_message_preview'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('chat_sessions_tenant_idx').on(t.tenantId, t.createdAt),
    index('chat_sessions_inbox_idx').on(t.tenantId, t.lastMessageAt.desc(), t.id.desc()),
    index('chat_sessions_visitor_idx').on(t.tenantId, t.visitorId),
    check('chat_sessions_status_check', sql`${t.status} in ('open', 'waiting', 'resolved')`),
    check('chat_sessions_handler_check', sql`${t.handler} in ('ai', 'human')`),
    check(
      'chat_sessions_rating_check',
      sql`${t.rating} is null or (${t.ratingScale} = 'thumbs' and ${t.rating} in (-1, 1)) or (${t.ratingScale} = 'csat' and ${t.rating} between 1 and 5)`,
    ),
  ],
);

export type Citation = { documentId: string; chunkId: string; title: string; snippet: string };

export const messageAuthors = ['visitor', 'member', 'ai', 'agent', 'system'] as const;
export type MessageAuthor = (typeof messageAuthors)[number];
export const messageStatuses = ['complete', 'stopped', 'truncated', 'failed'] as const;
export type MessageStatus = (typeof messageStatuses)[number];

export const messages = pgTable(
  'messages',
  {
    id: id(),
    tenantId: tenantRef(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => chatSessions.id, { onDelete: 'cascade' }),
    /** The model's view: user (visitor or member), assistant (AI or human agent), system. */
    role: text('role', { enum: ['user', 'assistant', 'system'] }).notNull(),
    /** Who wrote it, as the people in the conversation see it. */
    authorType: text('author_type', { enum: messageAuthors }).notNull(),
    authorUserId: uuid('author_user_id').references(() => users.id, { onDelete: 'set null' }),
    authorName: text('author_name'),
    content: text('content').notNull(),
    citations: jsonb('citations').$type<Citation[]>().notNull().default([]),
    status: text('status', { enum: messageStatuses }).notNull().default('complete'),
    /** Makes a retried send idempotent within its conversation. */
    clientMessageId: text('client_message_id'),
    /** For an AI answer: the message it answers. */
    replyTo: uuid('reply_to'),
    provider: text('provider'),
    model: text('model'),
    /** Which personality, at which version, wrote an assistant message. */
    personalityId: uuid('personality_id').references(() => aiPersonalities.id, {
      onDelete: 'set null',
    }),
    personalityVersion: integer('personality_version'),
    tier: smallint('tier'),
    cacheHit: boolean('cache_hit'),
    routingDecisionId: uuid('routing_decision_id'),
    inputTokens: integer('input_tokens'),
    outputTokens: integer('output_tokens'),
    costMicros: bigint('cost_micros', { mode: 'number' }),
    /** Latency breakdown of an AI answer, in milliseconds from the send. */
    retrievalMs: integer('retrieval_ms'),
    firstTokenMs: integer('first_token_ms'),
    totalMs: integer('total_ms'),
    createdAt: createdAt(),
  },
  (t) => [
    index('messages_tenant_session_idx').on(t.tenantId, t.sessionId, t.createdAt),
    uniqueIndex('messages_client_id_unique')
      .on(t.sessionId, t.clientMessageId)
      .where(sql`client_message_id is not null`),
    index('messages_search_idx').using('gin', sql`to_tsvector('simple', ${t.content})`),
    check('messages_role_check', sql`${t.role} in ('user', 'assistant', 'system')`),
    check(
      'messages_author_check',
      sql`${t.authorType} in ('visitor', 'member', 'ai', 'agent', 'system')`,
    ),
    check(
      'messages_status_check',
      sql`${t.status} in ('complete', 'stopped', 'truncated', 'failed')`,
    ),
  ],
);
