import { type Auth, signUpInput } from '@platform/auth';
import { type Database, schema } from '@platform/db';
import { eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { tenantBySlug } from '../tenant-by-slug.ts';
import { newDemoPassword, writeDemoPassword } from './admin-password.ts';
import { DEMO } from './constants.ts';

export type DemoTenant = {
  tenantId: string;
  /** Set when this call created the admin and wrote its password file. */
  passwordFile: string | null;
};

type Membership = { tenant_id: string; tenant_name: string; tenant_slug: string };

/** The demo admin's account and, if they have one, their Acme Demo organisation. */
async function findDemoAdmin(db: Database) {
  const [user] = await db.withAuth((tx) =>
    tx
      .select({ id: schema.users.id })
      .from(schema.users)
      .where(eq(schema.users.email, DEMO.adminEmail)),
  );
  if (!user) return null;
  const rows = (
    (await db.withAuth((tx) =>
      tx.execute(
        sql`select tenant_id, tenant_name, tenant_slug from platform_user_memberships(${user.id})`,
      ),
    )) as unknown as { rows: Membership[] }
  ).rows;
  const tenant =
    rows.find((r) => r.tenant_slug === DEMO.slug) ??
    rows.find((r) => r.tenant_name === DEMO.organisation);
  return { userId: user.id, tenant: tenant ?? null };
}

/**
 * Sign-up derives the slug from the name ("acme-demo"); the demo is known as `demo`. The
 * runtime role may update its own tenant row, and the unique slug keeps it to one tenant.
 */
async function claimDemoSlug(db: Database, tenantId: string) {
  await db.withTenant(tenantId, (tx) =>
    tx.update(schema.tenants).set({ slug: DEMO.slug }).where(eq(schema.tenants.id, tenantId)),
  );
}

/**
 * Founds "Acme Demo" with its admin through Better Auth's email sign-up, as the web page and
 * create-tenant do (same validation, Argon2id hash, tenant founded in the sign-up transaction),
 * or finds the one an earlier or concurrent start founded.
 *
 * Not createOrganization: when the email turns up between its look-up and its sign-up it makes
 * the existing account own a second tenant, and two instances starting at once would do just
 * that. A plain sign-up instead fails on the taken email, so exactly one start creates the
 * admin (and writes the password file); the other finds the admin's organisation and goes on.
 */
export async function ensureDemoTenant(deps: {
  auth: Auth;
  db: Database;
  dataDir: string;
  log: Logger;
}): Promise<DemoTenant | null> {
  const { auth, db, log } = deps;
  let passwordFile: string | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const admin = await findDemoAdmin(db);
    if (admin?.tenant) {
      if (admin.tenant.tenant_slug !== DEMO.slug) await claimDemoSlug(db, admin.tenant.tenant_id);
      return { tenantId: admin.tenant.tenant_id, passwordFile };
    }
    if (admin) {
      log.warn({ email: DEMO.adminEmail }, 'demo not seeded: its admin account belongs elsewhere');
      return null;
    }
    if (await tenantBySlug(db, DEMO.slug, { createIfMissing: false })) {
      log.warn({ slug: DEMO.slug }, 'demo not seeded: another organisation has its slug');
      return null;
    }
    const password = newDemoPassword();
    try {
      // The web sign-up's own schema: it carries organizationName, which founds the tenant.
      const body = signUpInput.parse({
        name: DEMO.adminName,
        email: DEMO.adminEmail,
        password,
        organizationName: DEMO.organisation,
      });
      await auth.api.signUpEmail({ body });
    } catch (e) {
      // Lost the race to another instance: its admin and organisation are found next time round.
      if (await findDemoAdmin(db)) continue;
      throw e;
    }
    passwordFile = await writeDemoPassword(deps.dataDir, password);
  }
  throw new Error('the demo organisation could not be founded');
}
