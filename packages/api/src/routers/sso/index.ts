import { router } from '../../trpc.ts';
import { create } from './create.ts';
import { list } from './list.ts';
import { remove } from './remove.ts';
import { update } from './update.ts';

/** The organisation's single sign-on connections (admins read, owners change). */
export const ssoRouter = router({ list, create, update, remove });
