import type { ExtractTablesWithRelations } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { ApiKeyRecord } from './api-key.ts';
import type { ClaimedJob, ClaimOptions } from './jobs/claim.ts';
import type { StaleDocument } from './reembed.ts';
import type * as schema from './schema/index.ts';
import type { SsoConnectionRecord } from './sso.ts';
import type { WidgetAdmission } from './widget-key.ts';

export type Schema = typeof schema;

/** A transaction already switched to a least-privilege role; the only handle code gets. */
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

/** A drizzle database over either driver (internal: never exported from the package). */
export type AnyDrizzle = PgDatabase<PgQueryResultHKT, Schema>;

/** The caller's standing in the transaction's tenant, read in the same round trip. */
export type Membership = {
  role: (typeof schema.memberRoles)[number];
  /** The organisation requires two-factor authentication and this member has not enabled it. */
  mfaBlocked: boolean;
};

export type TenantOptions = {
  /** Also read this user's membership of the tenant (null when they are not a member). */
  memberId?: string;
};

export type MigrationStatus = { applied: number; expected: number; current: boolean };

export interface Database {
  readonly driver: 'pglite' | 'postgres';
  /**
   * Runs fn in a transaction as the runtime role with RLS scoped to tenantId. With
   * `memberId`, fn also gets that user's membership, fetched with the transaction's opening.
   */
  withTenant<T>(
    tenantId: string,
    fn: (tx: Tx, member: Membership | null) => Promise<T>,
    options?: TenantOptions,
  ): Promise<T>;
  /** Runs fn in a transaction as the auth role: global identity tables, no tenant data. */
  withAuth<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Applies pending migrations as the owner, serialised by an advisory lock. */
  migrate(): Promise<{ applied: number }>;
  migrationStatus(): Promise<MigrationStatus>;
  /** Claims due jobs across tenants (SECURITY DEFINER); see jobs/worker.ts. */
  claimJobs(queue: string, options: ClaimOptions): Promise<ClaimedJob[]>;
  /** Documents whose searchable chunks another embedding model made (SECURITY DEFINER). */
  documentsToReembed(model: string): Promise<StaleDocument[]>;
  /** An active widget by its public key (SECURITY DEFINER), before any tenant is known. */
  widgetByKey(publicKey: string): Promise<WidgetAdmission | null>;
  /** An API key by the SHA-256 hex of its secret (SECURITY DEFINER), before any tenant is known. */
  apiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  /** The enabled SSO connection owning an email domain (SECURITY DEFINER), before any tenant is known. */
  ssoByDomain(domain: string): Promise<SsoConnectionRecord | null>;
  /** An enabled SSO connection by id, with its domains (SECURITY DEFINER): the sign-in callback. */
  ssoConnection(connectionId: string): Promise<SsoConnectionRecord | null>;
  /**
   * Deletes every tenant's audit entries older than `before` (audit retention), through the
   * SECURITY DEFINER platform_purge_audit_logs; null when the database has no such function.
   */
  purgeAuditLogs(before: Date): Promise<number | null>;
  /** Cheap liveness probe of the database connection. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
