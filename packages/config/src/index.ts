export { type Config, ConfigError, loadConfig } from './load.ts';
export {
  FORBIDDEN_ADDRESS_PROBLEM,
  ForbiddenAddressError,
  guardedLookup,
  isForbiddenAddress,
  isForbiddenHost,
  normalHost,
  outboundUrlProblem,
  type ResolveAll,
} from './outbound-address.ts';
export { configSchema } from './schema.ts';
