/** Metering: one event per model call, rolled-up summaries, and budget alerts. */
import {
  date,
  index,
  integer,
  numeric,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { chatSessions, messages } from './assistant.ts';
import { createdAt, id, tenantId } from './columns.ts';
import { tenants } from './tenants.ts';

const tenantRef = () => tenantId().references(() => tenants.id, { onDelete: 'cascade' });
const usd = (name: string) => numeric(name, { precision: 14, scale: 8 });

export const costEvents = pgTable(
  'cost_events',
  {
    id: id(),
    tenantId: tenantRef(),
    sessionId: uuid('session_id').references(() => chatSessions.id, { onDelete: 'set null' }),
    messageId: uuid('message_id').references(() => messages.id, { onDelete: 'set null' }),
    kind: text('kind', { enum: ['llm', 'embedding', 'vision', 'stt', 'tts'] }).notNull(),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    tier: text('tier'),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    costUsd: usd('cost_usd').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('cost_events_tenant_created_idx').on(t.tenantId, t.createdAt)],
);

export const costSummaries = pgTable(
  'cost_summaries',
  {
    id: id(),
    tenantId: tenantRef(),
    period: text('period', { enum: ['day', 'month'] }).notNull(),
    periodStart: date('period_start').notNull(),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    requests: integer('requests').notNull().default(0),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    costUsd: usd('cost_usd').notNull().default('0'),
  },
  (t) => [
    unique('cost_summaries_bucket_unique').on(
      t.tenantId,
      t.period,
      t.periodStart,
      t.provider,
      t.model,
    ),
  ],
);

export const budgetAlerts = pgTable(
  'budget_alerts',
  {
    id: id(),
    tenantId: tenantRef(),
    period: text('period', { enum: ['day', 'month'] }).notNull(),
    periodStart: date('period_start').notNull(),
    budgetUsd: usd('budget_usd').notNull(),
    thresholdPercent: integer('threshold_percent').notNull(),
    spentUsd: usd('spent_usd').notNull(),
    triggeredAt: timestamp('triggered_at', { withTimezone: true }).notNull().defaultNow(),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
  },
  (t) => [
    unique('budget_alerts_threshold_unique').on(
      t.tenantId,
      t.period,
      t.periodStart,
      t.thresholdPercent,
    ),
  ],
);
