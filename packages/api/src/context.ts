import type { AiService } from '@platform/ai';
import type { Identity } from '@platform/auth';
import type { Database } from '@platform/db';
import type { KnowledgeService } from '@platform/knowledge';

/** Minimal logger surface (pino-compatible) so the API does not depend on the server. */
export type Log = {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
};

export type Context = {
  db: Database;
  knowledge: KnowledgeService;
  ai: AiService;
  requestId: string;
  log: Log;
  /** Resolves the caller from the request's session; memoised per request. */
  identity: () => Promise<Identity | null>;
};

/** Builds a request context; `resolveIdentity` is called at most once, and only when needed. */
export function createContext(opts: {
  db: Database;
  knowledge: KnowledgeService;
  ai: AiService;
  requestId: string;
  log: Log;
  resolveIdentity: () => Promise<Identity | null>;
}): Context {
  let pending: Promise<Identity | null> | undefined;
  return {
    db: opts.db,
    knowledge: opts.knowledge,
    ai: opts.ai,
    requestId: opts.requestId,
    log: opts.log,
    identity: () => {
      pending ??= opts.resolveIdentity();
      return pending;
    },
  };
}
