import { outboundUrlProblem } from '@platform/config';

/**
 * Why a vendor base URL is refused (it names or resolves to a metadata or link-local
 * address), or null. The policy is shared with single sign-on issuers (@platform/config,
 * outbound-address.ts). A name that does not resolve is left to the key check, which then
 * cannot reach it.
 */
export const baseUrlProblem = (baseUrl: string): Promise<string | null> =>
  outboundUrlProblem(baseUrl);
