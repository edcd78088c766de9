import { router } from '../../trpc.ts';
import { current } from './current.ts';

export const tenantsRouter = router({ current });
