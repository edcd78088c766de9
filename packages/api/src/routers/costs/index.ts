import { router } from '../../trpc.ts';
import { events } from './events.ts';
import { summary } from './summary.ts';

export const costsRouter = router({ summary, events });
