import * as oidc from 'openid-client';

/** Who the identity provider says signed in. */
export type SsoProfile = {
  /** The provider's stable subject id: the account link's key. */
  sub: string;
  email: string | null;
  /** true or false as asserted; null when the provider says nothing (Microsoft Entra). */
  emailVerified: boolean | null;
  name: string | null;
};

type Tokens = Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;

const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);
/** Some providers send "true"/"false" strings. */
const flag = (v: unknown) =>
  v === true || v === 'true' ? true : v === false || v === 'false' ? false : null;

/**
 * The profile from the ID token (already validated by openid-client: issuer, audience, expiry,
 * nonce), completed from the UserInfo endpoint when the token leaves out the email or its
 * verification (oidc-provider and others put scope claims there only). UserInfo is called
 * with the access token and must answer for the same subject.
 */
export async function profileOf(config: oidc.Configuration, tokens: Tokens): Promise<SsoProfile> {
  const claims = tokens.claims();
  if (!claims) throw new Error('no ID token');
  const profile: SsoProfile = {
    sub: claims.sub,
    email: text(claims.email),
    emailVerified: flag(claims.email_verified),
    name: text(claims.name),
  };
  const canAsk = Boolean(tokens.access_token && config.serverMetadata().userinfo_endpoint);
  if (!canAsk || (profile.email && profile.emailVerified !== null)) return profile;
  try {
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    // The ID token's own claims win; UserInfo only fills what it left out.
    const email = profile.email ?? text(info.email);
    const sameEmail = !profile.email || profile.email === text(info.email);
    return {
      ...profile,
      email,
      emailVerified: profile.emailVerified ?? (sameEmail ? flag(info.email_verified) : null),
      name: profile.name ?? text(info.name),
    };
  } catch (e) {
    if (profile.email) return profile;
    throw e;
  }
}
