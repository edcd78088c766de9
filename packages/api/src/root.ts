import { tenantsRouter } from './routers/tenants/index.ts';
import { usersRouter } from './routers/users/index.ts';
import { router } from './trpc.ts';

export const appRouter = router({
  tenants: tenantsRouter,
  users: usersRouter,
});

export type AppRouter = typeof appRouter;
