import { router } from '../../trpc.ts';
import { create } from './create.ts';
import { get } from './get.ts';
import { list } from './list.ts';
import { remove } from './remove.ts';
import { update } from './update.ts';
import { versions } from './versions.ts';

export const personalitiesRouter = router({ list, get, create, update, remove, versions });
