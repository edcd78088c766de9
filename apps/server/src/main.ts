/** `npm start`: one process serving the platform on PORT (default 3000). */
import { ConfigError, loadConfig } from '@platform/config';
import { buildApp } from './app.ts';
import { createAuditRetention, databasePurger } from './audit-retention.ts';
import { seedDemoOrWarn } from './demo/seed.ts';
import { stopServer } from './in-flight.ts';
import { createLogger } from './logger.ts';
import { openPlatform } from './platform.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}

const log = createLogger(config);
const platform = await openPlatform(config, log);
// Before listening, so `/` shows a working demo from the first request (the seed starts the
// ingestion workers itself; after the first start it is one look-up).
const demo = await seedDemoOrWarn(platform);
const app = await buildApp(platform);
await app.listen({ port: config.PORT, host: config.HOST });
await platform.knowledge.start();
platform.ai.start();
platform.conversations.start();
// GDPR exports and deletions (durable jobs; a deletion runs when its grace period ends).
platform.privacy.start();
// Daily purge of audit entries past AUDIT_RETENTION_DAYS (0 keeps them forever).
const auditRetention = createAuditRetention({
  purger: databasePurger(platform.db),
  retentionDays: config.AUDIT_RETENTION_DAYS,
  log: log.child({ module: 'audit-retention' }),
});
auditRetention.start();
log.info(
  {
    url: config.PUBLIC_URL,
    database: platform.db.driver,
    dataDir: config.embedded ? config.dataDir : undefined,
    demo: demo ? new URL('/', config.PUBLIC_URL).href : undefined,
  },
  'platform ready',
);

// SIGTERM: stop accepting, let in-flight requests finish, then close the database.
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown timed out; exiting');
      process.exit(1);
    }, 25_000);
    force.unref();
    try {
      if (!(await stopServer(app, 20_000)))
        log.warn({ inFlight: app.inFlight.count() }, 'closing with requests still running');
      await auditRetention.stop();
      await platform.close();
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  });
}
