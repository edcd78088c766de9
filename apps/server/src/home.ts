import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

const page = readFileSync(new URL('./home.html', import.meta.url), 'utf8');

/** CSP source for each inline block of a tag: its SHA-256, so nothing else inline may run. */
const hashes = (tag: 'script' | 'style') =>
  [...page.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))]
    .map(
      (m) =>
        `'sha256-${createHash('sha256')
          .update(m[1] ?? '')
          .digest('base64')}'`,
    )
    .join(' ');

const CSP = [
  "default-src 'self'",
  `script-src ${hashes('script')}`,
  `style-src ${hashes('style') || "'none'"}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * A plain page at /account to sign up, sign in and see who you are, until the dashboard lands
 * (`/` is the demo page).
 */
export function registerAccountPage(app: FastifyInstance) {
  app.get('/account', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).send(page),
  );
}
