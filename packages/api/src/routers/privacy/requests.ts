import { schema } from '@platform/db';
import { eq, or } from 'drizzle-orm';
import { listRequests, requestView } from '../../privacy/requests.ts';
import { adminProcedure, tenantProcedure } from '../../procedures.ts';
import { listInput } from './inputs.ts';

const r = schema.dataRequests;

/**
 * The caller's own privacy requests in this organisation (about them, or asked by them),
 * newest first, each with its status, due time and, for a finished export, its download URL.
 */
export const requests = tenantProcedure.input(listInput).query(async ({ ctx, input }) => {
  const me = ctx.identity.userId;
  const rows = await listRequests(
    ctx.tx,
    ctx.tenantId,
    or(eq(r.userId, me), eq(r.requestedBy, me)),
    input.limit,
  );
  return { items: rows.map((row) => requestView(row)) };
});

/** Every privacy request of the organisation (members' and the organisation's). Admins only. */
export const tenantRequests = adminProcedure.input(listInput).query(async ({ ctx, input }) => {
  const rows = await listRequests(ctx.tx, ctx.tenantId, undefined, input.limit);
  return { items: rows.map((row) => requestView(row)) };
});
