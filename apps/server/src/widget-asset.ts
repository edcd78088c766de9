import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { bundleWidget, DIST_FILE, newestSourceMtime } from '../../widget/bundle.mjs';

type Asset = { body: Buffer; gzip: Buffer; etag: string };

const mtime = (read: () => number) => {
  try {
    return read();
  } catch {
    return 0;
  }
};

/**
 * The widget's script: apps/widget/dist/widget.js when it is at least as new as the sources
 * (`npm run build:widget`, as a deployment builds it), else bundled in memory with esbuild, so
 * `npm install && npm start` serves a current widget without a build step. Without esbuild (a
 * production install without dev dependencies) a stale dist/ is still served.
 */
async function loadWidget(log: FastifyBaseLogger): Promise<Asset> {
  const built = mtime(() => statSync(DIST_FILE).mtimeMs);
  const sources = mtime(newestSourceMtime);
  let code: string;
  if (built && built >= sources) code = readFileSync(DIST_FILE, 'utf8');
  else {
    try {
      code = await bundleWidget();
      log.info('widget.js bundled in memory (dist/ missing or older than the sources)');
    } catch (err) {
      if (!built) throw err;
      log.warn({ err }, 'widget.js could not be rebuilt; serving the older dist/widget.js');
      code = readFileSync(DIST_FILE, 'utf8');
    }
  }
  const body = Buffer.from(code);
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 27);
  return { body, gzip: gzipSync(body, { level: 9 }), etag: `"${hash}"` };
}

/** Whether the client takes gzip: listed (or `*`) without q=0. */
export function acceptsGzip(header: string | undefined): boolean {
  return (header ?? '').split(',').some((part) => {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (name !== 'gzip' && name !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return !q || Number(q.slice(2)) > 0;
  });
}

/**
 * `GET /widget.js`, the script other sites embed: readable cross-origin (CORP), cached briefly
 * and revalidated by ETag so a new release reaches pages within minutes, gzipped when the
 * client accepts it. Built once per process: in the background as the server starts
 * listening, or on the first request (tests that never listen pay nothing).
 */
export function registerWidgetAsset(app: FastifyInstance) {
  let asset: Promise<Asset> | null = null;
  const load = () => {
    asset ??= loadWidget(app.log).catch((err: unknown) => {
      asset = null;
      throw err;
    });
    return asset;
  };
  app.addHook('onListen', async () => {
    load().catch((err: unknown) => app.log.error({ err }, 'widget.js could not be built'));
  });

  app.get('/widget.js', async (request, reply) => {
    let a: Asset;
    try {
      a = await load();
    } catch (err) {
      request.log.error({ err }, 'widget.js unavailable');
      return reply.status(503).header('retry-after', '10').send({
        code: 'SERVICE_UNAVAILABLE',
        message: 'The widget is not built: run npm run build:widget',
      });
    }
    reply
      .header('content-type', 'application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('etag', a.etag)
      .header('vary', 'Accept-Encoding')
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('x-content-type-options', 'nosniff');
    const tags = request.headers['if-none-match']
      ?.split(',')
      .map((t) => t.trim().replace(/^W\//, ''));
    if (tags?.includes(a.etag) || tags?.includes('*')) return reply.status(304).send();
    if (acceptsGzip(request.headers['accept-encoding']))
      return reply.header('content-encoding', 'gzip').send(a.gzip);
    return reply.send(a.body);
  });
}
