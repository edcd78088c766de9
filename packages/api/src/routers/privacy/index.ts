import { router } from '../../trpc.ts';
import { cancelDeletion } from './cancel-deletion.ts';
import { requestDeletion, requestTenantDeletion } from './request-deletion.ts';
import { requestExport, requestTenantExport } from './request-export.ts';
import { requests, tenantRequests } from './requests.ts';

/**
 * GDPR: a person's export and erasure of their own data, an organisation's (owners and
 * admins export, owners erase), and the requests' status. The work itself runs as durable
 * jobs (packages/api/src/privacy); archives download from GET /api/v1/privacy/exports/:id.
 */
export const privacyRouter = router({
  requestExport,
  requestDeletion,
  cancelDeletion,
  requests,
  requestTenantExport,
  requestTenantDeletion,
  tenantRequests,
});
