import type { Config } from '@platform/config';
import pino, { type Logger } from 'pino';
import { loggedUrl } from './log-url.ts';

/** The request fields Fastify logs (method, url, host, client address), with a safe url. */
type LoggedRequest = {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
};

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
      // Replaces Fastify's own `req` serializer (a logger's own serializers win): the same
      // fields, but query values (tRPC inputs, tokens, keys) kept out of the url (log-url.ts).
      serializers: {
        req: (req: LoggedRequest) => ({
          method: req.method,
          url: typeof req.url === 'string' ? loggedUrl(req.url) : req.url,
          host: req.host,
          remoteAddress: req.ip,
          remotePort: req.socket?.remotePort,
        }),
      },
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
