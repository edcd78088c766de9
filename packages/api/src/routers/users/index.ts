import { router } from '../../trpc.ts';
import { list } from './list.ts';
import { me } from './me.ts';
import { remove } from './remove.ts';
import { readmit, removed } from './removed.ts';
import { revokeSessions } from './revoke-sessions.ts';
import { updateRole } from './update-role.ts';

export const usersRouter = router({
  me,
  list,
  updateRole,
  revokeSessions,
  remove,
  removed,
  readmit,
});
