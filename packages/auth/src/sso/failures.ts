import { ForbiddenAddressError } from '@platform/config';
import * as oidc from 'openid-client';

const MAX_CAUSES = 5;

function* chain(err: unknown) {
  let current = err;
  for (let i = 0; i < MAX_CAUSES && current instanceof Error; i++) {
    yield current;
    current = current.cause;
  }
}

/** Whether a provider request was refused by the outbound address policy (guarded-fetch.ts). */
export const refusedAddress = (err: unknown) =>
  [...chain(err)].some((e) => e instanceof ForbiddenAddressError);

/**
 * Whether a failed request to an identity provider means it could not be reached (502) rather
 * than that it answered and refused: no connection (refused, reset, DNS, a forbidden address:
 * fetch's TypeError), a timeout (openid-client's OAUTH_TIMEOUT), or a 5xx without an OAuth
 * error body (a gateway in front of a provider that is down).
 */
export function providerUnreachable(err: unknown): boolean {
  if (err instanceof TypeError && err.message === 'fetch failed') return true;
  if (!(err instanceof oidc.ClientError)) return false;
  if (err.code === 'OAUTH_TIMEOUT' || err.code === 'OAUTH_ABORT') return true;
  const answer = err.cause;
  return (
    (err.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || err.code === 'OAUTH_RESPONSE_IS_NOT_JSON') &&
    answer instanceof Response &&
    answer.status >= 500
  );
}

const bounded = (v: unknown) => String(v).slice(0, 200);

/**
 * A failure as operators see it in the log: each error's name, code and message down the
 * cause chain, and nothing else. The errors' other properties carry the provider's answers,
 * requests and responses, which are not for the log.
 */
export function describeFailure(err: unknown) {
  if (!(err instanceof Error)) return [{ message: bounded(err) }];
  return [...chain(err)].map((e) => {
    const code = (e as { code?: unknown }).code;
    return { name: e.name, message: bounded(e.message), ...(code ? { code: bounded(code) } : {}) };
  });
}
