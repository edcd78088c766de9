import { mfaState } from '@platform/auth';
import { tenantRequiresMfa } from '../../mfa-gate.ts';
import { authedProcedure, inCallerTenant } from '../../procedures.ts';

/**
 * The caller's second factor (on, pending confirmation, recovery codes left, locked) and
 * whether their organisation requires it: what an account page needs to offer enrolment.
 * Never the secret or the codes. Enrolment itself is POST /api/auth/two-factor/enable.
 */
export const status = authedProcedure.query(async ({ ctx }) => {
  const { identity } = ctx;
  const state = await mfaState(ctx.db, identity.userId);
  const required = identity.tenantId
    ? await inCallerTenant(ctx.db, identity, (tx) => tenantRequiresMfa(tx), { mfaExempt: true })
    : false;
  return {
    enabled: state.enabled,
    pending: state.pending,
    recoveryCodesLeft: state.recoveryCodesLeft,
    lockedUntil: state.lockedUntil?.toISOString() ?? null,
    tenantRequiresMfa: required,
    /** Tenant procedures refuse this caller until they enrol. */
    blocked: required && !state.enabled,
  };
});
