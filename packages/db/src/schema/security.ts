/** API keys, the append-only audit trail, GDPR data requests and SSO connections. */
import {
  boolean,
  index,
  inet,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { bytea, createdAt, id, tenantId, updatedAt } from './columns.ts';
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

export const dataRequestStatuses = [
  'pending',
  'scheduled',
  'processing',
  'completed',
  'failed',
  'cancelled',
] as const;

/**
 * GDPR requests: a person's (scope user) or a whole organisation's (scope tenant) export or
 * deletion. A deletion waits for `dueAt` (the grace period) and can be cancelled until then;
 * an export's archive is kept here until `archiveExpiresAt`.
 */
export const dataRequests = pgTable(
  'data_requests',
  {
    id: id(),
    tenantId: tenantRef(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    type: text('type', { enum: ['export', 'deletion'] }).notNull(),
    scope: text('scope', { enum: ['user', 'tenant'] })
      .notNull()
      .default('user'),
    status: text('status', { enum: dataRequestStatuses }).notNull().default('pending'),
    /** Who asked (the person themself, or an admin for the organisation). */
    requestedBy: uuid('requested_by').references(() => users.id, { onDelete: 'set null' }),
    resultUri: text('result_uri'),
    /** The export, a gzipped JSON archive. */
    archive: bytea('archive'),
    archiveExpiresAt: timestamp('archive_expires_at', { withTimezone: true }),
    error: text('error'),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
    /** When a deletion runs (the end of its grace period). */
    dueAt: timestamp('due_at', { withTimezone: true }),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [index('data_requests_tenant_idx').on(t.tenantId, t.requestedAt)],
);

/**
 * Single sign-on for an organisation: an OIDC provider (Google, Microsoft Entra, any OIDC
 * issuer) or a SAML IdP, found from the email domains it owns. People who sign in through it
 * for the first time join the organisation at `defaultRole`.
 */
export const ssoConnections = pgTable(
  'sso_connections',
  {
    id: id(),
    tenantId: tenantRef(),
    protocol: text('protocol', { enum: ['oidc', 'saml'] })
      .notNull()
      .default('oidc'),
    name: text('name').notNull(),
    /** Lower-case email domains this connection signs in (unique across organisations). */
    domains: text('domains').array().notNull().default([]),
    issuer: text('issuer').notNull(),
    clientId: text('client_id').notNull(),
    /** Encrypted with the platform's secret cipher; never returned. */
    clientSecretEncrypted: text('client_secret_encrypted'),
    /** SAML: the IdP's metadata XML (certificate and endpoints). */
    samlMetadata: text('saml_metadata'),
    defaultRole: text('default_role', { enum: ['viewer', 'member', 'admin'] })
      .notNull()
      .default('member'),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('sso_connections_tenant_idx').on(t.tenantId)],
);
