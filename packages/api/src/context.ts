import type { AiService } from '@platform/ai';
import type { Identity } from '@platform/auth';
import type { Database } from '@platform/db';
import type { KnowledgeService } from '@platform/knowledge';
import type { ConversationService } from './conversations/service.ts';
import { DomainError } from './errors.ts';

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
  conversations: ConversationService;
  limits: Limits;
  requestId: string;
  log: Log;
  /** Resolves the caller from the request's session; memoised per request. */
  identity: () => Promise<Identity | null>;
};

/** Limits every entry point applies the same way. */
export type Limits = {
  maxMessageBytes: number;
  /** Throws 413 naming `text` when a message is over the limit. */
  checkMessage(text: string): void;
};

export function createLimits(maxMessageBytes: number): Limits {
  return {
    maxMessageBytes,
    checkMessage: (text) => {
      const bytes = Buffer.byteLength(text, 'utf8');
      if (bytes > maxMessageBytes)
        throw new DomainError(
          'PAYLOAD_TOO_LARGE',
          `Message text is ${bytes} bytes; the limit is ${maxMessageBytes}`,
          'text',
        );
    },
  };
}

/** Builds a request context; `resolveIdentity` is called at most once, and only when needed. */
export function createContext(opts: {
  db: Database;
  knowledge: KnowledgeService;
  ai: AiService;
  conversations: ConversationService;
  limits: Limits;
  requestId: string;
  log: Log;
  resolveIdentity: () => Promise<Identity | null>;
}): Context {
  let pending: Promise<Identity | null> | undefined;
  return {
    db: opts.db,
    knowledge: opts.knowledge,
    ai: opts.ai,
    conversations: opts.conversations,
    limits: opts.limits,
    requestId: opts.requestId,
    log: opts.log,
    identity: () => {
      pending ??= opts.resolveIdentity();
      return pending;
    },
  };
}
