import { router } from '../../trpc.ts';
import { create } from './create.ts';
import { list } from './list.ts';
import { remove } from './remove.ts';

export const collectionsRouter = router({ list, create, remove });
