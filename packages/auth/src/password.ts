import { hash, verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import pLimit from 'p-limit';

/** The seed's Argon2id parameters: 64 MiB, 3 passes, 4 lanes, 32-byte output. */
export const ARGON2_PARAMS = {
  algorithm: 2, // Algorithm.Argon2id (an ambient const enum, so spelled as its value)
  memoryCost: 65_536,
  timeCost: 3,
  parallelism: 4,
  outputLen: 32,
} as const;

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

/** Raised when too many hashes are already waiting; mapped to 503 so clients retry later. */
export class HasherBusyError extends Error {
  constructor() {
    super('Too many sign-ins in progress; retry shortly');
    this.name = 'HasherBusyError';
  }
}

export type PasswordHasher = {
  hash(password: string): Promise<string>;
  /** True when `password` matches `stored` (Argon2id or legacy bcrypt). */
  verify(stored: string, password: string): Promise<boolean>;
  stats(): { active: number; pending: number };
};

export const isLegacyHash = (stored: string) => /^\$2[abxy]\$/.test(stored);

/**
 * Argon2id hashing behind a bounded queue: at most `concurrency` hashes hold their 64 MiB at
 * once and at most `queue` wait, so a flood of sign-ins degrades to 503s instead of
 * exhausting memory.
 */
export function createPasswordHasher(opts: { concurrency: number; queue: number }): PasswordHasher {
  const limit = pLimit(opts.concurrency);
  const run = <T>(fn: () => Promise<T>): Promise<T> => {
    if (limit.pendingCount >= opts.queue) return Promise.reject(new HasherBusyError());
    return limit(fn);
  };
  return {
    hash: (password) => run(() => hash(password, ARGON2_PARAMS)),
    verify: (stored, password) =>
      run(async () => {
        if (isLegacyHash(stored)) return bcrypt.compare(password, stored);
        try {
          return await verify(stored, password);
        } catch {
          return false; // malformed stored hash: treat as a mismatch, never as an error
        }
      }),
    stats: () => ({ active: limit.activeCount, pending: limit.pendingCount }),
  };
}
