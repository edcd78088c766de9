export * from './ai.ts';
export * from './assistant.ts';
export * from './cost.ts';
export * from './identity.ts';
export * from './jobs.ts';
export * from './knowledge.ts';
export * from './security.ts';
export * from './tenants.ts';
