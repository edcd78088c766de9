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
    personalityVersion: integer('personality_version'),
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
    /** Which personality, at which version, wrote an assistant message. */
    personalityId: uuid('personality_id').references(() => aiPersonalities.id, {
      onDelete: 'set null',
    }),
    personalityVersion: integer('personality_version'),
    tier: smallint('tier'),
    inputTokens: integer('input_tokens'),
    outputTokens: integer('output_tokens'),
    costMicros: bigint('cost_micros', { mode: 'number' }),
    createdAt: createdAt(),
  },
  (t) => [
    index('messages_tenant_session_idx').on(t.tenantId, t.sessionId, t.createdAt),
    check('messages_role_check', sql`${t.role} in ('user', 'assistant', 'system')`),
  ],
);
