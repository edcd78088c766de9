/** Assistant surfaces: personalities, widgets, meetings, chat sessions and their messages. */
import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  real,
  text,
  timestamp,
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
    temperature: real('temperature').notNull().default(0.7),
    /** Preferred routing tier; the router may still pick a cheaper one within budget. */
    preferredTier: text('preferred_tier', { enum: ['fast', 'balanced', 'premium'] }),
    /** Answers draw on this collection only, when set. */
    collectionId: uuid('collection_id').references(() => collections.id, { onDelete: 'set null' }),
    isDefault: boolean('is_default').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('ai_personalities_tenant_idx').on(t.tenantId, t.name)],
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

/** A conversation on any channel (the seed's `sessions`; renamed to avoid clashing with auth sessions). */
export const chatSessions = pgTable(
  'chat_sessions',
  {
    id: id(),
    tenantId: tenantRef(),
    channel: text('channel', { enum: ['widget', 'dashboard', 'meeting', 'api'] }).notNull(),
    widgetId: uuid('widget_id').references(() => widgets.id, { onDelete: 'set null' }),
    meetingId: uuid('meeting_id').references(() => meetings.id, { onDelete: 'set null' }),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    visitorId: text('visitor_id'),
    personalityId: uuid('personality_id').references(() => aiPersonalities.id, {
      onDelete: 'set null',
    }),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('chat_sessions_tenant_idx').on(t.tenantId, t.createdAt)],
);

export type Citation = { documentId: string; chunkId: string; title: string; snippet: string };

export const messages = pgTable(
  'messages',
  {
    id: id(),
    tenantId: tenantRef(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => chatSessions.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['user', 'assistant', 'system'] }).notNull(),
    content: text('content').notNull(),
    citations: jsonb('citations').$type<Citation[]>().notNull().default([]),
    model: text('model'),
    inputTokens: integer('input_tokens'),
    outputTokens: integer('output_tokens'),
    costUsd: numeric('cost_usd', { precision: 14, scale: 8 }),
    createdAt: createdAt(),
  },
  (t) => [
    index('messages_tenant_session_idx').on(t.tenantId, t.sessionId, t.createdAt),
    check('messages_role_check', sql`${t.role} in ('user', 'assistant', 'system')`),
  ],
);
