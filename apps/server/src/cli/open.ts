import type { Config } from '@platform/config';
import { createLogger } from '../logger.ts';
import { openPlatform, type Platform } from '../platform.ts';

/** Opens the platform quietly for a CLI command, runs fn, and always closes it. */
export async function withPlatform<T>(config: Config, fn: (p: Platform) => Promise<T>): Promise<T> {
  const platform = await openPlatform(config, createLogger({ LOG_LEVEL: 'warn' }, 2));
  try {
    return await fn(platform);
  } finally {
    await platform.close();
  }
}
