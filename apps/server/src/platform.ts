import { hostname } from 'node:os';
import { type AiService, createAiService, KeyCipher } from '@platform/ai';
import {
  type ConversationService,
  createConversationService,
  createLimits,
  createPrivacyService,
  type Limits,
  memoryCounters,
  type PrivacyService,
} from '@platform/api';
import {
  type Auth,
  createAuth,
  createIdentityResolver,
  createPasswordHasher,
  createSessionManager,
  createSsoIssuers,
  type IdentityResolver,
  type PasswordHasher,
  type SessionManager,
  type SsoIssuers,
  sessionPolicyOf,
  ssoCallbackUrl,
  VisitorTokens,
} from '@platform/auth';
import type { Config } from '@platform/config';
import { type Database, openDatabase } from '@platform/db';
import {
  createEmbedder,
  createKnowledgeService,
  type KnowledgeService,
  prepareLocalEmbedder,
} from '@platform/knowledge';
import { type EventBus, MemoryBus, RedisStreamsBus } from '@platform/realtime';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type ApiKeyAuth, createApiKeyAuth } from './api-keys/auth.ts';
import { redisAttemptStore } from './redis-attempts.ts';
import { redisCounters } from './redis-counters.ts';

/** Everything a server process (or the CLI) holds open, wired from configuration alone. */
export type Platform = {
  config: Config;
  db: Database;
  auth: Auth;
  identity: IdentityResolver;
  /** People's own sessions (list, revoke) and admins revoking a member's. */
  sessions: SessionManager;
  /** Tenant API keys (Authorization: Bearer sk_live_...) on /trpc and /api/v1. */
  apiKeys: ApiKeyAuth;
  hasher: PasswordHasher;
  /** OpenID Connect providers of organisations' single sign-on (discovery, issuer policy). */
  ssoIssuers: SsoIssuers;
  redis: Redis | null;
  knowledge: KnowledgeService;
  ai: AiService;
  bus: EventBus;
  conversations: ConversationService;
  /** GDPR exports and deletions: the durable jobs that carry them out. */
  privacy: PrivacyService;
  limits: Limits;
  visitorTokens: VisitorTokens;
  /** This process's name on the event bus. */
  instanceId: string;
  log: Logger;
  close(): Promise<void>;
};

/** The configured embedder: in process by default, Voyage or OpenAI when chosen. */
function embedderFor(config: Config) {
  const provider = config.EMBEDDING_PROVIDER;
  const apiKey = provider === 'voyage' ? config.VOYAGE_API_KEY : config.OPENAI_API_KEY;
  return createEmbedder({
    provider,
    ...(provider !== 'local' && apiKey ? { apiKey } : {}),
    ...(config.EMBEDDING_BASE_URL ? { baseUrl: config.EMBEDDING_BASE_URL } : {}),
    ...(config.EMBEDDING_CACHE_DIR ? { cacheDir: config.EMBEDDING_CACHE_DIR } : {}),
  });
}

export async function openPlatform(
  config: Config,
  log: Logger,
  opts: { db?: Database } = {},
): Promise<Platform> {
  const db = opts.db ?? (await openDatabase(config));
  // Embedded mode has no operator to run migrations, so it migrates on start; production
  // migrates with `npm run db:migrate` and /ready stays 503 until it has.
  if (config.embedded) {
    const { applied } = await db.migrate();
    if (applied) log.info({ applied }, 'applied database migrations');
  } else {
    const status = await db.migrationStatus();
    if (!status.current) log.warn(status, 'database migrations pending: run npm run db:migrate');
  }
  const hasher = createPasswordHasher({
    concurrency: config.PASSWORD_HASH_CONCURRENCY,
    queue: config.PASSWORD_HASH_QUEUE,
  });
  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
    : null;
  redis?.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  // Single sign-on: http issuers only on localhost outside production. Client secrets are
  // sealed by the sso router with ai.cipher; this cipher has the same key (ai/service.ts).
  const ssoIssuers = createSsoIssuers({
    allowHttpLocalhost: config.NODE_ENV !== 'production',
    redirectUri: ssoCallbackUrl(config.PUBLIC_URL),
  });
  const ssoSecrets = new KeyCipher(config.PROVIDER_KEYS_SECRET ?? config.AUTH_SECRET);
  const auth = createAuth({
    db,
    config,
    hasher,
    sso: { issuers: ssoIssuers, secrets: ssoSecrets },
    log: log.child({ module: 'auth' }),
    // Unknown emails lock out like accounts do, counted across instances when they share Redis.
    ...(redis ? { attempts: redisAttemptStore(redis) } : {}),
    // Called only while serving requests, by when `identity` below exists.
    onSessionEnded: () => identity.invalidate(),
  });
  const identity = await createIdentityResolver(auth, db, {
    cacheSeconds: config.SESSION_CACHE_SECONDS,
    policy: sessionPolicyOf(config),
  });
  const sessions = createSessionManager(db, sessionPolicyOf(config), identity.invalidate);
  // Load (or on first start, build) the local word vectors now, not inside the first request.
  if (config.EMBEDDING_PROVIDER === 'local')
    await prepareLocalEmbedder(
      config.EMBEDDING_CACHE_DIR ? { cacheDir: config.EMBEDDING_CACHE_DIR } : {},
    );
  const embedder = embedderFor(config);
  const knowledge = createKnowledgeService(db, {
    embedder,
    maxUploadBytes: Math.round(config.KNOWLEDGE_MAX_UPLOAD_MB * 1024 * 1024),
    concurrency: config.INGEST_CONCURRENCY,
    tenantConcurrency: config.INGEST_TENANT_CONCURRENCY,
    leaseSeconds: config.INGEST_LEASE_SECONDS,
    log: log.child({ module: 'knowledge' }),
  });
  const ai = createAiService(db, { config, embedder, log: log.child({ module: 'ai' }) });
  const instanceId = config.INSTANCE_ID ?? `${hostname()}:${config.PORT}`;
  const bus: EventBus = config.REDIS_URL
    ? new RedisStreamsBus({
        url: config.REDIS_URL,
        instanceId,
        maxLen: config.REALTIME_STREAM_MAXLEN,
        // An answer watches its tenant for stop requests; reuse the group between answers.
        lingerMs: 60_000,
        log: log.child({ module: 'bus' }),
      })
    : new MemoryBus({ maxLen: config.REALTIME_STREAM_MAXLEN });
  // Budget alerts and ingestion progress reach the tenant's dashboards on every instance.
  ai.events.on(({ tenantId, type: _type, ...alert }) => {
    bus.publish({ tenantId, topic: 'tenant', type: 'budget.alert', data: alert }).catch(() => {});
  });
  knowledge.events.on(({ tenantId, type: _type, ...progress }) => {
    bus
      .publish({ tenantId, topic: 'tenant', type: 'ingestion.progress', data: progress })
      .catch(() => {});
  });
  const conversations = createConversationService({
    db,
    ai,
    bus,
    log: log.child({ module: 'conversations' }),
    // A live answer never outlasts AI_TOTAL_TIMEOUT_MS; past that (and a margin) it was lost.
    replyGuardMs: config.AI_TOTAL_TIMEOUT_MS + 15_000,
    // Widgets' visitor limits hold across instances when they share Redis.
    ...(redis ? { counters: redisCounters(redis) } : {}),
  });
  // Each key's requests a minute, counted across instances when they share Redis.
  const apiKeys = createApiKeyAuth({
    db,
    counters: redis ? redisCounters(redis) : memoryCounters(),
    cacheSeconds: config.API_KEY_CACHE_SECONDS,
    defaultLimitPerMinute: config.API_KEY_RATE_LIMIT_PER_MINUTE,
    log: log.child({ module: 'api-keys' }),
  });
  const privacy = createPrivacyService({
    db,
    log: log.child({ module: 'privacy' }),
    graceDays: config.GDPR_GRACE_DAYS,
    exportTtlDays: config.GDPR_EXPORT_TTL_DAYS,
    // An erased person's cached sessions and revoked keys stop working here at once.
    onUsersDeleted: () => identity.invalidate(),
    onApiKeysRevoked: (ids) => {
      for (const id of ids) apiKeys.forget(id);
    },
  });
  return {
    config,
    db,
    auth,
    identity,
    sessions,
    apiKeys,
    hasher,
    ssoIssuers,
    redis,
    knowledge,
    ai,
    bus,
    conversations,
    privacy,
    limits: createLimits(config.REALTIME_MAX_MESSAGE_BYTES),
    visitorTokens: new VisitorTokens(config.AUTH_SECRET, config.VISITOR_TOKEN_TTL_SECONDS),
    instanceId,
    log,
    close: async () => {
      await privacy.stop();
      await conversations.close();
      // Running ingestion stops between batches; its job resumes on the next start.
      await knowledge.stop();
      await ai.stop();
      await bus.close();
      redis?.disconnect();
      await db.close();
    },
  };
}
