export { type Context, createContext, createLimits, type Limits, type Log } from './context.ts';
export * from './conversations/index.ts';
export { asDomainError, DomainError, type DomainErrorCode } from './errors.ts';
export { type AppRouter, appRouter } from './root.ts';
export * from './widgets/index.ts';
