import { type AiService, createAiService } from '@platform/ai';
import {
  type Auth,
  createAuth,
  createIdentityResolver,
  createPasswordHasher,
  type IdentityResolver,
  type PasswordHasher,
} from '@platform/auth';
import type { Config } from '@platform/config';
import { type Database, openDatabase } from '@platform/db';
import {
  createEmbedder,
  createKnowledgeService,
  type KnowledgeService,
  prepareLocalEmbedder,
} from '@platform/knowledge';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** Everything a server process (or the CLI) holds open, wired from configuration alone. */
export type Platform = {
  config: Config;
  db: Database;
  auth: Auth;
  identity: IdentityResolver;
  hasher: PasswordHasher;
  redis: Redis | null;
  knowledge: KnowledgeService;
  ai: AiService;
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
  const auth = createAuth({ db, config, hasher, log: log.child({ module: 'auth' }) });
  const identity = await createIdentityResolver(auth, db, {
    cacheSeconds: config.SESSION_CACHE_SECONDS,
  });
  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
    : null;
  redis?.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
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
  return {
    config,
    db,
    auth,
    identity,
    hasher,
    redis,
    knowledge,
    ai,
    log,
    close: async () => {
      // Running ingestion stops between batches; its job resumes on the next start.
      await knowledge.stop();
      await ai.stop();
      redis?.disconnect();
      await db.close();
    },
  };
}
