import { router } from '../../trpc.ts';
import { answer } from './answer.ts';
import { route } from './route.ts';

export const aiRouter = router({ route, answer });
