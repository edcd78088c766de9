import type { FastifyInstance, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** Requests whose handlers are still running, even if their client already left. */
    inFlight: {
      count(): number;
      drained(timeoutMs: number): Promise<boolean>;
      /** Ends a hijacked request's count (hijacked replies never reach onSend). */
      done(request: FastifyRequest): void;
      /** Counts work that is not a request (a WebSocket frame's handler); call the result when it ends. */
      hold(): () => void;
    };
  }
}

const counted = new WeakSet<FastifyRequest>();

/**
 * Counts handlers from arrival to their reply, and WebSocket frames' handlers (`hold`).
 * `server.close()` only waits for sockets, and a client that hangs up leaves its handler running; shutdown waits for this count to reach
 * zero before closing the database, so no transaction is cut off.
 */
export function trackInFlight(app: FastifyInstance) {
  let active = 0;
  let waiters: (() => void)[] = [];
  app.addHook('onRequest', async (request) => {
    counted.add(request);
    active++;
  });
  const release = () => {
    active--;
    if (active === 0) {
      for (const wake of waiters) wake();
      waiters = [];
    }
  };
  const done = (request: FastifyRequest) => {
    if (counted.delete(request)) release();
  };
  const hold = () => {
    active++;
    let held = true;
    return () => {
      if (held) release();
      held = false;
    };
  };
  app.addHook('onSend', async (request) => done(request));
  app.decorate('inFlight', {
    count: () => active,
    done,
    hold,
    drained: (timeoutMs: number) =>
      active === 0
        ? Promise.resolve(true)
        : new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), timeoutMs);
            waiters.push(() => {
              clearTimeout(timer);
              resolve(true);
            });
          }),
  });
}

/**
 * Stops accepting, closes idle and finished connections, and waits (up to `timeoutMs`) for
 * handlers still running; true when they all finished. The database may close after this.
 */
export async function stopServer(app: FastifyInstance, timeoutMs: number): Promise<boolean> {
  await app.close();
  return app.inFlight.drained(timeoutMs);
}
