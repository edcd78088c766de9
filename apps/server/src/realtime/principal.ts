import type { Actor } from '@platform/api';
import { isOperatorToken } from '@platform/auth';
import type { Platform } from '../platform.ts';
import { tenantBySlug } from '../tenant-by-slug.ts';
import { memberOrigins } from './origins.ts';
import { createWidgetLiveness } from './widget-live.ts';

export type Principal = { actor: Actor; audience: 'member' | 'visitor'; origin: string | null };
export type Refusal = { status: 401 | 403; code: 'unauthorized' | 'forbidden'; message: string };

export interface CallerHeaders {
  cookie?: string | undefined;
  authorization?: string | undefined;
  origin?: string | undefined;
  /**
   * A safe request (GET, HEAD): browsers send no Origin on same-origin reads, so a cookie may
   * come without one. A present Origin must still be allowed. Upgrades and writes need one.
   */
  safe?: boolean;
  /** The organisation's slug, for the operator (the CLI through a running server). */
  tenantSlug?: string | undefined;
}

/**
 * Who is calling /ws or /api/v1, from credentials only (never from input): a widget visitor's
 * signed token (Authorization: Bearer, or `token` for browsers' WebSocket, which cannot set
 * headers), else a member's session cookie. A visitor token works only from the page origin it
 * was issued to; a session cookie only from the platform's own origins, so another site cannot
 * ride a member's cookie (cross-site WebSocket hijacking, CSRF).
 */
export function createPrincipalResolver(platform: Platform) {
  const allowedForMembers = memberOrigins(platform.config);

  /** The operator acts for one organisation, named by slug; never from a browser page. */
  async function operatorPrincipal(
    token: string,
    headers: CallerHeaders,
  ): Promise<Principal | Refusal> {
    if (!isOperatorToken(platform.config.AUTH_SECRET, token) || headers.origin)
      return { status: 401, code: 'unauthorized', message: 'The operator token is invalid' };
    const slug = headers.tenantSlug;
    const tenant = slug
      ? await tenantBySlug(platform.db, slug, { createIfMissing: false })
      : undefined;
    if (!tenant)
      return {
        status: 403,
        code: 'forbidden',
        message: `No organisation with slug "${slug ?? ''}"`,
      };
    return {
      audience: 'member',
      origin: null,
      actor: { kind: 'operator', tenantId: String(tenant.id), name: 'CLI' },
    };
  }
  const widgetLive = createWidgetLiveness(platform);
  return async (headers: CallerHeaders, token?: string | null): Promise<Principal | Refusal> => {
    const operator = headers.authorization?.match(/^Operator\s+(\S+)$/i)?.[1];
    if (operator) return operatorPrincipal(operator, headers);
    const bearer = headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? token ?? null;
    const origin = headers.origin ?? null;
    if (bearer) {
      const claims = platform.visitorTokens.verify(bearer);
      if (!claims)
        return {
          status: 401,
          code: 'unauthorized',
          message: 'The visitor token is invalid or has expired',
        };
      if (origin !== claims.origin)
        return {
          status: 403,
          code: 'forbidden',
          message: 'This visitor token belongs to another site',
        };
      if (!(await widgetLive(claims)))
        return {
          status: 401,
          code: 'unauthorized',
          message: 'This widget was switched off or its key changed; start a new session',
        };
      return {
        audience: 'visitor',
        origin,
        actor: {
          kind: 'visitor',
          tenantId: claims.tenantId,
          widgetId: claims.widgetId,
          visitorId: claims.visitorId,
          name: claims.name,
          personalityId: claims.personalityId,
        },
      };
    }
    const identity = await platform.identity(headers.cookie);
    if (!identity) return { status: 401, code: 'unauthorized', message: 'Sign in first' };
    if (origin ? !allowedForMembers.has(origin) : !headers.safe)
      return { status: 403, code: 'forbidden', message: 'Origin not allowed' };
    if (!identity.tenantId)
      return { status: 403, code: 'forbidden', message: 'This account belongs to no organisation' };
    return {
      audience: 'member',
      origin,
      actor: {
        kind: 'member',
        tenantId: identity.tenantId,
        userId: identity.userId,
        name: identity.name,
      },
    };
  };
}

export type PrincipalResolver = ReturnType<typeof createPrincipalResolver>;

export const isRefusal = (p: Principal | Refusal): p is Refusal => 'status' in p;
