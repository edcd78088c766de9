import { isIP } from 'node:net';
import type { AiService } from '@platform/ai';
import type { Identity, SessionManager, SsoIssuers } from '@platform/auth';
import type { Database } from '@platform/db';
import type { KnowledgeService } from '@platform/knowledge';
import type { ConversationService } from './conversations/service.ts';
import { DomainError } from './errors.ts';
import type { PrivacySettings } from './privacy/service.ts';

/** Minimal logger surface (pino-compatible) so the API does not depend on the server. */
export type Log = {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
};

/** Where a request came from, as the server sees it (for the audit log). */
export type RequestInfo = {
  /** The client IP after trusted proxies (Fastify's request.ip); null when unknown or not an IP. */
  ip: string | null;
  userAgent: string | null;
};

const NO_REQUEST: RequestInfo = { ip: null, userAgent: null };

/** Keeps only a real IP address (the audit column is `inet`) and a bounded user agent. */
export function requestInfo(ip: string | undefined, userAgent: string | undefined): RequestInfo {
  return {
    ip: ip && isIP(ip) ? ip : null,
    userAgent: userAgent ? userAgent.slice(0, 500) : null,
  };
}

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
  request: RequestInfo;
  /** This process's cache of API keys; revoking a key drops it here at once. */
  apiKeys?: ApiKeyCache;
  /** Sessions of the caller (and, for admins, of members); revocations take effect at once here. */
  sessions: SessionManager;
  /** Single sign-on providers (issuer policy, discovery); the strict https-only policy when absent. */
  sso?: SsoIssuers;
  /** GDPR requests' settings (grace period); the privacy router refuses to run without them. */
  privacy?: PrivacySettings;
};

/** What the API needs of the server's API-key cache. */
export type ApiKeyCache = { forget(keyId: string): void };

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
  /** Client IP and user agent; unknown when omitted (calls that are not HTTP requests). */
  request?: RequestInfo;
  apiKeys?: ApiKeyCache;
  sessions: SessionManager;
  sso?: SsoIssuers;
  privacy?: PrivacySettings;
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
    request: opts.request ?? NO_REQUEST,
    sessions: opts.sessions,
    ...(opts.apiKeys ? { apiKeys: opts.apiKeys } : {}),
    ...(opts.sso ? { sso: opts.sso } : {}),
    ...(opts.privacy ? { privacy: opts.privacy } : {}),
    identity: () => {
      pending ??= opts.resolveIdentity();
      return pending;
    },
  };
}
