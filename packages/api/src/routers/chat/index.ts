import { router } from '../../trpc.ts';
import { send, stop } from './send.ts';

export const chatRouter = router({ send, stop });
