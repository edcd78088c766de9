import type { Config } from '@platform/config';
import pino, { type Logger } from 'pino';

/** Structured logs; credentials are redacted wherever they might appear. */
export function createLogger(
  config: Pick<Config, 'LOG_LEVEL'>,
  /**
   * Where lines go: stdout for the server, stderr for the CLI (its stdout is output), or a
   * stream (tests read the lines, e.g. to prove a secret is never logged).
   */
  destination: 1 | 2 | pino.DestinationStream = 1,
): Logger {
  return pino(
    {
      level: config.LOG_LEVEL,
      redact: {
        paths: [
          'req.headers.cookie',
          'req.headers.authorization',
          'req.headers["x-api-key"]',
          'res.headers["set-cookie"]',
          '*.password',
          '*.token',
        ],
        censor: '[redacted]',
      },
    },
    typeof destination === 'number' ? pino.destination(destination) : destination,
  );
}
