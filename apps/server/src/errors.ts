import type { FastifyError, FastifyInstance } from 'fastify';

/** What Fastify's own 4xx errors (all about the body) say to the client. */
function clientError(
  error: FastifyError,
  status: number,
  bodyLimit: number,
): { code: string; message: string } {
  if (
    error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
  )
    return { code: 'INVALID_JSON', message: 'body: not valid JSON' };
  if (status === 413)
    return {
      code: 'PAYLOAD_TOO_LARGE',
      message: `body: larger than ${Math.round(bodyLimit / 1048576)} MB`,
    };
  if (status === 415) return { code: 'UNSUPPORTED_MEDIA_TYPE', message: error.message };
  if (status === 429) return { code: 'RATE_LIMITED', message: error.message };
  return { code: 'BAD_REQUEST', message: error.message };
}

/**
 * REST errors answer `{ code, message, field? }` (the shape Better Auth uses too). Client
 * mistakes keep their 4xx status; anything else is a 500 whose cause is only logged.
 */
export function registerErrorHandler(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply
        .status(500)
        .send({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' });
    }
    const { code, message } = clientError(error, status, request.routeOptions.bodyLimit ?? 1048576);
    return reply
      .status(status)
      .send(status === 429 ? { code, message } : { code, message, field: 'body' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      code: 'NOT_FOUND',
      message: `No route for ${request.method} ${request.url.split('?')[0]}`,
    }),
  );
}
