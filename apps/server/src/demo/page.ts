import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Platform } from '../platform.ts';
import { demoPasswordPath } from './admin-password.ts';
import { findDemoWidget } from './widget.ts';

const file = (name: string) => readFileSync(new URL(name, import.meta.url), 'utf8');
const demoPage = file('./demo.html');
const startPage = file('./start.html');
const css = file('./demo.css');

/**
 * No inline script or style anywhere, so the widget is shown to work under the strictest policy
 * a customer's site is likely to have.
 */
export const DEMO_PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

const fill = (template: string, values: Record<string, string>) =>
  template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => escapeHtml(values[k] ?? ''));

/** A found key is reused for a few seconds; a missing one is looked up again (seeding may finish). */
const CACHE_MS = 10_000;

/**
 * `/`: the live demo (the seeded widget on a page that says what to ask and how to sign in), or,
 * with DEMO_SEED off or no demo yet, a short page pointing to /account and the README.
 */
export function registerDemoPage(app: FastifyInstance, platform: Platform) {
  const { config, db } = platform;
  let cached: { key: string; until: number } | null = null;
  const widgetKey = async () => {
    if (!config.DEMO_SEED) return null;
    if (cached && cached.until > Date.now()) return cached.key;
    const key = await findDemoWidget(db);
    cached = key ? { key, until: Date.now() + CACHE_MS } : null;
    return key;
  };

  app.get('/', async (_request, reply) => {
    const key = await widgetKey();
    const html = key
      ? fill(demoPage, { widgetKey: key, passwordFile: demoPasswordPath(config.dataDir) })
      : startPage;
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', DEMO_PAGE_CSP)
      .header('cache-control', 'no-store')
      .send(html);
  });

  app.get('/demo.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(css),
  );
}
