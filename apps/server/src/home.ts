import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

const page = readFileSync(new URL('./home.html', import.meta.url), 'utf8');

/**
 * A plain page at /account to sign up, sign in and see who you are, until the dashboard lands
 * (`/` is the demo page).
 */
export function registerAccountPage(app: FastifyInstance) {
  app.get('/account', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header(
        'content-security-policy',
        "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
      )
      .send(page),
  );
}
