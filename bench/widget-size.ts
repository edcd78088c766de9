/**
 * Widget size and speed: the built widget.js (raw, gzip -9, brotli -11) next to the published
 * sizes of other products' widgets (anchors quoted in the issue: they cannot be downloaded
 * here, so they are figures, not measurements), and, in Debian's Chromium, the time from the
 * script having loaded to the launcher showing, and from asking a question to the first token
 * of the answer on screen.
 *
 * Set-up: the platform in process on PGlite (offline provider), a short handbook ingested, a
 * widget whose allow-list holds a "customer site" (a node:http server on another origin serving
 * a page that embeds the script tag under a strict CSP). Each run is a fresh browser context
 * (a first visit, nothing cached). Timings come from performance marks: the browser's own
 * resource timing for widget.js, and marks set by an init script that watches the widget's
 * shadow root with a MutationObserver (the widget itself carries no benchmark code).
 *
 * BENCH_N (20) runs; CHROMIUM_PATH overrides /usr/bin/chromium.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startHarness } from '../apps/server/test/harness.ts';
import { bundleWidget, GZIP_BUDGET_BYTES } from '../apps/widget/bundle.mjs';
import { CHROMIUM, LAUNCH_ARGS } from '../apps/widget/test/browser-site.ts';
import { median, writeResult } from './lib.ts';

const N = Number(process.env.BENCH_N ?? 20);

const HANDBOOK = `# Travel policy

## Hotels

Hotel stays are booked through the travel desk and capped at 180 euros per night in capital cities.

## Trains

Rail journeys under four hours are taken in second class.
`;

/** Published sizes, as the issue quotes them: what a visitor downloads for each product's widget. */
const ANCHORS = [
  { product: 'the seed widget SDK', gzip: '52-86 KB', quoted: 'issue 6, from the seed guide' },
  { product: 'Chatwoot widget', transferred: '170 KiB', quoted: 'issue 6 (chatwoot#2658, #4828)' },
  { product: 'Onyx widget', gzip: '100-150 kB, with an API key in client code', quoted: 'issue 6' },
  { product: 'Dify embed', note: 'a loader that opens a full iframe app', quoted: 'issue 6' },
];

/** Marks `widget:launcher` and, once `bench:ask` exists, `widget:first-token`. */
const WATCH = `(() => {
  let launcher = false, token = false;
  const check = (root) => {
    const b = root.querySelector('button[aria-expanded]');
    if (!launcher && b && b.getBoundingClientRect().width > 0) {
      launcher = true; performance.mark('widget:launcher');
    }
    if (!token && performance.getEntriesByName('bench:ask').length)
      for (const m of root.querySelectorAll('.m.a'))
        if (m.querySelector('.who') && m.querySelector('.b')?.textContent?.trim()) {
          token = true; performance.mark('widget:first-token'); break;
        }
  };
  const find = () => {
    const root = document.querySelector('[data-chat-widget]')?.shadowRoot;
    if (!root) return requestAnimationFrame(find);
    check(root);
    new MutationObserver(() => check(root)).observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
  };
  find();
})();`;

const listen = async (server: Server) => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
};

async function main() {
  const code = await bundleWidget();
  const raw = Buffer.byteLength(code);
  const gzip = gzipSync(code, { level: 9 }).length;
  const brotli = brotliCompressSync(code, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11 },
  }).length;
  console.log(`widget.js: ${raw} B raw, ${gzip} B gzip -9, ${brotli} B brotli -11`);

  const h = await startHarness('pglite', { LOG_LEVEL: 'error' });
  const site = createServer();
  const sitePort = await listen(site);
  const siteOrigin = `http://127.0.0.1:${sitePort}`;
  const serverUrl = await h.app.listen({ port: 0, host: '127.0.0.1' });
  const widgetOrigin = serverUrl.replace('127.0.0.1', 'localhost');
  const owner = await h.signUp('Widget Bench');
  await h.ingest(owner.cookie, 'travel.md', HANDBOOK);
  const created = await h.mutate('widgets.create', owner.cookie, {
    name: 'Bench',
    allowedOrigins: [siteOrigin],
  });
  const key = (created.body.result as { data: { publicKey: string } } | undefined)?.data.publicKey;
  if (!key) throw new Error(`widgets.create failed: ${created.raw.body}`);
  const ws = widgetOrigin.replace('http:', 'ws:');
  site.on('request', (_req, res) => {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': `default-src 'self'; script-src ${widgetOrigin}; connect-src ${widgetOrigin} ${ws}; style-src 'self'`,
    });
    res.end(
      `<!doctype html><html lang="en"><head><title>Shop</title></head><body><h1>Shop</h1><script src="${widgetOrigin}/widget.js" data-widget-key="${key}" async></script></body></html>`,
    );
  });

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  const toLauncher: number[] = [];
  const fromNavigation: number[] = [];
  const toFirstToken: number[] = [];
  try {
    for (let i = 0; i < N + 2; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.addInitScript(WATCH);
      await page.goto(siteOrigin);
      await page.waitForFunction(() => performance.getEntriesByName('widget:launcher').length > 0);
      const load = await page.evaluate(() => {
        const script = performance
          .getEntriesByType('resource')
          .find((e) => e.name.endsWith('/widget.js')) as PerformanceResourceTiming | undefined;
        const launcher = performance.getEntriesByName('widget:launcher')[0]?.startTime ?? NaN;
        return { scriptLoaded: script?.responseEnd ?? NaN, launcher };
      });
      const host = page.locator('[data-chat-widget]');
      await host.locator('button[aria-expanded]').click();
      const input = host.locator('textarea');
      await input.fill('What is the hotel cap per night in capital cities?');
      await page.evaluate(() => performance.mark('bench:ask'));
      await input.press('Enter');
      await page.waitForFunction(
        () => performance.getEntriesByName('widget:first-token').length > 0,
        undefined,
        { timeout: 30_000 },
      );
      const token = await page.evaluate(
        () =>
          (performance.getEntriesByName('widget:first-token')[0]?.startTime ?? NaN) -
          (performance.getEntriesByName('bench:ask')[0]?.startTime ?? NaN),
      );
      await context.close();
      if (i < 2) continue; // warm-up: the server's first bundle and first answers
      toLauncher.push(load.launcher - load.scriptLoaded);
      fromNavigation.push(load.launcher);
      toFirstToken.push(token);
    }
  } finally {
    await browser.close();
    site.close();
    await h.close();
  }
  const ms = (xs: number[]) => Math.round(median(xs) * 10) / 10;
  const result = {
    ours: {
      rawBytes: raw,
      gzip9Bytes: gzip,
      brotli11Bytes: brotli,
      gzipBudgetBytes: GZIP_BUDGET_BYTES,
      withinBudget: gzip <= GZIP_BUDGET_BYTES,
      medianMs: {
        scriptLoadedToLauncher: ms(toLauncher),
        navigationToLauncher: ms(fromNavigation),
        askToFirstTokenOnScreen: ms(toFirstToken),
      },
      runs: N,
    },
    anchors: ANCHORS,
    notes:
      `widget.js is ${gzip} B gzip -9 (${(gzip / 1024).toFixed(1)} KiB; budget ${GZIP_BUDGET_BYTES} B) and ${brotli} B brotli; ` +
      `the anchors are published figures (no internet here to fetch those widgets), e.g. 52-86 KB gzipped for the seed's SDK and 170 KiB transferred for Chatwoot's. ` +
      `In headless Chromium on this shared 2-core machine, medians over ${N} first visits (fresh context): launcher ${ms(toLauncher)} ms after widget.js finished loading (${ms(fromNavigation)} ms after navigation start); first answer token on screen ${ms(toFirstToken)} ms after the question was sent (offline provider, PGlite, the page on another origin than the server).`,
  };
  writeResult('widget-size', result);
  console.log(JSON.stringify(result, null, 2));
}

await main();
