/** Database roles created by migration 0001; the runtime switches into them per transaction. */
export const RUNTIME_ROLE = 'platform_runtime';
export const AUTH_ROLE = 'platform_auth';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** withTenant's guard: a malformed id would otherwise surface as a cast error inside a policy. */
export function assertTenantId(tenantId: string): void {
  if (!isUuid(tenantId)) throw new TypeError('withTenant: tenantId must be a UUID');
}

/**
 * The membership look-up that opens a tenant transaction (both ids validated UUIDs), with
 * whether the organisation's MFA policy shuts this member out (it requires two-factor and
 * they have not turned it on): one statement for what every member call needs.
 */
export function membershipSql(tenantId: string, memberId: string): string {
  if (!isUuid(tenantId) || !isUuid(memberId))
    throw new TypeError('membershipSql: ids must be UUIDs');
  return `select m.role,
    coalesce((select (t.settings->>'requireMfa')::boolean from tenants t where t.id = m.tenant_id), false)
      and not coalesce((select u.two_factor_enabled from users u where u.id = m.user_id), false)
      as mfa_blocked
    from memberships m where m.tenant_id = '${tenantId}' and m.user_id = '${memberId}'`;
}
