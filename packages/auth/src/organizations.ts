import { appendAudit, type Database, schema } from '@platform/db';
import { APIError } from 'better-auth/api';
import { eq } from 'drizzle-orm';
import type { Auth } from './auth.ts';
import { firstIssue, signUpInput } from './inputs.ts';
import { foundTenant, latestMembership } from './tenancy.ts';

export type NewOrganization = {
  name: string;
  ownerEmail: string;
  ownerName?: string | undefined;
  /** Asked for only when the owner has no account yet (e.g. read from a prompt). */
  password: () => Promise<string>;
};

export type CreatedOrganization = {
  tenantId: string;
  slug: string;
  ownerId: string;
  ownerCreated: boolean;
};

export class OrganizationInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'OrganizationInputError';
  }
}

/**
 * Creates an organisation for an operator: a new owner signs up through Better Auth (same
 * validation and hashing as the web), an existing person just becomes the owner of the
 * new tenant.
 */
export async function createOrganization(
  auth: Auth,
  db: Database,
  input: NewOrganization,
): Promise<CreatedOrganization> {
  const email = input.ownerEmail.trim().toLowerCase();
  const name = input.name.trim();
  const existing = await db.withAuth((tx) =>
    tx.select({ id: schema.users.id }).from(schema.users).where(eq(schema.users.email, email)),
  );
  const owner = existing[0];
  if (owner) {
    if (!name) throw new OrganizationInputError('name', 'name: is required');
    const tenant = await db.withAuth((tx) => foundTenant(tx, name, owner.id));
    // No sign-up to audit it (a new owner's is): the operator founded it for this person.
    await db.withTenant(tenant.tenantId, (tx) =>
      appendAudit(tx, tenant.tenantId, {
        action: 'tenant.created',
        resourceType: 'tenant',
        resourceId: tenant.tenantId,
        metadata: { organizationName: name, ownerUserId: owner.id, by: 'operator' },
      }),
    );
    return { ...tenant, ownerId: owner.id, ownerCreated: false };
  }

  const body = {
    name: input.ownerName?.trim() || email.split('@')[0] || email,
    email,
    password: await input.password(),
    organizationName: name,
  };
  const parsed = signUpInput.safeParse(body);
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error);
    throw new OrganizationInputError(field, message);
  }
  try {
    const { user } = await auth.api.signUpEmail({ body: parsed.data });
    const tenant = await db.withAuth((tx) => latestMembership(tx, user.id));
    if (!tenant) throw new Error('sign-up created no tenant');
    return { ...tenant, ownerId: user.id, ownerCreated: true };
  } catch (e) {
    if (e instanceof APIError) {
      const b = e.body as { field?: string; message?: string } | undefined;
      throw new OrganizationInputError(b?.field ?? '', b?.message ?? e.message);
    }
    throw e;
  }
}
