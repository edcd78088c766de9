import type { Database } from '@platform/db';
import type { User } from 'better-auth';
import type { SsoProfile } from './claims.ts';
import type { EndpointContext } from './context.ts';
import { refuse } from './errors.ts';
import { isMember } from './membership.ts';

/** The account link of a connection: provider `sso:<connection id>`, account id = the subject. */
export const ssoProviderId = (connectionId: string) => `sso:${connectionId}`;

type Connection = { connectionId: string; tenantId: string };

export type SsoUser = {
  user: User;
  /** A new person, created just in time. */
  created: boolean;
  /** An existing account got this connection linked to it now. */
  linked: boolean;
};

/**
 * Who this sign-in is, by the account-linking rule (README, "Single sign-on"):
 *
 * 1. The connection's link for this subject exists: that user (the email may have changed at
 *    the provider; the link is by subject).
 * 2. Else a user with this email exists: linked only when the provider asserts
 *    `email_verified: true` AND the user is already a member of the connection's organisation.
 *    Domains are not proven by DNS, so an organisation's provider may only take over accounts
 *    that organisation already holds; anyone else keeps signing in with their password.
 * 3. Else a new user (just-in-time), email verified as the provider said.
 *
 * The caller has already checked the email's domain against the connection and refused an
 * email the provider marked unverified.
 */
export async function resolveSsoUser(
  ctx: EndpointContext,
  db: Database,
  conn: Connection,
  profile: SsoProfile & { email: string },
): Promise<SsoUser> {
  const adapter = ctx.context.internalAdapter;
  const providerId = ssoProviderId(conn.connectionId);
  const owner = await adapter.findAccountOwnerByKey({ providerId, accountId: profile.sub });
  if (owner?.kind === 'owned') return { user: owner.user, created: false, linked: false };
  if (owner?.kind === 'orphaned')
    throw refuse(
      'orphaned_link',
      'CONFLICT',
      'SSO_ACCOUNT_BROKEN',
      'This single sign-on identity is linked to an account that no longer exists; ask an administrator',
    );

  const existing = await adapter.findUserByEmail(profile.email);
  if (existing) {
    if (profile.emailVerified !== true)
      throw refuse(
        'unverified_link',
        'CONFLICT',
        'SSO_ACCOUNT_EXISTS',
        'email: an account with this email already exists and the identity provider did not assert email_verified, so it cannot be linked; sign in with your password',
        'email',
      );
    if (!(await isMember(db, conn.tenantId, existing.user.id)))
      throw refuse(
        'not_a_member',
        'CONFLICT',
        'SSO_ACCOUNT_EXISTS',
        'email: an account with this email already exists outside this organisation; sign in with your password (once an administrator adds that account to the organisation, single sign-on links to it)',
        'email',
      );
    await adapter.linkAccount({
      providerId,
      accountId: profile.sub,
      userId: existing.user.id,
    });
    return { user: existing.user, created: false, linked: true };
  }

  const created = await adapter.createOAuthUser(
    {
      email: profile.email,
      name: profile.name ?? profile.email.slice(0, profile.email.indexOf('@')),
      emailVerified: profile.emailVerified === true,
    },
    { providerId, accountId: profile.sub },
  );
  return { user: created.user, created: true, linked: false };
}
