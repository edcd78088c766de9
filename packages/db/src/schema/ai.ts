/** The AI core's own records: routing decisions, the semantic answer cache, tenants' provider keys. */
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  real,
  smallint,
  text,
  timestamp,
  unique,
  uuid,
  vector,
} from 'drizzle-orm/pg-core';
import { aiPersonalities, type Citation, chatSessions } from './assistant.ts';
import { createdAt, id, tenantId, updatedAt } from './columns.ts';
import { EMBEDDING_DIMENSIONS } from './knowledge.ts';
import { tenants } from './tenants.ts';

const tenantRef = () => tenantId().references(() => tenants.id, { onDelete: 'cascade' });

export type RoutingAttempt = {
  provider: string;
  model: string;
  tier: number;
  outcome: string;
  latencyMs: number;
  error?: string;
};

/** Why each answer went where it went: the classifier's score and reason, limits applied, attempts. */
export const routingDecisions = pgTable(
  'routing_decisions',
  {
    id: id(),
    tenantId: tenantRef(),
    sessionId: uuid('session_id').references(() => chatSessions.id, { onDelete: 'set null' }),
    personalityId: uuid('personality_id').references(() => aiPersonalities.id, {
      onDelete: 'set null',
    }),
    personalityVersion: integer('personality_version'),
    score: real('score').notNull(),
    /** The tier the classifier chose, and the tier after personality and budget limits. */
    classifiedTier: smallint('classified_tier').notNull(),
    tier: smallint('tier').notNull(),
    reason: text('reason').notNull(),
    signals: jsonb('signals').$type<Record<string, number | boolean | string>>().notNull(),
    budgetState: text('budget_state').notNull(),
    cacheHit: boolean('cache_hit').notNull().default(false),
    /** The model that finally answered (null when every attempt failed or the budget blocked). */
    provider: text('provider'),
    model: text('model'),
    attempts: jsonb('attempts').$type<RoutingAttempt[]>().notNull().default([]),
    createdAt: createdAt(),
  },
  (t) => [index('routing_decisions_tenant_created_idx').on(t.tenantId, t.createdAt)],
);

/**
 * Answers already given, reusable for a close enough question asked of the same personality
 * version against the same knowledge-base version. Only answers that cite something are kept.
 */
export const answerCache = pgTable(
  'answer_cache',
  {
    id: id(),
    tenantId: tenantRef(),
    personalityId: uuid('personality_id')
      .notNull()
      .references(() => aiPersonalities.id, { onDelete: 'cascade' }),
    personalityVersion: integer('personality_version').notNull(),
    knowledgeVersion: bigint('knowledge_version', { mode: 'number' }).notNull(),
    embeddingModel: text('embedding_model').notNull(),
    question: text('question').notNull(),
    embedding: vector('embedding', { dimensions: EMBEDDING_DIMENSIONS }).notNull(),
    answer: text('answer').notNull(),
    citations: jsonb('citations').$type<Citation[]>().notNull(),
    /** The chunks the answer cites: a new question must retrieve them too to reuse it. */
    citedChunkIds: uuid('cited_chunk_ids').array().notNull(),
    /** The passage retrieval ranked first for the question: a new question must rank it first too. */
    leadChunkId: uuid('lead_chunk_id').notNull(),
    tier: smallint('tier').notNull(),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    /** What the original answer cost; each hit saves about this much. */
    costMicros: bigint('cost_micros', { mode: 'number' }).notNull().default(0),
    hits: integer('hits').notNull().default(0),
    lastHitAt: timestamp('last_hit_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index('answer_cache_scope_idx').on(
      t.tenantId,
      t.personalityId,
      t.personalityVersion,
      t.knowledgeVersion,
    ),
    index('answer_cache_embedding_idx').using('hnsw', t.embedding.op('vector_cosine_ops')),
  ],
);

/** A tenant's own key for a vendor, encrypted at rest (AES-256-GCM); only a hint is readable. */
export const providerCredentials = pgTable(
  'provider_credentials',
  {
    id: id(),
    tenantId: tenantRef(),
    provider: text('provider', { enum: ['openai', 'anthropic', 'google', 'compatible'] }).notNull(),
    baseUrl: text('base_url'),
    /** base64url(iv | tag | ciphertext), bound to the tenant and provider as associated data. */
    keyCiphertext: text('key_ciphertext').notNull(),
    keyHint: text('key_hint').notNull(),
    validatedAt: timestamp('validated_at', { withTimezone: true }),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [unique('provider_credentials_unique').on(t.tenantId, t.provider)],
);
