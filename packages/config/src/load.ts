import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configSchema, crossFieldProblems, productionProblems, type RawConfig } from './schema.ts';

export type Config = Omit<RawConfig, 'AUTH_SECRET' | 'PUBLIC_URL' | 'DEMO_SEED'> & {
  AUTH_SECRET: string;
  PUBLIC_URL: string;
  /** Seed the demo organisation on first start; defaults to `embedded`. */
  DEMO_SEED: boolean;
  /** Absolute path of DATA_DIR. */
  dataDir: string;
  /** True when no DATABASE_URL is set and PGlite in DATA_DIR is the database. */
  embedded: boolean;
};

/** Thrown with every bad variable at once, so an operator fixes them in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Embedded mode keeps a generated secret in DATA_DIR so sessions survive restarts without
 * any set-up; production must supply AUTH_SECRET (enforced by the schema).
 */
function embeddedSecret(dataDir: string): string {
  const file = join(dataDir, 'auth-secret');
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch {
    // first start: fall through and create it
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600, flag: 'w' });
  return secret;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  const problems = [
    ...(parsed.error?.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) ?? []),
    ...productionProblems(env),
    ...crossFieldProblems(env),
  ];
  if (!parsed.success || problems.length) throw new ConfigError(problems);
  const c = parsed.data;
  const dataDir = resolve(c.DATA_DIR);
  return {
    ...c,
    dataDir,
    embedded: !c.DATABASE_URL,
    AUTH_SECRET: c.AUTH_SECRET ?? embeddedSecret(dataDir),
    PUBLIC_URL: c.PUBLIC_URL ?? `http://localhost:${c.PORT}`,
    // A fresh `npm start` shows a working demo; a production database is never seeded unasked.
    DEMO_SEED: c.DEMO_SEED ?? !c.DATABASE_URL,
  };
}
