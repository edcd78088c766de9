import { type Membership, schema, type Tx } from '@platform/db';
import { sql } from 'drizzle-orm';
import { DomainError } from './errors.ts';

/** The field a refusal names, so clients can tell "enrol first" from any other 403. */
export const MFA_FIELD = 'mfa';
export const MFA_REQUIRED_MESSAGE =
  'This organisation requires two-factor authentication; set it up first';

/**
 * Procedures a member who has not enrolled may still call under a requireMfa policy: the
 * enrolment itself (mfa.*) and what the dashboard reads to draw its frame. The enrolment
 * endpoints proper are Better Auth's (/api/auth/two-factor/*), which this gate never sees.
 */
const EXEMPT = new Set(['users.me', 'tenants.current']);
export const isMfaExempt = (path: string) => path.startsWith('mfa.') || EXEMPT.has(path);

/** Whether the tenant in scope (tenants RLS shows only it) asks every member for MFA. */
export async function tenantRequiresMfa(tx: Tx): Promise<boolean> {
  const t = schema.tenants;
  const [row] = await tx
    .select({ required: sql<boolean>`coalesce((${t.settings}->>'requireMfa')::boolean, false)` })
    .from(t);
  return row?.required === true;
}

/**
 * Refuses (403, field `mfa`) a member the tenant's MFA policy shuts out until they enrol. The
 * membership read that opens every member's tenant transaction says so (membershipSql), so
 * the policy costs no query of its own.
 */
export function assertMfaPolicy(member: Membership | null): void {
  if (member?.mfaBlocked) throw new DomainError('FORBIDDEN', MFA_REQUIRED_MESSAGE, MFA_FIELD);
}
