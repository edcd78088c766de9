import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

const page = readFileSync(new URL('./home.html', import.meta.url), 'utf8');

/** A plain page at / to sign up, sign in and see who you are, until the dashboard lands. */
export function registerHomePage(app: FastifyInstance) {
  app.get('/', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header(
        'content-security-policy',
        "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
      )
      .send(page),
  );
}
