import { AsyncLocalStorage } from 'node:async_hooks';
import type { Database, Tx } from '@platform/db';
import { schema } from '@platform/db';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';

const DATABASE_METHODS = new Set<string | symbol>([
  'create',
  'findOne',
  'findMany',
  'count',
  'update',
  'updateMany',
  'delete',
  'deleteMany',
  'consumeOne',
  'incrementOne',
  'transaction',
]);

/**
 * Better Auth's Drizzle adapter, with every operation run inside `db.withAuth`, i.e. as the
 * least-privilege auth role. The adapter is built once over a stand-in database that
 * forwards to the transaction of the operation in flight.
 */
export function createAuthStore(db: Database) {
  const current = new AsyncLocalStorage<Tx>();
  const activeTx = (): Tx => {
    const tx = current.getStore();
    if (!tx) throw new Error('auth adapter used outside withAuth');
    return tx;
  };
  const standIn = new Proxy({} as Tx, {
    get: (_target, prop) => {
      const tx = activeTx();
      const value = Reflect.get(tx, prop, tx);
      return typeof value === 'function' ? value.bind(tx) : value;
    },
  });

  /** Runs fn in the auth transaction already in flight, or in a new one. */
  const run = <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => {
    const tx = current.getStore();
    return tx ? fn(tx) : db.withAuth((t) => current.run(t, () => fn(t)));
  };

  const base = drizzleAdapter(standIn, {
    provider: 'pg',
    transaction: true,
    schema: {
      users: schema.users,
      accounts: schema.accounts,
      authSessions: schema.authSessions,
      verificationTokens: schema.verificationTokens,
      twoFactors: schema.twoFactors,
    },
  });

  const adapter: typeof base = (options) => {
    const inner = base(options);
    return new Proxy(inner, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function' || !DATABASE_METHODS.has(prop)) return value;
        return (...args: unknown[]) => run(() => value.apply(target, args));
      },
    });
  };

  return { adapter, run };
}
