import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConsoleMessage, Page } from 'playwright-core';

/**
 * The "customer site" for the browser tests: a small page on its own origin that embeds the
 * platform's widget.js under a strict Content Security Policy (no 'unsafe-inline', no
 * 'unsafe-eval'), with a stylesheet that tries hard to restyle everything on the page.
 */

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Host CSS that would wreck the widget if it leaked into the shadow root. */
export const HOST_CSS = `
* { color: red !important; font-size: 40px; font-family: "Comic Sans MS", cursive }
button, textarea { background: lime !important; border: 6px dashed orange !important; width: 10px }
section, header, form, p { display: block; margin: 90px !important; padding: 50px }
h2 { text-transform: uppercase; letter-spacing: 1em }
[hidden] { display: block !important }
body { background: #fff; margin: 0; padding: 24px }
`;

export type SiteOptions = { serverOrigin: string; widgetKey: string };

const page = (o: SiteOptions, locale: string | null, inline: boolean) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Acme Outdoor: customer site</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/host.css">
</head>
<body>
<main>
<h1>Acme Outdoor</h1>
<p>Tents, boots and everything in between.</p>
<p><a href="/contact">Contact us</a></p>
${inline ? '<div id="help-chat"></div>' : ''}
</main>
<script src="${o.serverOrigin}/widget.js" data-widget-key="${o.widgetKey}"${
  locale ? ` data-locale="${locale}"` : ''
}${inline ? ' data-container="#help-chat"' : ''} async></script>
</body>
</html>
`;

export type Site = { origin: string; close(): Promise<void> };

/**
 * Serves the host page (`/`, `/?locale=de`, `/contact` with the chat drawn inline) and its
 * stylesheet on 127.0.0.1, a free port.
 */
export async function startSite(o: SiteOptions): Promise<Site> {
  const csp = [
    "default-src 'self'",
    `script-src 'self' ${o.serverOrigin}`,
    `connect-src ${o.serverOrigin} ${o.serverOrigin.replace(/^http/, 'ws')}`,
    "style-src 'self'",
    "img-src 'self' data:",
  ].join('; ');
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://site.invalid');
    if (url.pathname === '/host.css') {
      res.writeHead(200, { 'content-type': 'text/css; charset=utf-8' });
      res.end(HOST_CSS);
    } else if (url.pathname === '/' || url.pathname === '/contact') {
      const locale = url.searchParams.get('locale');
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': csp,
        'cache-control': 'no-store',
      });
      res.end(
        page(o, locale && /^[a-z]{2}$/.test(locale) ? locale : null, url.pathname === '/contact'),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Messages the browser itself logs for a refused request (not JavaScript errors). */
const NETWORK_NOISE = [/^Failed to load resource:/, /has been blocked by CORS policy/];

/**
 * Everything the host page would notice going wrong: uncaught exceptions, unhandled
 * rejections, console errors (CSP violations are reported there too). `allowNetwork` lets
 * the browser's own lines about a refused request through.
 */
export function watchErrors(p: Page) {
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  p.on('pageerror', (e) => pageErrors.push(String(e)));
  p.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  return {
    pageErrors,
    consoleErrors,
    problems: ({ allowNetwork = false } = {}) => [
      ...pageErrors.map((e) => `pageerror: ${e}`),
      ...consoleErrors
        .filter((e) => !(allowNetwork && NETWORK_NOISE.some((re) => re.test(e))))
        .map((e) => `console.error: ${e}`),
    ],
  };
}

/**
 * Where keyboard focus is, seen through the widget's open shadow root: `inWidget` when the
 * document's focus is the widget's host, then the class of the focused element inside and
 * whether it is inside the dialog panel.
 */
export async function focusState(p: Page) {
  return p.evaluate(() => {
    const host = document.querySelector('[data-chat-widget]');
    const root = host?.shadowRoot;
    const active = root?.activeElement ?? null;
    const panel = root?.querySelector('.panel');
    return {
      inWidget: !!host && document.activeElement === host,
      tag: active?.tagName.toLowerCase() ?? document.activeElement?.tagName.toLowerCase() ?? null,
      className: active?.getAttribute('class') ?? null,
      label: active?.getAttribute('aria-label') ?? active?.textContent?.trim() ?? null,
      inPanel: !!active && !!panel?.contains(active),
    };
  });
}

/** The dialog's keyboard-reachable controls right now (shown, enabled, tabbable). */
export async function panelControlCount(p: Page) {
  return p.evaluate(() => {
    const panel = document.querySelector('[data-chat-widget]')?.shadowRoot?.querySelector('.panel');
    if (!panel) return 0;
    return [
      ...panel.querySelectorAll<HTMLElement>(
        'button:not([disabled]),textarea:not([disabled]),a[href],summary,[tabindex]:not([tabindex="-1"])',
      ),
    ].filter((el) => el.getClientRects().length > 0).length;
  });
}

type Frame = { type?: string; event?: string; data?: Record<string, unknown> };

/**
 * Routes the widget's WebSocket through the test (Playwright's routeWebSocket, which keeps
 * the page's own connection to the server). Frames from the server pass straight through
 * until one matches the next of `stops`; that one is delivered and the rest wait until
 * `release()`, so the test can look at the widget mid-answer without racing the stream.
 */
export async function gateSocket(p: Page, stops: ((f: Frame) => boolean)[]) {
  const queue: string[] = [];
  const received: Frame[] = [];
  let holding = false;
  let deliver: ((text: string) => void) | null = null;
  const pass = (text: string) => {
    deliver?.(text);
    let frame: Frame = {};
    try {
      frame = JSON.parse(text) as Frame;
    } catch {}
    received.push(frame);
    if (stops[0]?.(frame)) {
      stops.shift();
      holding = true;
    }
  };
  await p.routeWebSocket(/\/ws(\?|$)/, (ws) => {
    const server = ws.connectToServer();
    deliver = (text) => ws.send(text);
    // Page to server is forwarded as is; server to page goes through the gate.
    server.onMessage((message) => {
      const text = typeof message === 'string' ? message : message.toString('utf8');
      if (holding) queue.push(text);
      else pass(text);
    });
  });
  return {
    held: () => holding,
    received,
    release() {
      holding = false;
      while (!holding && queue.length) pass(queue.shift() as string);
    },
  };
}

/**
 * Routes the widget's WebSocket through the test so that it can be cut like a network outage.
 * `cut()` takes the context offline and closes the socket on both sides (the server stops
 * sending to it); until `restore()` every new attempt is closed as soon as it opens, as a
 * refused connection looks to a page. `cutAfter(match)` cuts right after the first server
 * frame that matches has been delivered. `restore()` brings the context back online, which
 * fires the page's `online` event.
 */
export async function cutSocket(p: Page) {
  let down = false;
  let cutAfter: ((f: Frame) => boolean) | null = null;
  const open = new Set<{ close(): Promise<void> }>();
  const received: Frame[] = [];
  const cut = async () => {
    down = true;
    await p.context().setOffline(true);
    const sides = [...open];
    open.clear();
    await Promise.all(sides.map((side) => side.close().catch(() => {})));
  };
  await p.routeWebSocket(/\/ws(\?|$)/, (ws) => {
    if (down) {
      void ws.close().catch(() => {});
      return;
    }
    const server = ws.connectToServer();
    open.add(ws).add(server);
    server.onMessage((message) => {
      if (down) return;
      const text = typeof message === 'string' ? message : message.toString('utf8');
      ws.send(text);
      let frame: Frame = {};
      try {
        frame = JSON.parse(text) as Frame;
      } catch {}
      received.push(frame);
      if (cutAfter?.(frame)) {
        cutAfter = null;
        void cut();
      }
    });
  });
  return {
    received,
    down: () => down,
    cut,
    cutAfter(match: (f: Frame) => boolean) {
      cutAfter = match;
    },
    async restore() {
      down = false;
      await p.context().setOffline(false);
    },
  };
}
