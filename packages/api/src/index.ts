export { type Context, createContext, type Log } from './context.ts';
export { DomainError, type DomainErrorCode } from './errors.ts';
export { type AppRouter, appRouter } from './root.ts';
