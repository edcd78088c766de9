import { type Database, schema, type Tx } from '@platform/db';
import { and, asc, eq, or } from 'drizzle-orm';
import { apiKeyColumns } from '../routers/apiKeys/view.ts';
import { ARCHIVE_FORMAT, ARCHIVE_VERSION } from './archive.ts';
import { tenantsNaming } from './erase-user.ts';
import { membershipsOf, type TenantMembership } from './memberships.ts';
import { requestColumns } from './requests.ts';

const u = schema.users;

/** The person's identity rows (auth role): profile and metadata, never a secret or token. */
async function identityOf(db: Database, userId: string) {
  return db.withAuth(async (tx) => {
    const [profile] = await tx
      .select({
        id: u.id,
        name: u.name,
        email: u.email,
        emailVerified: u.emailVerified,
        image: u.image,
        twoFactorEnabled: u.twoFactorEnabled,
        failedSignIns: u.failedSignIns,
        lockedUntil: u.lockedUntil,
        createdAt: u.createdAt,
        updatedAt: u.updatedAt,
      })
      .from(u)
      .where(eq(u.id, userId));
    if (!profile) return null;
    const a = schema.accounts;
    const s = schema.authSessions;
    const f = schema.twoFactors;
    return {
      profile,
      // Sign-in methods: which provider and when; never a password hash or an OAuth token.
      accounts: await tx
        .select({
          providerId: a.providerId,
          accountId: a.accountId,
          scope: a.scope,
          createdAt: a.createdAt,
          updatedAt: a.updatedAt,
        })
        .from(a)
        .where(eq(a.userId, userId))
        .orderBy(asc(a.createdAt)),
      // Sessions without their tokens.
      sessions: await tx
        .select({
          id: s.id,
          createdAt: s.createdAt,
          lastSeenAt: s.lastSeenAt,
          expiresAt: s.expiresAt,
          ipAddress: s.ipAddress,
          userAgent: s.userAgent,
          activeTenantId: s.activeTenantId,
        })
        .from(s)
        .where(eq(s.userId, userId))
        .orderBy(asc(s.createdAt)),
      // That a second factor exists; never its secret or recovery codes.
      twoFactor: await tx
        .select({ verified: f.verified, createdAt: f.createdAt })
        .from(f)
        .where(eq(f.userId, userId)),
    };
  });
}

/** An organisation the person no longer belongs to, as it is now (null once it was erased). */
async function formerOrganisation(tx: Tx, tenantId: string): Promise<Organisation | null> {
  const [tenant] = await tx
    .select({ name: schema.tenants.name, slug: schema.tenants.slug })
    .from(schema.tenants)
    .where(eq(schema.tenants.id, tenantId));
  return tenant ? { tenantId, tenantName: tenant.name, tenantSlug: tenant.slug } : null;
}

type Organisation = Pick<TenantMembership, 'tenantId' | 'tenantName' | 'tenantSlug'>;

/**
 * What one organisation holds about the person (read in that organisation's transaction):
 * `membership` is null for one they have left or were removed from.
 */
async function tenantPartOf(
  tx: Tx,
  organisation: Organisation,
  membership: TenantMembership | null,
  userId: string,
) {
  const t = organisation.tenantId;
  const c = schema.chatSessions;
  const m = schema.messages;
  const l = schema.auditLogs;
  const k = schema.apiKeys;
  const g = schema.meetings;
  const r = schema.dataRequests;
  const x = schema.membershipRemovals;
  return {
    tenant: { id: t, name: organisation.tenantName, slug: organisation.tenantSlug },
    member: membership !== null,
    role: membership?.role ?? null,
    joinedAt: membership?.joinedAt ?? null,
    // The record an admin kept on removing them (so single sign-on does not re-admit them).
    removal:
      (
        await tx
          .select({ name: x.name, email: x.email, role: x.role, removedAt: x.removedAt })
          .from(x)
          .where(and(eq(x.tenantId, t), eq(x.userId, userId)))
      )[0] ?? null,
    conversationsStarted: await tx
      .select()
      .from(c)
      .where(and(eq(c.tenantId, t), eq(c.userId, userId)))
      .orderBy(asc(c.createdAt)),
    messagesWritten: await tx
      .select({
        id: m.id,
        conversationId: m.sessionId,
        role: m.role,
        authorType: m.authorType,
        authorName: m.authorName,
        content: m.content,
        status: m.status,
        createdAt: m.createdAt,
      })
      .from(m)
      .where(and(eq(m.tenantId, t), eq(m.authorUserId, userId)))
      .orderBy(asc(m.createdAt), asc(m.id)),
    // What they did, and what was done to their account.
    auditEntries: await tx
      .select()
      .from(l)
      .where(and(eq(l.tenantId, t), or(eq(l.actorUserId, userId), eq(l.resourceId, userId))))
      .orderBy(asc(l.createdAt), asc(l.id)),
    apiKeysCreated: await tx
      .select(apiKeyColumns)
      .from(k)
      .where(and(eq(k.tenantId, t), eq(k.createdBy, userId)))
      .orderBy(asc(k.createdAt)),
    meetingsCreated: await tx
      .select()
      .from(g)
      .where(and(eq(g.tenantId, t), eq(g.createdBy, userId)))
      .orderBy(asc(g.createdAt)),
    privacyRequests: await tx
      .select(requestColumns)
      .from(r)
      .where(and(eq(r.tenantId, t), eq(r.scope, 'user'), eq(r.userId, userId)))
      .orderBy(asc(r.requestedAt)),
  };
}

/**
 * Everything the platform holds about one person (GDPR art. 15 and 20): their profile,
 * sign-in methods, sessions and 2FA state (global identity, auth role); then, in every
 * organisation they belong to, and in every one they left or were removed from that still
 * names them (platform_tenants_naming_user, asked in the request's tenant while the export
 * is processing), their membership or removal record, the conversations they started, the
 * messages they wrote, the audit entries about them (as actor or as subject), the API keys
 * and meetings they created and their own privacy requests. Null when the person no longer
 * exists.
 */
export async function buildUserExport(
  db: Database,
  tenantId: string,
  userId: string,
  requestId: string,
) {
  const identity = await identityOf(db, userId);
  if (!identity) return null;
  const memberships = await membershipsOf(db, userId);
  const current = new Set(memberships.map((m) => m.tenantId));
  const organisations = [];
  for (const membership of memberships)
    organisations.push(
      await db.withTenant(membership.tenantId, (tx) =>
        tenantPartOf(tx, membership, membership, userId),
      ),
    );
  for (const former of await tenantsNaming(db, tenantId, userId, requestId)) {
    if (current.has(former)) continue;
    const part = await db.withTenant(former, async (tx) => {
      const organisation = await formerOrganisation(tx, former);
      return organisation && tenantPartOf(tx, organisation, null, userId);
    });
    if (part) organisations.push(part);
  }
  return {
    format: ARCHIVE_FORMAT,
    version: ARCHIVE_VERSION,
    scope: 'user',
    requestId,
    generatedAt: new Date(),
    ...identity,
    memberships: memberships.map((m) => ({
      tenantId: m.tenantId,
      tenantName: m.tenantName,
      tenantSlug: m.tenantSlug,
      role: m.role,
      joinedAt: m.joinedAt,
    })),
    organisations,
  };
}
