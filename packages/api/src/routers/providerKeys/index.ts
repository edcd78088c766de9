import { router } from '../../trpc.ts';
import { list } from './list.ts';
import { remove } from './remove.ts';
import { set } from './set.ts';

export const providerKeysRouter = router({ list, set, remove });
