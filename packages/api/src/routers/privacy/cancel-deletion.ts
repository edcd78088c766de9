import { audit } from '../../audit.ts';
import { cancelDeletion as cancel, requestView } from '../../privacy/requests.ts';
import { tenantProcedure } from '../../procedures.ts';
import { cancelInput } from './inputs.ts';

/**
 * Cancels a scheduled deletion before it is due: one's own, or (owners) the organisation's.
 * Once the deletion has started it can no longer be cancelled (409); cancelling twice changes
 * nothing. The queued job finds the request cancelled and does nothing. Audited
 * (`privacy.deletion_cancelled`).
 */
export const cancelDeletion = tenantProcedure
  .input(cancelInput)
  .mutation(async ({ ctx, input }) => {
    const { request, changed } = await cancel(ctx.tx, ctx.tenantId, input.id, {
      userId: ctx.identity.userId,
      role: ctx.role,
    });
    if (changed)
      await audit(ctx, {
        action: 'privacy.deletion_cancelled',
        ...(request.scope === 'tenant'
          ? { resourceType: 'tenant', resourceId: ctx.tenantId }
          : { resourceType: 'user', resourceId: request.userId ?? ctx.identity.userId }),
        metadata: { requestId: request.id, scope: request.scope },
      });
    return requestView(request);
  });
