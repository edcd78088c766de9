export { type Context, createContext, type Log } from './context.ts';
export { asDomainError, DomainError, type DomainErrorCode } from './errors.ts';
export { type AppRouter, appRouter } from './root.ts';
