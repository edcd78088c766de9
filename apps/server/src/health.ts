import type { FastifyInstance } from 'fastify';
import type { Platform } from './platform.ts';

/** /health: the process is alive. /ready: the database answers and its schema is current. */
export function registerHealthRoutes(app: FastifyInstance, platform: Platform) {
  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/ready', async (_request, reply) => {
    const checks: Record<string, string> = {};
    try {
      await platform.db.ping();
      const m = await platform.db.migrationStatus();
      checks.database = 'ok';
      checks.migrations = m.current ? 'ok' : `pending (${m.applied}/${m.expected} applied)`;
    } catch {
      checks.database = 'unreachable';
    }
    if (platform.redis) {
      try {
        if (platform.redis.status === 'wait') await platform.redis.connect();
        checks.redis = (await platform.redis.ping()) === 'PONG' ? 'ok' : 'unexpected reply';
      } catch {
        checks.redis = 'unreachable';
      }
    }
    const ready = Object.values(checks).every((v) => v === 'ok');
    // Informational: while Redis is away the bus holds events and delivers them on its return.
    const bus = platform.bus.health();
    return reply.status(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not ready',
      checks,
      eventBus: { kind: bus.kind, connected: bus.connected, pendingEvents: bus.pending },
    });
  });
}
