import { gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptsGzip, registerWidgetAsset } from '../src/widget-asset.ts';

// The route on its own (no database): whichever way the script is obtained (dist/ or an
// in-memory bundle), what goes out must be small, cacheable, embeddable and free of eval.
describe('GET /widget.js', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify({ logger: false });
    registerWidgetAsset(app);
    await app.ready();
  });
  afterAll(() => app.close());

  it('serves gzipped JavaScript under the 15 KiB budget, embeddable from any site', async () => {
    const r = await app.inject({ url: '/widget.js', headers: { 'accept-encoding': 'br, gzip' } });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(r.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(r.headers['cache-control']).toMatch(/max-age=\d+/);
    expect(r.headers.vary).toContain('Accept-Encoding');
    expect(r.rawPayload.length).toBeLessThanOrEqual(15_360);
    const code = gunzipSync(r.rawPayload).toString('utf8');
    expect(code).toMatch(/^\(\(\)=>\{/);
    // No code from strings, and no HTML from strings, anywhere in the bundle.
    expect(code).not.toContain('eval(');
    expect(code).not.toContain('new Function');
    expect(code).not.toContain('innerHTML');
    expect(code).not.toContain('insertAdjacentHTML');
    expect(code).not.toContain('document.write');
    // Styles only through constructable stylesheets.
    expect(code).toContain('adoptedStyleSheets');
  });

  it('sends it plain without gzip, and 304 for a matching ETag', async () => {
    const plain = await app.inject({ url: '/widget.js' });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const etag = String(plain.headers.etag);
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await app.inject({ url: '/widget.js', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('reads Accept-Encoding with its q values', () => {
    expect(acceptsGzip('gzip, deflate, br')).toBe(true);
    expect(acceptsGzip('br;q=1.0, gzip;q=0.5')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });
});
