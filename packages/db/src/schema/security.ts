/** API keys, the append-only audit trail, and GDPR data requests. */
import { index, inet, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantId } from './columns.ts';
import { users } from './identity.ts';
import { tenants } from './tenants.ts';

const tenantRef = () => tenantId().references(() => tenants.id, { onDelete: 'cascade' });

export const apiKeys = pgTable(
  'api_keys',
  {
    id: id(),
    tenantId: tenantRef(),
    name: text('name').notNull(),
    /** First characters of the key, shown in lists so people can tell keys apart. */
    prefix: text('prefix').notNull(),
    /** SHA-256 of the whole key; the key itself is shown once and never stored. */
    keyHash: text('key_hash').notNull().unique(),
    scopes: text('scopes').array().notNull().default([]),
    /** Requests a minute this key may make (null: the server's default for API keys). */
    rateLimitPerMinute: integer('rate_limit_per_minute'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('api_keys_tenant_idx').on(t.tenantId, t.createdAt)],
);

/** Append-only for the runtime role: it is granted SELECT and INSERT, never UPDATE or DELETE. */
export const auditLogs = pgTable(
  'audit_logs',
  {
    id: id(),
    tenantId: tenantRef(),
    actorUserId: uuid('actor_user_id'),
    actorType: text('actor_type', { enum: ['user', 'api_key', 'system'] }).notNull(),
    action: text('action').notNull(),
    resourceType: text('resource_type'),
    resourceId: text('resource_id'),
    ipAddress: inet('ip_address'),
    userAgent: text('user_agent'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index('audit_logs_tenant_created_idx').on(t.tenantId, t.createdAt)],
);

export const dataRequests = pgTable(
  'data_requests',
  {
    id: id(),
    tenantId: tenantRef(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    type: text('type', { enum: ['export', 'deletion'] }).notNull(),
    status: text('status', { enum: ['pending', 'processing', 'completed', 'failed'] })
      .notNull()
      .default('pending'),
    resultUri: text('result_uri'),
    error: text('error'),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [index('data_requests_tenant_idx').on(t.tenantId, t.requestedAt)],
);
