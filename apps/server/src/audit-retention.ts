import type { Database } from '@platform/db';

const DAY_MS = 86_400_000;

/** What retention needs from the database: delete entries older than a cut-off. */
export type AuditPurger = {
  /** Entries deleted; null when the database has no purge function yet (nothing deleted). */
  purgeBefore(cutoff: Date): Promise<number | null>;
};

/**
 * The runtime role may not DELETE audit entries (append-only); the purge goes through the
 * SECURITY DEFINER platform_purge_audit_logs, and nothing else.
 */
export const databasePurger = (db: Pick<Database, 'purgeAuditLogs'>): AuditPurger => ({
  purgeBefore: (cutoff) => db.purgeAuditLogs(cutoff),
});

type Log = {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
};

export type AuditRetentionOptions = {
  purger: AuditPurger;
  /** AUDIT_RETENTION_DAYS: entries older than this are deleted; 0 keeps them forever. */
  retentionDays: number;
  log: Log;
  /** How often to purge (default daily) and how long after start the first purge runs. */
  intervalMs?: number;
  firstRunMs?: number;
  now?: () => Date;
};

/**
 * Deletes audit entries past AUDIT_RETENTION_DAYS once a day. Every server process runs it;
 * the delete is idempotent, so several instances purging the same day is harmless.
 */
export function createAuditRetention(opts: AuditRetentionOptions) {
  const interval = opts.intervalMs ?? DAY_MS;
  const now = opts.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  /** One purge; `disabled` when retention is off (0 days). */
  async function runOnce(): Promise<{ cutoff: Date; deleted: number | null } | 'disabled'> {
    if (opts.retentionDays <= 0) return 'disabled';
    const cutoff = new Date(now().getTime() - opts.retentionDays * DAY_MS);
    const deleted = await opts.purger.purgeBefore(cutoff);
    if (deleted === null)
      opts.log.warn(
        { retentionDays: opts.retentionDays },
        'audit retention: the database has no platform_purge_audit_logs function; nothing purged',
      );
    else if (deleted > 0) opts.log.info({ deleted, cutoff }, 'audit retention: purged old entries');
    return { cutoff, deleted };
  }

  const tick = () => {
    running = runOnce()
      .catch((err: unknown) => opts.log.warn({ err }, 'audit retention: purge failed'))
      .finally(() => {
        running = undefined;
      });
  };

  return {
    runOnce,
    start() {
      if (opts.retentionDays <= 0 || timer) return;
      timer = setTimeout(function again() {
        tick();
        timer = setTimeout(again, interval);
        timer.unref();
      }, opts.firstRunMs ?? 60_000);
      timer.unref();
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}

export type AuditRetention = ReturnType<typeof createAuditRetention>;
