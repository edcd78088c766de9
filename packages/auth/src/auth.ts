import type { Config } from '@platform/config';
import { type Database, schema } from '@platform/db';
import { betterAuth } from 'better-auth';
import { APIError, createAuthMiddleware } from 'better-auth/api';
import { eq } from 'drizzle-orm';
import { createAuthStore } from './adapter.ts';
import { authSecurityFor, type SecurityConfig, sessionLifetime } from './auth-security.ts';
import { CLIENT_IP_HEADER } from './client-info.ts';
import { authInputs, firstIssue, unstorableField } from './inputs.ts';
import type { AttemptStore } from './lockout.ts';
import { mfaPlugins } from './mfa/plugins.ts';
import {
  HasherBusyError,
  isLegacyHash,
  PASSWORD_MAX,
  PASSWORD_MIN,
  type PasswordHasher,
} from './password.ts';
import { passwordGuard } from './password-guard.ts';
import { SSO_CALLBACK_PATH } from './sso/context.ts';
import type { SsoIssuers } from './sso/issuers.ts';
import { ssoPlugin } from './sso/plugin.ts';
import { SAML_ACS_PATH } from './sso/saml/sp.ts';
import type { SecretOpener } from './sso/secrets.ts';
import { foundTenant, latestMembership } from './tenancy.ts';

/** The slice of a pino logger the auth module writes to. */
export type LogSink = {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
};

export type AuthDeps = {
  db: Database;
  config: Pick<Config, 'AUTH_SECRET' | 'PUBLIC_URL' | 'NODE_ENV' | 'MFA_ISSUER'> & SecurityConfig;
  hasher: PasswordHasher;
  log: LogSink;
  /** Failed sign-ins of unknown emails (lockout.ts); in memory unless the server passes Redis. */
  attempts?: AttemptStore;
  /** Single sign-on: providers' discovery and the cipher that opens connections' client secrets. */
  sso: { issuers: SsoIssuers; secrets: SecretOpener };
  /** Called when auth ends a session on its own (a lock): cached identities must go. */
  onSessionEnded?: () => void;
};

/** PUBLIC_URL, plus its localhost/127.0.0.1 twin outside production (both open the same dev server). */
export function trustedOrigins(config: Pick<Config, 'PUBLIC_URL' | 'NODE_ENV'>): string[] {
  const origin = new URL(config.PUBLIC_URL);
  const list = [origin.origin];
  if (config.NODE_ENV !== 'production' && ['localhost', '127.0.0.1'].includes(origin.hostname)) {
    for (const host of ['localhost', '127.0.0.1'])
      list.push(`${origin.protocol}//${host}${origin.port ? `:${origin.port}` : ''}`);
  }
  return [...new Set(list)];
}

export function createAuth({ db, config, hasher, log, attempts, sso, onSessionEnded }: AuthDeps) {
  const store = createAuthStore(db);
  // Lockout, password policy, session limits and sign-in audit (auth-security.ts).
  const security = authSecurityFor({ db, config, run: store.run, log, attempts });
  const lockoutPolicy = { threshold: config.LOCKOUT_THRESHOLD, minutes: config.LOCKOUT_MINUTES };

  const emailTaken = async (email: string): Promise<boolean> => {
    const rows = await store.run((tx) =>
      tx
        .select({ id: schema.users.id })
        .from(schema.users)
        .where(eq(schema.users.email, email.toLowerCase()))
        .limit(1),
    );
    return rows.length > 0;
  };

  const hashOrBusy = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (e) {
      if (e instanceof HasherBusyError)
        throw new APIError('SERVICE_UNAVAILABLE', { code: 'BUSY', message: e.message });
      throw e;
    }
  };

  return betterAuth({
    appName: 'Enterprise AI Assistant Platform',
    baseURL: config.PUBLIC_URL,
    basePath: '/api/auth',
    secret: config.AUTH_SECRET,
    trustedOrigins: trustedOrigins(config),
    database: store.adapter,
    telemetry: { enabled: false },
    logger: {
      level: 'warn',
      log: (level, message, ...args) =>
        level === 'error' ? log.error({ args }, message) : log.warn({ args }, message),
    },
    // Client mistakes (4xx) are answers, not errors; only server faults are logged.
    onAPIError: {
      onError: (error) => {
        const status = error instanceof APIError ? error.statusCode : 500;
        if (status >= 500) log.error({ err: error }, 'auth endpoint failed');
      },
    },
    // TOTP second factor with hashed recovery codes and replay protection (mfa/plugins.ts);
    // per-organisation OpenID Connect single sign-on (sso/plugin.ts); the current-password
    // lockout (password-guard.ts), last so that every other hook has accepted a request first.
    plugins: [
      ...mfaPlugins({
        db,
        run: store.run,
        authSecret: config.AUTH_SECRET,
        issuer: config.MFA_ISSUER,
        lockout: lockoutPolicy,
        log,
      }),
      ssoPlugin({ db, ...sso, publicUrl: config.PUBLIC_URL, log }),
      passwordGuard({ db, run: store.run, lockout: lockoutPolicy, log, onSessionEnded }),
    ],
    user: { modelName: 'users' },
    account: { modelName: 'accounts' },
    verification: { modelName: 'verificationTokens' },
    session: {
      modelName: 'authSessions',
      // Idle and absolute limits (SESSION_IDLE_MINUTES, SESSION_ABSOLUTE_HOURS); no sliding.
      ...sessionLifetime(config),
      additionalFields: {
        activeTenantId: { type: 'string', required: false, input: false },
      },
    },
    emailAndPassword: {
      enabled: true,
      autoSignIn: true,
      minPasswordLength: PASSWORD_MIN,
      maxPasswordLength: PASSWORD_MAX,
      revokeSessionsOnPasswordReset: true,
      password: {
        hash: (password) => hashOrBusy(() => hasher.hash(password)),
        verify: ({ hash, password }) => hashOrBusy(() => hasher.verify(hash, password)),
      },
    },
    advanced: {
      database: { generateId: 'uuid' },
      useSecureCookies: config.NODE_ENV === 'production',
      // Better Auth skips the origin (CSRF) check under NODE_ENV=test; keep it on everywhere
      // so the tests exercise what production runs (the SSO plugin exempts the SAML ACS).
      disableOriginCheck: false,
      defaultCookieAttributes: { httpOnly: true, sameSite: 'lax' },
      // The client IP only as the server resolved it (auth-bridge sets it), never a client's header.
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
    },
    databaseHooks: {
      session: {
        create: {
          // Runs inside the sign-up transaction (Better Auth defers `after` hooks past commit,
          // so they cannot found the tenant atomically). A session acts for one tenant.
          before: async (session, ctx) => {
            // A single sign-on acts for its connection's organisation, chosen by the callback.
            const chosen = (session as { activeTenantId?: unknown }).activeTenantId;
            const viaSso = ctx?.path === SSO_CALLBACK_PATH || ctx?.path === SAML_ACS_PATH;
            if (viaSso && typeof chosen === 'string')
              return { data: { ...session, activeTenantId: chosen } };
            const tenant = await store.run((tx) =>
              ctx?.path === '/sign-up/email'
                ? foundTenant(
                    tx,
                    String((ctx.body as { organizationName: string }).organizationName),
                    session.userId,
                  )
                : latestMembership(tx, session.userId),
            );
            return { data: { ...session, activeTenantId: tenant?.tenantId ?? null } };
          },
        },
      },
    },
    hooks: {
      // Strict input validation with the field at fault, before Better Auth parses anything.
      before: createAuthMiddleware(async (ctx) => {
        // On every endpoint: text PostgreSQL cannot store (a NUL in organizationName was a 500).
        const unstorable = unstorableField(ctx.body);
        if (unstorable)
          throw new APIError('BAD_REQUEST', { code: 'VALIDATION_ERROR', ...unstorable });
        const schema = authInputs[ctx.path];
        if (!schema) return security.before(ctx);
        const parsed = schema.safeParse(ctx.body);
        if (!parsed.success) {
          const { field, message } = firstIssue(parsed.error);
          throw new APIError('BAD_REQUEST', { code: 'VALIDATION_ERROR', message, field });
        }
        // Better Auth answers a taken email with 422; our contract says 409. (Two sign-ups
        // racing for one email still end with exactly one user; the loser gets Better Auth's 422.)
        if (
          ctx.path === '/sign-up/email' &&
          (await emailTaken((parsed.data as { email: string }).email))
        ) {
          throw new APIError('CONFLICT', {
            code: 'EMAIL_TAKEN',
            message: 'email: already registered',
            field: 'email',
          });
        }
        return security.before(ctx);
      }),
      // Legacy bcrypt hashes verify once, then are replaced by Argon2id.
      after: createAuthMiddleware(async (ctx) => {
        await security.after(ctx);
        if (ctx.path !== '/sign-in/email') return;
        const userId = ctx.context.newSession?.user.id;
        const password = (ctx.body as { password?: unknown } | undefined)?.password;
        if (!userId || typeof password !== 'string') return;
        const accounts = await ctx.context.internalAdapter.findAccounts(userId);
        const credential = accounts.find((a) => a.providerId === 'credential');
        if (!credential?.password || !isLegacyHash(credential.password)) return;
        try {
          await ctx.context.internalAdapter.updatePassword(userId, await hasher.hash(password));
        } catch (e) {
          // The sign-in itself succeeded; the rehash is retried at the next one.
          log.warn({ err: e, userId }, 'password rehash to argon2id failed');
        }
      }),
    },
  });
}

export type Auth = ReturnType<typeof createAuth>;
