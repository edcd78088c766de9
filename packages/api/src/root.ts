import { collectionsRouter } from './routers/collections/index.ts';
import { knowledgeRouter } from './routers/knowledge/index.ts';
import { tenantsRouter } from './routers/tenants/index.ts';
import { usersRouter } from './routers/users/index.ts';
import { router } from './trpc.ts';

export const appRouter = router({
  tenants: tenantsRouter,
  users: usersRouter,
  knowledge: knowledgeRouter,
  collections: collectionsRouter,
});

export type AppRouter = typeof appRouter;
