import { audit } from '../../audit.ts';
import { createExport, requestView } from '../../privacy/requests.ts';
import { adminProcedure, tenantProcedure } from '../../procedures.ts';

/**
 * The caller asks for a copy of their data (GDPR art. 15 and 20): queued as a durable job
 * that builds a gzipped JSON archive of their profile, memberships, conversations, messages,
 * audit entries about them, API keys and sessions (export-user.ts). privacy.requests shows
 * when it is ready and where to download it. Asking again while one is being built answers
 * that one. Audited (`privacy.export_requested`).
 */
export const requestExport = tenantProcedure.mutation(async ({ ctx }) => {
  const { request, created } = await createExport(ctx.tx, ctx.tenantId, {
    scope: 'user',
    userId: ctx.identity.userId,
    requestedBy: ctx.identity.userId,
  });
  if (created)
    await audit(ctx, {
      action: 'privacy.export_requested',
      resourceType: 'data_request',
      resourceId: request.id,
      metadata: { scope: 'user', subjectUserId: ctx.identity.userId },
    });
  return requestView(request);
});

/**
 * An archive of the whole organisation (export-tenant.ts): members, knowledge with its text,
 * conversations with their messages, personalities, widgets (without keys), the audit log...
 * Owners and admins; downloadable by any of them. Audited.
 */
export const requestTenantExport = adminProcedure.mutation(async ({ ctx }) => {
  const { request, created } = await createExport(ctx.tx, ctx.tenantId, {
    scope: 'tenant',
    userId: null,
    requestedBy: ctx.identity.userId,
  });
  if (created)
    await audit(ctx, {
      action: 'privacy.export_requested',
      resourceType: 'data_request',
      resourceId: request.id,
      metadata: { scope: 'tenant' },
    });
  return requestView(request);
});
