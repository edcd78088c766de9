import { router } from '../../trpc.ts';
import { setPolicy } from './set-policy.ts';
import { status } from './status.ts';

export const mfaRouter = router({ status, setPolicy });
