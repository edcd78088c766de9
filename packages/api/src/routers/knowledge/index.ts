import { router } from '../../trpc.ts';
import { get } from './get.ts';
import { list } from './list.ts';
import { remove } from './remove.ts';
import { search } from './search.ts';
import { update } from './update.ts';
import { upload } from './upload.ts';

export const knowledgeRouter = router({ upload, list, get, update, remove, search });
