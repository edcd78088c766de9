import { router } from '../../trpc.ts';
import { list } from './list.ts';
import { me } from './me.ts';
import { revokeSessions } from './revoke-sessions.ts';
import { updateRole } from './update-role.ts';

export const usersRouter = router({ me, list, updateRole, revokeSessions });
