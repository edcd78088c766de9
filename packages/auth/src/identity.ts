import type { Auth } from './auth.ts';

/** Who is calling: from the session cookie, never from request input. */
export type Identity = {
  userId: string;
  email: string;
  name: string;
  sessionId: string;
  /** The tenant the session acts for; null when the user belongs to none. */
  tenantId: string | null;
};

export async function identityFromHeaders(auth: Auth, headers: Headers): Promise<Identity | null> {
  const found = await auth.api.getSession({ headers });
  if (!found) return null;
  const { session, user } = found;
  return {
    userId: user.id,
    email: user.email,
    name: user.name,
    sessionId: session.id,
    tenantId: (session as { activeTenantId?: string | null }).activeTenantId ?? null,
  };
}
