import { APIError } from 'better-auth/api';

type Status =
  | 'BAD_REQUEST'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'BAD_GATEWAY'
  | 'SERVICE_UNAVAILABLE';

/**
 * A refused single sign-on step: a 4xx naming the problem; 502 when the provider cannot be
 * reached, 503 when the connection is misconfigured (its client secret cannot be read).
 */
export const ssoError = (status: Status, code: string, message: string, field?: string) =>
  new APIError(status, { code, message, ...(field ? { field } : {}) });

/** Why a sign-in that reached its callback was refused (audited in the organisation's log). */
export class SsoRefusal extends Error {
  constructor(
    readonly reason: string,
    readonly error: APIError,
  ) {
    super(reason);
  }
}

export const refuse = (
  reason: string,
  status: Status,
  code: string,
  message: string,
  field?: string,
) => new SsoRefusal(reason, ssoError(status, code, message, field));
