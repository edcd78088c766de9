import { z } from 'zod';

const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);

/** A connection URL of one of the given schemes, e.g. postgres:// or postgresql://. */
const url = (protocols: string[]) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(new RegExp(`^(${protocols.join('|')})://[^\\s]+$`), {
        message: `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
      })
      .optional(),
  );

/** A comma-separated fallback chain of `provider:model`, e.g. `openai:gpt-4o,compatible:llama3.1`. */
const modelChain = (fallback: string) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(
        /^(openai|anthropic|google|compatible|offline):[\w.:/@-]+(,\s*(openai|anthropic|google|compatible|offline):[\w.:/@-]+)*$/,
        {
          message:
            'must be a comma-separated list of provider:model, provider one of openai, anthropic, google, compatible, offline',
        },
      )
      .default(fallback),
  );

const optionalUrl = () =>
  z.preprocess(emptyAsUndefined, z.url({ message: 'must be a URL' }).optional());
const optionalSecret = () => z.preprocess(emptyAsUndefined, z.string().min(1).optional());
/**
 * true/false (also 1/0, yes/no, on/off, any case); unset stays undefined so the caller can pick a
 * default. Not z.coerce.boolean(), which reads the string "false" as true.
 */
const optionalBoolean = () =>
  z.preprocess(
    (v) => (typeof v === 'string' ? emptyAsUndefined(v.trim().toLowerCase()) : v),
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], {
        message: 'must be true or false',
      })
      .transform((v) => ['true', '1', 'yes', 'on'].includes(v))
      .optional(),
  );

/** Every setting the platform reads, in one place (the only module that reads process.env). */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: url(['postgres', 'postgresql']),
  /** Connections in the node-postgres pool (per process). */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
  REDIS_URL: url(['redis', 'rediss']),
  PUBLIC_URL: z.preprocess(emptyAsUndefined, z.url({ message: 'must be a URL' }).optional()),
  AUTH_SECRET: z.preprocess(
    emptyAsUndefined,
    z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
  ),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How long a verified session is trusted before it is looked up again (0 = every request). */
  SESSION_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
  /**
   * A session unused this long ends (idle timeout), and none outlives SESSION_ABSOLUTE_HOURS
   * from sign-in however busy it is. Defaults are ASVS 4.0.3 V3.3.2 level 2 (NIST AAL2).
   */
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(43_200).default(30),
  SESSION_ABSOLUTE_HOURS: z.coerce.number().int().min(1).max(8760).default(12),
  /** Wrong passwords in a row that lock an account (or an unknown email) for LOCKOUT_MINUTES. */
  LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).max(100).default(5),
  LOCKOUT_MINUTES: z.coerce.number().positive().max(1440).default(15),
  /** zxcvbn score (0-4) a new password needs; 3 means at least 10^8 guesses. */
  PASSWORD_MIN_SCORE: z.coerce.number().int().min(0).max(4).default(3),
  /** Also refuse new passwords found in Have I Been Pwned (k-anonymity range API); fails open. */
  HIBP_ENABLED: optionalBoolean().default(false),
  HIBP_URL: z.preprocess(
    emptyAsUndefined,
    z.url({ message: 'must be a URL' }).default('https://api.pwnedpasswords.com'),
  ),
  HIBP_TIMEOUT_MS: z.coerce.number().int().min(100).max(10_000).default(1500),
  /** The name authenticator apps show next to the account (TOTP issuer); no colon. */
  MFA_ISSUER: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[^:]+$/, { message: 'must not contain a colon' })
    .default('Enterprise AI Assistant Platform'),
  /** Argon2id hashes allowed to run at once; each takes 64 MiB. */
  PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** Hash requests allowed to wait; beyond this sign-ins answer 503 instead of queueing memory. */
  PASSWORD_HASH_QUEUE: z.coerce.number().int().min(0).max(10000).default(64),
  /** Largest uploaded document, in megabytes. */
  KNOWLEDGE_MAX_UPLOAD_MB: z.coerce.number().positive().max(1024).default(25),
  /** Ingestion jobs this process runs at once, and one tenant may run at once across processes. */
  INGEST_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  INGEST_TENANT_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  /** A crashed worker's ingestion job is picked up again this many seconds after its last heartbeat. */
  INGEST_LEASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  /** local (in process, the default), voyage (voyage-3) or openai (text-embedding-3-small). */
  EMBEDDING_PROVIDER: z.enum(['local', 'voyage', 'openai']).default('local'),
  VOYAGE_API_KEY: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  OPENAI_API_KEY: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  /** Where the local embedder keeps its compact word-vector cache (default: node_modules/.cache). */
  EMBEDDING_CACHE_DIR: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  /** Another endpoint speaking the provider's API (a proxy, a gateway, a test server). */
  EMBEDDING_BASE_URL: z.preprocess(
    emptyAsUndefined,
    z.url({ message: 'must be a URL' }).optional(),
  ),
  /** Models per routing tier, cheapest first; each list is that tier's fallback chain. */
  AI_TIER1_MODELS: modelChain('openai:gpt-4o-mini'),
  AI_TIER2_MODELS: modelChain('openai:gpt-4o'),
  AI_TIER3_MODELS: modelChain('anthropic:claude-sonnet-4-5'),
  /** A model call that has not produced its first token by then falls back to the next model. */
  AI_FIRST_TOKEN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  /** The whole answer must finish by then. */
  AI_TOTAL_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(120_000),
  /** Consecutive failures that open a provider's circuit, and how long it stays open. */
  AI_BREAKER_FAILURES: z.coerce.number().int().min(1).max(100).default(3),
  AI_BREAKER_COOLDOWN_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  ANTHROPIC_API_KEY: optionalSecret(),
  GOOGLE_API_KEY: optionalSecret(),
  /** Other endpoints speaking each vendor's API (a proxy, a gateway, a test server). */
  OPENAI_BASE_URL: optionalUrl(),
  ANTHROPIC_BASE_URL: optionalUrl(),
  GOOGLE_BASE_URL: optionalUrl(),
  /** Any OpenAI-compatible server (vLLM, Ollama, llama.cpp), used by `compatible:` models. */
  COMPATIBLE_BASE_URL: optionalUrl(),
  COMPATIBLE_API_KEY: optionalSecret(),
  /** Encrypts tenants' own provider keys at rest; derived from AUTH_SECRET when unset. */
  PROVIDER_KEYS_SECRET: z.preprocess(
    emptyAsUndefined,
    z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
  ),
  /** Cosine similarity a new question needs to reuse a cached answer (1 turns the cache off). */
  ANSWER_CACHE_MIN_SIMILARITY: z.coerce.number().min(0.5).max(1).default(0.9),
  /** This process's name on the event bus (its Redis consumer group); stable across restarts. Default: host:port. */
  INSTANCE_ID: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[\w.:-]{1,100}$/, { message: 'must be 1-100 letters, digits, . : _ or -' })
      .optional(),
  ),
  /** Events kept per tenant stream for reconnecting clients (XADD MAXLEN ~). */
  REALTIME_STREAM_MAXLEN: z.coerce.number().int().min(100).max(10_000_000).default(10_000),
  /** Largest message text a client may send, in bytes. */
  REALTIME_MAX_MESSAGE_BYTES: z.coerce.number().int().min(256).max(1_048_576).default(8192),
  /** A WebSocket client further behind than this many bytes is cut off and told to resync. */
  REALTIME_BUFFER_BYTES: z.coerce.number().int().min(16_384).max(268_435_456).default(1_048_576),
  /** Frames a client may send per second (sustained) and in a burst. */
  REALTIME_RATE_PER_SECOND: z.coerce.number().min(0.1).max(100_000).default(20),
  REALTIME_RATE_BURST: z.coerce.number().int().min(1).max(100_000).default(40),
  /** Server ping interval; a connection silent for two intervals is closed. */
  REALTIME_HEARTBEAT_SECONDS: z.coerce.number().int().min(1).max(300).default(25),
  /** Extra origins (comma-separated) whose pages may use a member's session over /ws and /api/v1. */
  ALLOWED_ORIGINS: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^https?:\/\/[^\s,]+(,\s*https?:\/\/[^\s,]+)*$/, {
        message: 'must be a comma-separated list of origins like https://app.example.com',
      })
      .optional(),
  ),
  /** Lifetime of a widget visitor's token, in seconds. */
  VISITOR_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  /** Requests a minute one API key may make, unless the key sets its own limit. */
  API_KEY_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
  /** How long a verified API key is trusted before it is looked up again (0 = every request). */
  API_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).max(60).default(5),
  /**
   * Days audit entries are kept before the daily purge deletes them; 0 keeps them forever.
   * At least 30 otherwise (the database refuses to purge anything younger).
   */
  AUDIT_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .max(36_500)
    .refine((days) => days === 0 || days >= 30, { message: 'must be 0 (keep) or at least 30' })
    .default(365),
  /**
   * Days between a GDPR deletion request and the erasure (the person or an owner can cancel
   * until then). At least 1, so no configuration makes an erasure immediate and uncancellable.
   */
  GDPR_GRACE_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /** Days a GDPR export archive can be downloaded before it is deleted. */
  GDPR_EXPORT_TTL_DAYS: z.coerce.number().int().min(1).max(90).default(7),
  /**
   * Seed the "Acme Demo" organisation on first start. Unset: on in embedded mode, off with
   * DATABASE_URL (load.ts decides, since the default depends on another setting).
   */
  DEMO_SEED: optionalBoolean(),
  /**
   * Which proxies' X-Forwarded-For to believe for the client IP (rate limits, audit): unset
   * trusts none; `true` trusts every hop; a number trusts that many hops; otherwise a
   * comma-separated list of addresses or CIDR ranges (e.g. `10.0.0.0/8,127.0.0.1`).
   */
  TRUST_PROXY: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^(true|\d{1,2}|[0-9a-fA-F:.]+(\/\d{1,3})?(,\s*[0-9a-fA-F:.]+(\/\d{1,3})?)*)$/, {
        message: 'must be true, a hop count, or a comma-separated list of addresses or CIDR ranges',
      })
      .optional(),
  ),
  /** Requests a minute one client IP may make to /api/auth/* (sign-in, sign-up, MFA...). */
  AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(30),
  /** Requests a minute one organisation may make to /trpc and /api/v1 (members and API keys). */
  TENANT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(6000),
  /** Requests a minute one client IP may make without an identity (widget sessions, visitors). */
  IP_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(1200),
});

/** Settings production cannot run without; checked alongside the schema so all errors show at once. */
export function productionProblems(env: Record<string, string | undefined>): string[] {
  if (env.NODE_ENV !== 'production') return [];
  const problems: string[] = [];
  if (!env.AUTH_SECRET) problems.push('AUTH_SECRET: is required in production');
  if (!env.PUBLIC_URL) problems.push('PUBLIC_URL: is required in production');
  return problems;
}

/** Checks that need two settings at once. */
export function crossFieldProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  if (env.EMBEDDING_PROVIDER === 'voyage' && !env.VOYAGE_API_KEY)
    problems.push('VOYAGE_API_KEY: is required when EMBEDDING_PROVIDER=voyage');
  if (env.EMBEDDING_PROVIDER === 'openai' && !env.OPENAI_API_KEY)
    problems.push('OPENAI_API_KEY: is required when EMBEDDING_PROVIDER=openai');
  return problems;
}

export type RawConfig = z.infer<typeof configSchema>;
