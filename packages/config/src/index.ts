export { type Config, ConfigError, loadConfig } from './load.ts';
export { configSchema } from './schema.ts';
