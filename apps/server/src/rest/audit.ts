import { entryView, filterConditions, selectEntries } from '@platform/api';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Platform } from '../platform.ts';
import { createCaller } from './caller.ts';
import { answer, parseInput, RestError } from './http.ts';

export const AUDIT_ACTION = /^[\w.:-]{1,100}$/;

const auditQuery = z.strictObject({
  since: z.iso.datetime({ offset: true, message: 'must be an ISO date-time' }),
  action: z
    .string()
    .regex(AUDIT_ACTION, 'must be an action or its prefix, e.g. member.')
    .optional(),
  limit: z.coerce.number().int().min(1).max(50_000).default(1000),
});

/**
 * `GET /api/v1/audit`: an organisation's audit log for the operator CLI (`platform audit`)
 * while a running server holds the embedded database. Members read it with audit.list and
 * audit.export (admins), which apply the permission matrix.
 */
export function registerAuditRoute(app: FastifyInstance, platform: Platform) {
  const caller = createCaller(platform);
  app.get('/api/v1/audit', (request, reply) =>
    answer(reply, async () => {
      const { actor } = await caller(request);
      if (actor.kind !== 'operator')
        throw new RestError(
          403,
          'FORBIDDEN',
          'authorization: only the operator reads the audit log here; members use audit.list',
          'authorization',
        );
      const query = parseInput(auditQuery, request.query);
      const where = filterConditions(actor.tenantId, {
        since: query.since,
        ...(query.action ? { actionPrefix: query.action } : {}),
      });
      const rows = await platform.db.withTenant(actor.tenantId, (tx) =>
        selectEntries(tx, where, query.limit + 1),
      );
      return reply.send({
        entries: rows.slice(0, query.limit).map(entryView),
        truncated: rows.length > query.limit,
      });
    }),
  );
}
