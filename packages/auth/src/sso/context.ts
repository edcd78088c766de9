import type { Database } from '@platform/db';
import type { setSessionCookie } from 'better-auth/cookies';
import type { SsoIssuers } from './issuers.ts';
import type { SecretOpener } from './secrets.ts';

/** A Better Auth endpoint's context (cookies, internal adapter, redirect). */
export type EndpointContext = Parameters<typeof setSessionCookie>[0];

export type SsoDeps = {
  db: Database;
  issuers: SsoIssuers;
  /** Opens connections' client secrets (the platform cipher). */
  secrets: SecretOpener;
  /** PUBLIC_URL: the callback address registered at providers, and the landing page's origin. */
  publicUrl: string;
  log: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
  };
};

export const SSO_START_PATH = '/sso/start';
export const SSO_CALLBACK_PATH = '/sso/callback';

/** The redirect URI every provider registers for this platform. */
export const callbackUrl = (publicUrl: string) =>
  `${new URL(publicUrl).origin}/api/auth${SSO_CALLBACK_PATH}`;

/** The request's headers (an endpoint may be called with headers only, or with a Request). */
export const headersOf = (ctx: EndpointContext): Headers | undefined =>
  ctx.headers ?? ctx.request?.headers;
