import { router } from '../../trpc.ts';
import { ack } from './ack.ts';
import { list } from './list.ts';

export const alertsRouter = router({ list, ack });
