/** Metering: one event per model call, daily roll-ups, monthly budgets and their alerts. */
import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  date,
  index,
  integer,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { aiPersonalities, chatSessions, messages } from './assistant.ts';
import { createdAt, id, tenantId, updatedAt } from './columns.ts';
import { tenants } from './tenants.ts';

const tenantRef = () => tenantId().references(() => tenants.id, { onDelete: 'cascade' });
/** Money is integer micro-dollars (1 USD = 1,000,000): sums never drift. */
const micros = (name: string) => bigint(name, { mode: 'number' });

export const costOutcomes = [
  'ok',
  'error',
  'timeout',
  'rate_limited',
  'aborted',
  'cache_hit',
] as const;
export type CostOutcome = (typeof costOutcomes)[number];

export const costEvents = pgTable(
  'cost_events',
  {
    id: id(),
    tenantId: tenantRef(),
    /** The conversation. */
    sessionId: uuid('session_id').references(() => chatSessions.id, { onDelete: 'set null' }),
    messageId: uuid('message_id').references(() => messages.id, { onDelete: 'set null' }),
    personalityId: uuid('personality_id').references(() => aiPersonalities.id, {
      onDelete: 'set null',
    }),
    personalityVersion: integer('personality_version'),
    routingDecisionId: uuid('routing_decision_id'),
    kind: text('kind', { enum: ['llm', 'embedding', 'vision', 'stt', 'tts'] }).notNull(),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    tier: smallint('tier'),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    /** Input tokens the vendor served from its prompt cache (billed at the cached rate). */
    cachedInputTokens: integer('cached_input_tokens').notNull().default(0),
    /** The price-table version the cost was computed with. */
    priceVersion: text('price_version').notNull(),
    costMicros: micros('cost_micros').notNull(),
    latencyMs: integer('latency_ms').notNull().default(0),
    outcome: text('outcome', { enum: costOutcomes }).notNull(),
    /** Why a call failed (vendor message, never a key). */
    error: text('error'),
    createdAt: createdAt(),
  },
  (t) => [
    index('cost_events_tenant_created_idx').on(t.tenantId, t.createdAt),
    check('cost_events_cost_check', sql`cost_micros >= 0`),
  ],
);

/** Per tenant, day, model and tier; rebuilt from cost_events by the roll-up job (idempotent). */
export const costSummaries = pgTable(
  'cost_summaries',
  {
    id: id(),
    tenantId: tenantRef(),
    day: date('day').notNull(),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    /** Routing tier the calls were made for (0: not a routed call). */
    tier: smallint('tier').notNull().default(0),
    requests: integer('requests').notNull().default(0),
    failures: integer('failures').notNull().default(0),
    inputTokens: bigint('input_tokens', { mode: 'number' }).notNull().default(0),
    outputTokens: bigint('output_tokens', { mode: 'number' }).notNull().default(0),
    cachedInputTokens: bigint('cached_input_tokens', { mode: 'number' }).notNull().default(0),
    costMicros: micros('cost_micros').notNull().default(0),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('cost_summaries_bucket_unique').on(t.tenantId, t.day, t.provider, t.model, t.tier),
  ],
);

export const exhaustedPolicies = ['block', 'tier1', 'offline'] as const;
export type ExhaustedPolicy = (typeof exhaustedPolicies)[number];

/** A tenant's monthly budget; no row (or no limit) means unlimited. */
export const budgets = pgTable(
  'budgets',
  {
    tenantId: tenantRef().primaryKey(),
    monthlyLimitMicros: micros('monthly_limit_micros'),
    /** Percentages of the limit that raise an alert once per month each. */
    alertThresholds: smallint('alert_thresholds')
      .array()
      .notNull()
      .default(sql`'{50,80,100}'::smallint[]`),
    /** From this share of the limit the router stays on tier 1 (a nearly exhausted budget). */
    downgradeAtPercent: smallint('downgrade_at_percent').notNull().default(90),
    /** What happens at 100%: refuse, answer on tier 1 only, or answer offline at no cost. */
    exhaustedPolicy: text('exhausted_policy', { enum: exhaustedPolicies })
      .notNull()
      .default('tier1'),
    updatedBy: uuid('updated_by'),
    updatedAt: updatedAt(),
  },
  () => [
    check('budgets_limit_check', sql`monthly_limit_micros is null or monthly_limit_micros >= 0`),
    check('budgets_downgrade_check', sql`downgrade_at_percent between 1 and 100`),
  ],
);

/** Running spend per tenant and month, updated in the same transaction as each cost event. */
export const budgetSpend = pgTable(
  'budget_spend',
  {
    tenantId: tenantRef(),
    month: date('month').notNull(),
    spentMicros: micros('spent_micros').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.month] })],
);

export const budgetAlerts = pgTable(
  'budget_alerts',
  {
    id: id(),
    tenantId: tenantRef(),
    /** First day of the budget month. */
    month: date('month').notNull(),
    thresholdPercent: smallint('threshold_percent').notNull(),
    budgetMicros: micros('budget_micros').notNull(),
    spentMicros: micros('spent_micros').notNull(),
    triggeredAt: timestamp('triggered_at', { withTimezone: true }).notNull().defaultNow(),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    acknowledgedBy: uuid('acknowledged_by'),
  },
  (t) => [unique('budget_alerts_threshold_unique').on(t.tenantId, t.month, t.thresholdPercent)],
);
