import type { FastifyError, FastifyInstance } from 'fastify';

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
    const code =
      error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
        ? 'INVALID_JSON'
        : status === 413
          ? 'PAYLOAD_TOO_LARGE'
          : status === 415
            ? 'UNSUPPORTED_MEDIA_TYPE'
            : 'BAD_REQUEST';
    const message =
      code === 'INVALID_JSON'
        ? 'body: not valid JSON'
        : code === 'PAYLOAD_TOO_LARGE'
          ? 'body: larger than 1 MB'
          : error.message;
    return reply.status(status).send({ code, message, field: 'body' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      code: 'NOT_FOUND',
      message: `No route for ${request.method} ${request.url.split('?')[0]}`,
    }),
  );
}
