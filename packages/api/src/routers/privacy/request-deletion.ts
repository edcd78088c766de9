import { audit } from '../../audit.ts';
import { assertNotLastOwner } from '../../privacy/memberships.ts';
import { requestView, scheduleDeletion } from '../../privacy/requests.ts';
import { authedProcedure, inCallerTenant, tenantProcedure } from '../../procedures.ts';
import { dueAtFor, privacySettings } from './inputs.ts';

/**
 * The caller asks to be erased (GDPR art. 17): scheduled for the end of the grace period
 * (GDPR_GRACE_DAYS), cancellable until then with privacy.cancelDeletion; then their identity
 * is deleted and they are anonymised in every organisation (erase-user.ts). Refused (409) up
 * front when they are the last owner of an organisation, which must never be left without
 * one. Asking again answers the scheduled request. Audited (`privacy.deletion_requested`).
 *
 * Not a tenantProcedure: the ownership check reads every organisation they belong to, in
 * transactions that cannot open inside the tenant's (the embedded database runs one at a time).
 */
export const requestDeletion = authedProcedure.mutation(async ({ ctx }) => {
  const settings = privacySettings(ctx);
  const userId = ctx.identity.userId;
  await assertNotLastOwner(ctx.db, userId);
  return inCallerTenant(ctx.db, ctx.identity, async (tx, tenantId) => {
    const { request, created } = await scheduleDeletion(tx, tenantId, {
      scope: 'user',
      userId,
      requestedBy: userId,
      dueAt: dueAtFor(settings),
    });
    if (created)
      await audit(
        { tx, tenantId, identity: ctx.identity, request: ctx.request },
        {
          action: 'privacy.deletion_requested',
          resourceType: 'user',
          resourceId: userId,
          metadata: { requestId: request.id, scope: 'user', dueAt: request.dueAt?.toISOString() },
        },
      );
    return requestView(request);
  });
});

/**
 * An owner asks for the whole organisation to be erased: scheduled for the end of the grace
 * period, cancellable by any owner until then; then every row of the organisation is deleted
 * and its members who belong to no other organisation are erased too (erase-tenant.ts).
 * Owners only (admins get 403). Audited.
 */
export const requestTenantDeletion = tenantProcedure.mutation(async ({ ctx }) => {
  const settings = privacySettings(ctx);
  const { request, created } = await scheduleDeletion(ctx.tx, ctx.tenantId, {
    scope: 'tenant',
    userId: null,
    requestedBy: ctx.identity.userId,
    dueAt: dueAtFor(settings),
  });
  if (created)
    await audit(ctx, {
      action: 'privacy.deletion_requested',
      resourceType: 'tenant',
      resourceId: ctx.tenantId,
      metadata: { requestId: request.id, scope: 'tenant', dueAt: request.dueAt?.toISOString() },
    });
  return requestView(request);
});
