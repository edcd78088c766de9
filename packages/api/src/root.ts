import { aiRouter } from './routers/ai/index.ts';
import { alertsRouter } from './routers/alerts/index.ts';
import { apiKeysRouter } from './routers/apiKeys/index.ts';
import { auditRouter } from './routers/audit/index.ts';
import { budgetsRouter } from './routers/budgets/index.ts';
import { chatRouter } from './routers/chat/index.ts';
import { collectionsRouter } from './routers/collections/index.ts';
import { conversationsRouter } from './routers/conversations/index.ts';
import { costsRouter } from './routers/costs/index.ts';
import { knowledgeRouter } from './routers/knowledge/index.ts';
import { mfaRouter } from './routers/mfa/index.ts';
import { personalitiesRouter } from './routers/personalities/index.ts';
import { privacyRouter } from './routers/privacy/index.ts';
import { providerKeysRouter } from './routers/providerKeys/index.ts';
import { sessionsRouter } from './routers/sessions/index.ts';
import { ssoRouter } from './routers/sso/index.ts';
import { tenantsRouter } from './routers/tenants/index.ts';
import { usersRouter } from './routers/users/index.ts';
import { widgetsRouter } from './routers/widgets/index.ts';
import { router } from './trpc.ts';

export const appRouter = router({
  tenants: tenantsRouter,
  users: usersRouter,
  knowledge: knowledgeRouter,
  collections: collectionsRouter,
  personalities: personalitiesRouter,
  costs: costsRouter,
  budgets: budgetsRouter,
  alerts: alertsRouter,
  providerKeys: providerKeysRouter,
  ai: aiRouter,
  conversations: conversationsRouter,
  chat: chatRouter,
  widgets: widgetsRouter,
  sessions: sessionsRouter,
  apiKeys: apiKeysRouter,
  audit: auditRouter,
  mfa: mfaRouter,
  privacy: privacyRouter,
  sso: ssoRouter,
});

export type AppRouter = typeof appRouter;
