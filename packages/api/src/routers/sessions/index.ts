import { router } from '../../trpc.ts';
import { list } from './list.ts';
import { revoke } from './revoke.ts';
import { revokeOthers } from './revoke-others.ts';

export const sessionsRouter = router({ list, revoke, revokeOthers });
