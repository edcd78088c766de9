import { router } from '../../trpc.ts';
import { create } from './create.ts';
import { get } from './get.ts';
import { list } from './list.ts';
import { remove } from './remove.ts';
import { rotateKey } from './rotate-key.ts';
import { update } from './update.ts';

export const widgetsRouter = router({ list, get, create, update, remove, rotateKey });
