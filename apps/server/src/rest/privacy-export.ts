import { requestInfo, unpackArchive } from '@platform/api';
import { bearerApiKey } from '@platform/auth';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Platform } from '../platform.ts';
import { requestSession } from '../request-session.ts';
import { answer, parseInput, RestError } from './http.ts';

const params = z.strictObject({ id: z.uuid({ message: 'must be an export request id (UUID)' }) });

/**
 * `GET /api/v1/privacy/exports/:id`: a finished GDPR export (privacy.requestExport or
 * privacy.requestTenantExport), with the session cookie of the person who asked (a person's
 * own export) or of an owner or admin (the organisation's). Anyone else, and any other
 * organisation's id, gets 404; an expired archive 410; an unfinished one 409. API keys are
 * refused: personal data leaves only to a signed-in person. The archive is sent gzipped when
 * the client accepts gzip (it is stored that way), as plain JSON otherwise, always as an
 * attachment and never cached.
 */
export function registerPrivacyExportRoute(app: FastifyInstance, platform: Platform) {
  app.get('/api/v1/privacy/exports/:id', (request, reply) =>
    answer(reply, async () => {
      if (bearerApiKey(request.headers.authorization))
        throw new RestError(
          403,
          'FORBIDDEN',
          'authorization: exports download with a signed-in session, not an API key',
          'authorization',
        );
      const { id } = parseInput(params, request.params);
      const identity = await requestSession(platform.identity, request);
      if (!identity) throw new RestError(401, 'UNAUTHORIZED', 'Sign in first');
      const outcome = await platform.privacy.download(
        identity,
        id,
        requestInfo(request.ip, request.headers['user-agent']),
      );
      if (outcome.kind === 'expired')
        throw new RestError(410, 'GONE', 'This export has expired; ask for a new one');
      reply
        .header('content-type', 'application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="${outcome.fileName}"`)
        .header('cache-control', 'no-store')
        .header('vary', 'accept-encoding');
      const gzipOk = /\bgzip\b/i.test(String(request.headers['accept-encoding'] ?? ''));
      if (gzipOk) return reply.header('content-encoding', 'gzip').send(outcome.gzipped);
      return reply.send(await unpackArchive(outcome.gzipped));
    }),
  );
}
