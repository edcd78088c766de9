import { asDomainError, type DomainErrorCode } from '@platform/api';
import { UNSTORABLE_TEXT, unstorableTextPath } from '@platform/db';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';

/** A client mistake, answered as `{ code, message, field? }` (the shape of errors.ts). */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'RestError';
  }
}

export const STATUS_OF: Record<DomainErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  PAYMENT_REQUIRED: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  SERVICE_UNAVAILABLE: 503,
};

/** The error body for a client mistake or a domain error; undefined for a fault (a 500). */
export function errorBody(
  error: unknown,
): { status: number; code: string; message: string; field?: string } | undefined {
  if (error instanceof RestError)
    return {
      status: error.status,
      code: error.code,
      message: error.message,
      ...(error.field ? { field: error.field } : {}),
    };
  const domain = asDomainError(error);
  if (!domain) return undefined;
  return {
    status: STATUS_OF[domain.code],
    code: domain.code,
    message: domain.message,
    ...(domain.field ? { field: domain.field } : {}),
  };
}

/**
 * Runs a route's work and answers client mistakes and domain errors with their 4xx; anything
 * else goes to the app's error handler (a logged 500).
 */
export async function answer(reply: FastifyReply, work: () => Promise<unknown>): Promise<unknown> {
  try {
    return await work();
  } catch (error) {
    const body = errorBody(error);
    if (!body || reply.sent) throw error;
    const { status, ...rest } = body;
    return reply.status(status).send(rest);
  }
}

/** Parses input with a zod schema; the first problem becomes a 400 naming its field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  // Text PostgreSQL cannot store (NUL, unpaired surrogates): a 400 naming the field, not a 500.
  const bad = unstorableTextPath(input);
  if (bad !== undefined)
    throw new RestError(400, 'BAD_REQUEST', `${bad || 'body'}: ${UNSTORABLE_TEXT}`, bad || 'body');
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field =
    issue?.code === 'unrecognized_keys'
      ? (issue.keys[0] ?? 'body')
      : issue?.path.map(String).join('.') || 'body';
  const message =
    issue?.code === 'unrecognized_keys'
      ? 'unknown field'
      : field === 'body'
        ? 'must be a JSON object'
        : (issue?.message ?? 'invalid');
  throw new RestError(400, 'BAD_REQUEST', `${field}: ${message}`, field);
}

export const bearerOf = (authorization: string | undefined): string | null =>
  authorization?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? null;

/** An Origin header that is a plain web origin (not `null`, no path). */
export function validOrigin(origin: string | undefined): origin is string {
  if (!origin) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === origin;
  } catch {
    return false;
  }
}
