import { router } from '../../trpc.ts';
import { create } from './create.ts';
import { list } from './list.ts';
import { revoke } from './revoke.ts';

/** Tenant API keys (owners and admins, signed in: keys cannot manage keys). */
export const apiKeysRouter = router({ list, create, revoke });
