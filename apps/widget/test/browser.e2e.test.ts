import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Account,
  cookieOf,
  data,
  type Harness,
  startHarness,
} from '../../server/test/harness.ts';
import {
  CHROMIUM,
  cutSocket,
  focusState,
  gateSocket,
  LAUNCH_ARGS,
  panelControlCount,
  type Site,
  startSite,
  watchErrors,
} from './browser-site.ts';

/**
 * The widget in a real browser: widget.js as the server serves it, embedded by a "customer
 * site" on another origin under a strict CSP and hostile CSS, talking to the platform over
 * REST and WebSocket, with the offline (extractive) model answering from an ingested handbook.
 */

const HANDBOOK = `# Acme Outdoor staff handbook

## Returns

Customers may return unworn hiking boots within 45 days of purchase for a full refund.

## Repairs

The Lindenhof workshop repairs torn tents for a flat fee of 29 euros.
`;

const QUESTION = 'How many days do customers have to return unworn hiking boots?';
const FACT = '45 days';
const REPAIR_QUESTION = 'What does the workshop charge to repair a torn tent?';
const REPAIR_FACT = '29 euros';
const ARTIFACTS = new URL('../../../e2e/artifacts/', import.meta.url);
const AXE = readFileSync(
  new URL('../../../node_modules/axe-core/axe.min.js', import.meta.url),
  'utf8',
);

const W = '[data-chat-widget]';
/** Playwright's CSS engine pierces open shadow roots, so these reach inside the widget. */
const sel = {
  launcher: `${W} .launch`,
  panel: `${W} .panel`,
  input: `${W} textarea`,
  send: `${W} .send`,
  error: `${W} .err`,
  hint: `${W} .hint`,
  /** The "writing" / "is typing" line (the rating bar is the other plain .bar, with buttons). */
  typing: `${W} .panel > .bar:not(.off):not(.err):not(:has(button))`,
  visitorMessages: `${W} .m.u`,
  /** Answers, not the greeting (the first .m.a in the list). */
  answers: `${W} .msgs > .m.a:not(:first-child)`,
  /** The newest answer's text (without its author line and sources). */
  answer: `${W} .msgs > .m.a:not(:first-child):last-child .b`,
};

describe.skipIf(!existsSync('/usr/bin/chromium') && !process.env.CHROMIUM_PATH)(
  'chat widget in a real browser (chromium)',
  // Generous: answers are fast, but this may share a 2-core machine with other suites.
  { timeout: 60_000 },
  () => {
    let h: Harness;
    let owner: Account;
    let server: string;
    let allowed: Site;
    let foreign: Site;
    let browser: Browser;
    const contexts: BrowserContext[] = [];
    /** Sites started by a test for a widget of its own; closed with the others. */
    const extraSites: Site[] = [];

    beforeAll(async () => {
      h = await startHarness('pglite', { LOG_LEVEL: 'error' });
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      server = `http://localhost:${(h.app.server.address() as AddressInfo).port}`;
      owner = await h.signUp('Acme Outdoor');
      await h.ingest(owner.cookie, 'staff-handbook.md', HANDBOOK);
      // The allowed site's port must be known before the widget's allow-list is written, and
      // the key before the page is served: the page is built per request from `site`.
      const site = { serverOrigin: server, widgetKey: '' };
      allowed = await startSite(site);
      foreign = await startSite(site);
      const created = await h.mutate('widgets.create', owner.cookie, {
        name: 'Acme site',
        allowedOrigins: [allowed.origin],
      });
      expect(created.status, created.raw.body).toBe(200);
      const widget = data<{ id: string; publicKey: string }>(created);
      site.widgetKey = widget.publicKey;
      browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    }, 120_000);

    afterEach(async () => {
      await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => {})));
    });

    afterAll(async () => {
      await browser?.close().catch(() => {});
      await allowed?.close();
      await foreign?.close();
      await Promise.all(extraSites.map((s) => s.close()));
      await h?.close();
    });

    const newPage = async (options: { bypassCSP?: boolean } = {}) => {
      const context = await browser.newContext({
        viewport: { width: 1000, height: 760 },
        locale: 'en-US',
        ...options,
      });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      return { page, errors: watchErrors(page) };
    };

    /** Loads the host page and waits until the widget has drawn its launcher. */
    const visit = async (page: Page, url: string) => {
      await page.goto(url);
      await expect.poll(() => page.locator(sel.launcher).count()).toBe(1);
    };

    /** What an element says (its text content, which includes screen-reader-only text). */
    const text = async (page: Page, selector: string) =>
      (await page.locator(selector).first().textContent()) ?? '';

    /** The conversation the widget keeps in localStorage (it exists from the first message). */
    const conversationOf = (page: Page) =>
      page.evaluate(() => {
        for (let i = 0; i < localStorage.length; i++) {
          const key = localStorage.key(i);
          if (key?.startsWith('chat-widget:'))
            return (
              (JSON.parse(localStorage.getItem(key) ?? '{}') as { conversationId?: string })
                .conversationId ?? null
            );
        }
        return null;
      });

    /** Asks a question and waits for the finished answer (the rating bar shows only then). */
    const ask = async (page: Page, question: string, fact: string) => {
      await page.locator(sel.input).fill(question);
      await page.keyboard.press('Enter');
      await expect.poll(() => text(page, sel.answer), { timeout: 30_000 }).toContain(fact);
      await expect.poll(() => page.locator(`${W} [aria-label="Helpful"]`).isVisible()).toBe(true);
    };

    /** What the message list shows, in order: `u` (visitor), `a` (answer or person), `s` (note). */
    const transcript = (page: Page) =>
      page.locator(`${W} .msgs > .m:not(:first-child)`).evaluateAll((nodes) =>
        nodes.map((n) => {
          const kind = n.classList.contains('u') ? 'u' : n.classList.contains('s') ? 's' : 'a';
          return `${kind}: ${n.querySelector('.b')?.textContent?.trim() ?? ''}`;
        }),
      );

    it('answers a visitor with a streamed, cited answer that survives a reload; host CSS and CSP do not break it', async () => {
      const { page, errors } = await newPage();
      await visit(page, `${allowed.origin}/`);

      // Closed at first; the launcher is styled by the widget's own (constructed) sheet,
      // which the CSP allows and the host's `button { width: 10px }` does not reach.
      await expect.poll(() => page.locator(sel.panel).isHidden()).toBe(true);
      const launcherBox = await page.locator(sel.launcher).boundingBox();
      expect(launcherBox?.width).toBe(56);
      expect(await page.locator(sel.launcher).getAttribute('aria-label')).toBe('Open chat');

      await page.locator(sel.launcher).click();
      await expect.poll(() => page.locator(sel.panel).isVisible()).toBe(true);
      expect(await page.locator(sel.launcher).getAttribute('aria-expanded')).toBe('true');
      expect(await text(page, `${W} .msgs > .m.a:first-child`)).toBe(
        'Hi! How can we help you today?',
      );

      // The server's frames are held twice: once the message is accepted (the assistant is
      // "writing"), and after the answer's first piece (it is streaming), so both in-between
      // states are looked at without racing the stream.
      const gate = await gateSocket(page, [
        (f) => f.type === 'ack' && f.data?.stage === 'accepted',
        (f) => f.event === 'message.delta',
      ]);

      await page.locator(sel.input).fill(QUESTION);
      await page.locator(sel.send).click();

      await expect.poll(() => gate.held()).toBe(true);
      await expect.poll(() => text(page, sel.typing)).toBe('The assistant is writing…');
      expect(await page.locator(sel.visitorMessages).count()).toBe(1);
      expect(await text(page, sel.visitorMessages)).toContain(QUESTION);
      expect(await page.locator(sel.answers).count()).toBe(0);
      gate.release();

      await expect.poll(() => gate.held()).toBe(true);
      const firstPiece = String(gate.received.at(-1)?.data?.delta ?? '');
      expect(firstPiece).not.toBe('');
      // Only that piece is on screen: the answer grows as it arrives.
      await expect.poll(async () => (await text(page, sel.answer)).trim()).toBe(firstPiece.trim());
      expect(await page.locator(sel.typing).isHidden()).toBe(true);
      expect(await page.locator(`${W} form button:not(.send)`).textContent()).toBe('Stop answer');
      expect(await page.locator(`${W} form button:not(.send)`).isVisible()).toBe(true);
      gate.release();

      await expect.poll(() => text(page, sel.answer), { timeout: 30_000 }).toContain(FACT);
      // Final once the rating bar shows (only for a finished answer); the stop button is gone.
      await expect.poll(() => page.locator(`${W} [aria-label="Helpful"]`).isVisible()).toBe(true);
      expect(await page.locator(`${W} form button:not(.send)`).isHidden()).toBe(true);
      const answer = await text(page, sel.answer);
      // It came in pieces over the socket.
      expect(gate.received.filter((f) => f.event === 'message.delta').length).toBeGreaterThan(1);

      // The citation: a marker in the text and the source's title and snippet in the list.
      const sources = page.locator(`${W} .msgs > .m.a:not(:first-child) details`).last();
      expect(await sources.locator('summary').textContent()).toMatch(/^Sources \(\d+\)$/);
      const marker = page.locator(`${sel.answer} sup button`).first();
      expect(await marker.getAttribute('aria-label')).toBe('Source 1');
      // The marker opens the sources and moves focus to the one it cites.
      await marker.click();
      const entry = sources.locator('li').first();
      await expect.poll(() => entry.isVisible()).toBe(true);
      await expect
        .poll(() =>
          entry.evaluate(
            (li) =>
              li.getRootNode() instanceof ShadowRoot &&
              (li.getRootNode() as ShadowRoot).activeElement === li,
          ),
        )
        .toBe(true);
      expect(await entry.locator('strong').textContent()).toMatch(/handbook/i);
      expect(await entry.locator('p').textContent()).toContain(FACT);

      // Shadow DOM isolation: none of the host's `*`, `button`, `p`, `h2` rules got in.
      const styles = await page.evaluate(() => {
        const root = document.querySelector('[data-chat-widget]')?.shadowRoot;
        const css = (s: string) => {
          const el = root?.querySelector(s);
          return el ? getComputedStyle(el) : null;
        };
        const pick = (s: string) => {
          const c = css(s);
          return c
            ? {
                color: c.color,
                fontSize: c.fontSize,
                background: c.backgroundColor,
                margin: c.marginTop,
                display: c.display,
                transform: c.textTransform,
              }
            : null;
        };
        return {
          bubble: pick('.msgs > .m.a .b'),
          title: pick('h2'),
          send: pick('.send'),
          input: pick('textarea'),
          panel: pick('.panel'),
          hiddenHint: pick('.hint'),
        };
      });
      expect(styles.bubble).toMatchObject({ color: 'rgb(17, 24, 39)', fontSize: '14px' });
      expect(styles.title).toMatchObject({ color: 'rgb(255, 255, 255)', transform: 'none' });
      expect(styles.send).toMatchObject({ background: 'rgb(37, 99, 235)', fontSize: '14px' });
      expect(styles.input?.color).toBe('rgb(17, 24, 39)');
      expect(styles.panel).toMatchObject({ display: 'flex', margin: '0px' });
      expect(styles.hiddenHint?.display).toBe('none');

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: new URL('widget.png', ARTIFACTS).pathname });

      // A reload shows the same conversation (kept in localStorage, listed over REST).
      await page.reload();
      await expect.poll(() => page.locator(sel.launcher).count()).toBe(1);
      await page.locator(sel.launcher).click();
      await expect.poll(() => page.locator(sel.visitorMessages).count()).toBe(1);
      expect(await text(page, sel.visitorMessages)).toContain(QUESTION);
      await expect.poll(() => page.locator(sel.answers).count()).toBe(1);
      expect(await text(page, sel.answer)).toBe(answer);

      expect(errors.problems()).toEqual([]);
    });

    it('refuses a site whose origin is not on the allow-list, inside the widget and without page errors', async () => {
      const { page, errors } = await newPage();
      // Every session request's status, as the DevTools protocol reports it.
      const sessions: number[] = [];
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      const posts = new Set<string>();
      cdp.on('Network.requestWillBeSent', (e) => {
        if (e.request.url.endsWith('/api/v1/widget/session') && e.request.method === 'POST')
          posts.add(e.requestId);
      });
      cdp.on('Network.responseReceivedExtraInfo', (e) => {
        if (posts.has(e.requestId)) sessions.push(e.statusCode);
      });
      const sockets: string[] = [];
      page.on('websocket', (ws) => sockets.push(ws.url()));

      await visit(page, `${foreign.origin}/`);
      await page.locator(sel.launcher).click();
      await expect.poll(() => page.locator(sel.error).isVisible()).toBe(true);
      expect(await text(page, `${W} .err span`)).toBe('The chat is not available on this website.');
      expect(await page.locator(`${W} .err`).getAttribute('role')).toBe('alert');

      // Trying to chat anyway: nothing is sent and no answer comes.
      await page.locator(sel.input).fill('Hello, is anyone there?');
      await page.keyboard.press('Enter');
      await expect.poll(() => sessions.length).toBeGreaterThanOrEqual(2);
      expect(await page.locator(sel.error).isVisible()).toBe(true);
      expect(await page.locator(sel.visitorMessages).count()).toBe(0);
      expect(await page.locator(sel.answers).count()).toBe(0);
      expect(sockets).toEqual([]);
      expect(
        sessions.every((s) => s >= 400 && s < 500),
        JSON.stringify(sessions),
      ).toBe(true);
      expect(sessions).toContain(403);

      // The browser logs the refused request itself (not a script error); nothing else.
      expect(errors.pageErrors).toEqual([]);
      expect(errors.problems({ allowNetwork: true })).toEqual([]);
    });

    it('works with the keyboard alone: launcher, focus trap, Enter to send, Escape back to the launcher', async () => {
      const { page, errors } = await newPage();
      await visit(page, `${allowed.origin}/`);

      // Tab from the top of the page reaches the launcher (after the page's own link).
      let onLauncher = false;
      for (let i = 0; i < 10 && !onLauncher; i++) {
        await page.keyboard.press('Tab');
        const f = await focusState(page);
        onLauncher = f.inWidget && f.className === 'launch';
      }
      expect(onLauncher).toBe(true);

      // Enter opens, focus lands in the panel (on the message box); Escape closes and focus
      // goes back to the launcher; Space opens again.
      await page.keyboard.press('Enter');
      await expect.poll(() => page.locator(sel.panel).isVisible()).toBe(true);
      await expect.poll(async () => (await focusState(page)).tag).toBe('textarea');
      expect((await focusState(page)).inPanel).toBe(true);
      await page.keyboard.press('Escape');
      await expect.poll(() => page.locator(sel.panel).isHidden()).toBe(true);
      expect(await focusState(page)).toMatchObject({ inWidget: true, className: 'launch' });
      await page.keyboard.press('Space');
      await expect.poll(() => page.locator(sel.panel).isVisible()).toBe(true);
      await expect.poll(async () => (await focusState(page)).tag).toBe('textarea');

      /** Tab (or Shift+Tab) more times than the panel has controls; focus never leaves it. */
      const staysInside = async (key: 'Tab' | 'Shift+Tab') => {
        const controls = await panelControlCount(page);
        expect(controls).toBeGreaterThan(1);
        const visited = new Set<string>();
        for (let i = 0; i < controls + 3; i++) {
          await page.keyboard.press(key);
          const f = await focusState(page);
          expect(f, `${key} #${i + 1} of ${controls} controls`).toMatchObject({
            inWidget: true,
            inPanel: true,
          });
          visited.add(`${f.tag}.${f.className}:${f.label}`);
        }
        // It cycled through the controls rather than sticking on one.
        expect(visited.size).toBe(controls);
      };
      /** Tabs round the panel to the message box (no mouse, no programmatic focus). */
      const tabToInput = async () => {
        for (let i = 0; i < 20 && (await focusState(page)).tag !== 'textarea'; i++)
          await page.keyboard.press('Tab');
        expect((await focusState(page)).tag).toBe('textarea');
      };
      await staysInside('Tab');
      await staysInside('Shift+Tab');

      // Back to the message box, type, Enter sends; the answer arrives.
      await tabToInput();
      await page.keyboard.type('What does the workshop charge to repair a torn tent?');
      await page.keyboard.press('Enter');
      await expect.poll(() => text(page, sel.answer), { timeout: 30_000 }).toContain('29 euros');
      await expect.poll(() => page.locator(`${W} [aria-label="Helpful"]`).isVisible()).toBe(true);
      expect(await page.locator(sel.input).inputValue()).toBe('');

      // With the answer's citation, rating and sources controls in it, the trap still holds.
      await tabToInput();
      await staysInside('Tab');
      await staysInside('Shift+Tab');

      await page.keyboard.press('Escape');
      await expect.poll(() => page.locator(sel.panel).isHidden()).toBe(true);
      expect(await focusState(page)).toMatchObject({ inWidget: true, className: 'launch' });
      expect(await page.locator(sel.launcher).getAttribute('aria-expanded')).toBe('false');

      expect(errors.problems()).toEqual([]);
    });

    it('has no serious or critical axe-core violations with the panel open and a message exchanged', async () => {
      // axe is injected as an inline script, which the host page's CSP (rightly) forbids;
      // bypassCSP applies to this test's context only, every other test runs under the CSP.
      const { page, errors } = await newPage({ bypassCSP: true });
      await visit(page, `${allowed.origin}/`);
      await page.locator(sel.launcher).click();
      await page.locator(sel.input).fill('How many days do customers have to return boots?');
      await page.keyboard.press('Enter');
      await expect.poll(() => text(page, sel.answer), { timeout: 30_000 }).toContain(FACT);
      await expect.poll(() => page.locator(`${W} [aria-label="Helpful"]`).isVisible()).toBe(true);

      await page.addScriptTag({ content: AXE });
      const { violations, shadowButtons } = await page.evaluate(async () => {
        type Result = {
          id: string;
          impact: string | null;
          help: string;
          nodes: { target: unknown[]; failureSummary?: string }[];
        };
        const axe = (
          window as unknown as {
            axe: {
              run(ctx: unknown, o: unknown): Promise<{ violations: Result[]; passes: Result[] }>;
            };
          }
        ).axe;
        const results = await axe.run(document, { resultTypes: ['violations'] });
        return {
          violations: results.violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })),
          })),
          // A node in a shadow root has a nested target: [[host selector, inner selector]].
          shadowButtons: results.passes
            .filter((r) => r.id === 'button-name')
            .flatMap((r) => r.nodes)
            .filter((n) => Array.isArray(n.target[0])).length,
        };
      });
      // The scan reached into the widget's shadow root (the host page has no buttons).
      expect(shadowButtons).toBeGreaterThan(0);
      const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      if (serious.length) console.error(JSON.stringify(serious, null, 2));
      if (violations.length > serious.length)
        console.log(
          'minor axe findings:',
          violations.map((v) => `${v.id} (${v.impact})`).join(', '),
        );
      expect(serious).toEqual([]);

      // What a screen reader is given, from Chromium's accessibility tree (which reaches into
      // the shadow root): a named dialog, and the new answer announced in a polite live region.
      const cdp = await page.context().newCDPSession(page);
      const { nodes } = await cdp.send('Accessibility.getFullAXTree');
      const prop = (n: (typeof nodes)[number], name: string) =>
        n.properties?.find((p) => p.name === name)?.value.value;
      expect(
        nodes.some((n) => n.role?.value === 'dialog' && String(n.name?.value ?? '').length > 0),
      ).toBe(true);
      const byId = new Map(nodes.map((n) => [n.nodeId, n]));
      const announced = nodes
        .filter((n) => prop(n, 'live') === 'polite')
        .flatMap((n) => n.childIds ?? [])
        .map((id) => String(byId.get(id)?.name?.value ?? ''));
      expect(announced.join(' ')).toContain(FACT);
      expect(announced.join(' ')).toMatch(/^[^:]+: /); // who said it, then what

      expect(errors.problems()).toEqual([]);
    });

    it('refuses an over-long message in place, and speaks German and Arabic (right-to-left)', async () => {
      const { page, errors } = await newPage();
      const conversations: string[] = [];
      page.on('request', (r) => {
        if (r.method() === 'POST' && r.url().endsWith('/api/v1/conversations'))
          conversations.push(r.url());
      });
      await visit(page, `${allowed.origin}/`);
      await page.locator(sel.launcher).click();

      const long = `${'All work and no play. '.repeat(400)}`.slice(0, 8_001);
      expect(long.length).toBe(8_001);
      await page.locator(sel.input).fill(long);
      await expect.poll(() => page.locator(sel.hint).isVisible()).toBe(true);
      expect(await text(page, sel.hint)).toBe(
        'Your message is too long (8001 of at most 8000 characters).',
      );
      expect(await page.locator(sel.input).getAttribute('aria-invalid')).toBe('true');
      await page.locator(sel.input).press('Enter');
      await page.locator(sel.send).click();
      // A moment for anything that would go out (the check below does not depend on it).
      await page.waitForTimeout(300);
      // Still there, still refused, nothing sent: no conversation was even created.
      expect(await page.locator(sel.input).inputValue()).toBe(long);
      expect(await page.locator(sel.hint).isVisible()).toBe(true);
      expect(await page.locator(sel.visitorMessages).count()).toBe(0);
      expect(conversations).toEqual([]);
      // Shortened to the limit, the hint goes.
      await page.locator(sel.input).fill(long.slice(0, 8_000));
      await expect.poll(() => page.locator(sel.hint).isHidden()).toBe(true);
      expect(await page.locator(sel.input).getAttribute('aria-invalid')).toBe('false');

      // German, from data-locale="de" on the script tag.
      const de = await newPage();
      await visit(de.page, `${allowed.origin}/?locale=de`);
      expect(await de.page.locator(sel.launcher).getAttribute('aria-label')).toBe('Chat öffnen');
      await de.page.locator(sel.launcher).click();
      await expect.poll(() => de.page.locator(sel.panel).isVisible()).toBe(true);
      expect(await de.page.locator(sel.panel).getAttribute('lang')).toBe('de');
      expect(await de.page.locator(sel.panel).getAttribute('dir')).toBe('ltr');
      expect(await text(de.page, sel.send)).toBe('Senden');
      expect(await de.page.locator(sel.input).getAttribute('placeholder')).toBe(
        'Nachricht eingeben…',
      );
      expect(await text(de.page, `${W} .msgs > .m.a:first-child`)).toBe(
        'Hallo! Wie können wir Ihnen helfen?',
      );
      await de.page.locator(sel.input).fill('x'.repeat(8_001));
      await expect
        .poll(() => text(de.page, sel.hint))
        .toBe('Ihre Nachricht ist zu lang (8001 von höchstens 8000 Zeichen).');

      // Arabic, from data-locale="ar": the panel is right-to-left.
      const ar = await newPage();
      await visit(ar.page, `${allowed.origin}/?locale=ar`);
      await ar.page.locator(sel.launcher).click();
      await expect.poll(() => ar.page.locator(sel.panel).isVisible()).toBe(true);
      expect(await ar.page.locator(sel.panel).getAttribute('dir')).toBe('rtl');
      expect(await ar.page.locator(sel.panel).getAttribute('lang')).toBe('ar');
      expect(await text(ar.page, sel.send)).toBe('إرسال');
      expect(
        await ar.page.locator(sel.panel).evaluate((el) => getComputedStyle(el).direction),
      ).toBe('rtl');
      // And back through the SDK (window.ChatWidget.setLocale), live.
      await ar.page.evaluate(() =>
        (window as unknown as { ChatWidget: { setLocale(l: string): void } }).ChatWidget.setLocale(
          'en',
        ),
      );
      await expect.poll(() => ar.page.locator(sel.panel).getAttribute('dir')).toBe('ltr');
      await expect.poll(() => text(ar.page, sel.send)).toBe('Send');

      expect(errors.problems()).toEqual([]);
      expect(de.errors.problems()).toEqual([]);
      expect(ar.errors.problems()).toEqual([]);
    });

    it('hands over to a named person: waiting, their name in the header, their reply; the rating is stored', async () => {
      const { page, errors } = await newPage();
      await visit(page, `${allowed.origin}/`);
      await page.locator(sel.launcher).click();
      await ask(page, QUESTION, FACT);
      const title = `${W} header h2`;
      const subtitle = `${W} header p`;
      expect(await text(page, title)).toBe('Assistant');
      expect(await text(page, subtitle)).toBe('Answered by our AI assistant');
      const id = await conversationOf(page);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);

      // Thumbs up on the answer: pressed, thanked, and stored on the conversation.
      const helpful = page.locator(`${W} [aria-label="Helpful"]`);
      await helpful.click();
      await expect.poll(() => helpful.getAttribute('aria-pressed')).toBe('true');
      expect(await text(page, `${W} .panel > .bar:not(.err):has(.th) > span`)).toBe(
        'Thanks for your feedback!',
      );
      expect(
        await h.t.ownerQuery('select rating, rating_scale from chat_sessions where id = $1', [id]),
      ).toEqual([{ rating: 1, rating_scale: 'thumbs' }]);

      // "Talk to a person": the conversation waits for someone, and says so.
      const human = page.locator(`${W} .act button`);
      expect(await human.textContent()).toBe('Talk to a person');
      await human.click();
      await expect.poll(() => text(page, subtitle)).toBe('Waiting for a person to join…');
      await expect.poll(() => human.isHidden()).toBe(true);
      await expect.poll(() => page.locator(`${W} .msgs > .m.s`).count()).toBe(1);
      expect(await text(page, `${W} .msgs > .m.s`)).toContain('asked to join');
      expect(
        await h.t.ownerQuery('select status, handler from chat_sessions where id = $1', [id]),
      ).toEqual([{ status: 'waiting', handler: 'ai' }]);

      // A member with a name of their own (not the owner's) joins and claims it...
      const maria = await h.signUp('Maria home', { name: 'Maria Lopez' });
      await h.t.ownerQuery(
        'insert into memberships (tenant_id, user_id, role) values ($1, $2, $3)',
        [owner.tenantId, maria.userId, 'member'],
      );
      const signIn = await h.post('/api/auth/sign-in/email', {
        email: maria.email,
        password: maria.password,
      });
      const cookie = cookieOf(signIn.raw) ?? '';
      expect(cookie, signIn.raw.body).not.toBe('');
      const claimed = await h.mutate('conversations.claim', cookie, { id });
      expect(claimed.status, claimed.raw.body).toBe(200);
      // ...and the header names her as the one answering.
      await expect.poll(() => text(page, title)).toBe('Maria Lopez');
      await expect.poll(() => text(page, subtitle)).toBe('You are chatting with a person');
      expect(await human.isHidden()).toBe(true);

      // Her reply appears once, attributed to her.
      const reply = 'Hello, Maria here. Bring the boots to any store and we will sort it out.';
      const sent = await h.mutate('chat.send', cookie, { conversationId: id, text: reply });
      expect(sent.status, sent.raw.body).toBe(200);
      const bubble = page.locator(`${W} .msgs > .m.a`, { hasText: reply });
      await expect.poll(() => bubble.count()).toBe(1);
      expect(await bubble.locator('.who').textContent()).toBe('Maria Lopez');
      expect(await text(page, sel.answer)).toBe(reply);
      // Not the assistant's any more: no rating bar, no "writing" line under a person's reply.
      expect(await helpful.isHidden()).toBe(true);
      expect(await page.locator(sel.typing).isHidden()).toBe(true);
      const shown = await transcript(page);
      expect(shown.filter((m) => m.startsWith('u: '))).toEqual([`u: ${QUESTION}`]);
      expect(shown.filter((m) => m === `a: ${reply}`)).toHaveLength(1);

      expect(errors.problems()).toEqual([]);
    });

    it('shows a lost connection, and once it is back shows what happened meanwhile once and answers what was written offline', async () => {
      const { page, errors } = await newPage();
      const net = await cutSocket(page);
      await visit(page, `${allowed.origin}/`);
      await page.locator(sel.launcher).click();
      const offline = page.locator(`${W} .bar.off`);
      await ask(page, QUESTION, FACT);
      expect(await offline.isHidden()).toBe(true);
      const id = await conversationOf(page);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);

      // The next question is accepted, then the connection drops before any of the answer
      // arrives: the answer is written (and stored) during the outage.
      net.cutAfter((f) => f.type === 'ack' && f.data?.stage === 'accepted');
      await page.locator(sel.input).fill(REPAIR_QUESTION);
      await page.keyboard.press('Enter');
      await expect.poll(() => net.down()).toBe(true);
      await expect.poll(() => offline.isVisible()).toBe(true);
      expect(await offline.textContent()).toBe('Connection lost. Reconnecting…');
      expect(await offline.getAttribute('role')).toBe('status');
      await expect
        .poll(
          async () =>
            (
              await h.t.ownerQuery<{ n: number }>(
                "select count(*)::int as n from messages where session_id = $1 and author_type = 'ai'",
                [id],
              )
            )[0]?.n,
          { timeout: 30_000 },
        )
        .toBe(2);
      expect(await page.locator(sel.answers).count()).toBe(1);

      // Written while offline: shown at once as "Sending…", kept until the connection is back.
      const QUEUED = 'How many days do customers have to return boots?';
      await page.locator(sel.input).fill(QUEUED);
      await page.keyboard.press('Enter');
      await expect.poll(() => page.locator(sel.visitorMessages).count()).toBe(3);
      expect(await text(page, `${W} .msgs > .m.u:last-child .st`)).toBe('Sending…');
      expect(await offline.isVisible()).toBe(true);

      await net.restore();
      await expect.poll(() => offline.isHidden(), { timeout: 30_000 }).toBe(true);
      // The answer written during the outage arrives, and the queued question is answered.
      await expect.poll(() => page.locator(sel.answers).count(), { timeout: 30_000 }).toBe(3);
      await expect.poll(() => text(page, sel.answer), { timeout: 30_000 }).toContain(FACT);
      await expect.poll(() => page.locator(`${W} [aria-label="Helpful"]`).isVisible()).toBe(true);
      // Everything once and in order; nothing left sending.
      const shown = await transcript(page);
      expect(shown).toHaveLength(6);
      expect(shown.filter((m) => m.startsWith('u: '))).toEqual([
        `u: ${QUESTION}`,
        `u: ${REPAIR_QUESTION}`,
        `u: ${QUEUED}`,
      ]);
      expect(shown.map((m) => m[0]).join('')).toBe('uauaua');
      expect(shown[3]).toContain(REPAIR_FACT);
      expect(shown.filter((m) => m.includes(REPAIR_FACT))).toHaveLength(1);
      expect(await page.locator(`${W} .msgs .st`).count()).toBe(0);
      expect(
        await h.t.ownerQuery(
          'select author_type, count(*)::int as n from messages where session_id = $1 group by author_type order by author_type',
          [id],
        ),
      ).toEqual([
        { author_type: 'ai', n: 3 },
        { author_type: 'visitor', n: 3 },
      ]);

      // The browser's own lines about requests refused while offline; no script errors.
      expect(errors.pageErrors).toEqual([]);
      expect(errors.problems({ allowNetwork: true })).toEqual([]);
    });

    it('tells a visitor who sends too fast, in words, and does not store the refused message', async () => {
      // A widget of its own, limited to 2 messages a visitor a minute, on a site of its own.
      const options = { serverOrigin: server, widgetKey: '' };
      const site = await startSite(options);
      extraSites.push(site);
      const created = await h.mutate('widgets.create', owner.cookie, {
        name: 'Acme flood test',
        allowedOrigins: [site.origin],
        settings: { rateLimits: { perVisitorPerMinute: 2 } },
      });
      expect(created.status, created.raw.body).toBe(200);
      const widget = data<{ id: string; publicKey: string }>(created);
      options.widgetKey = widget.publicKey;

      const { page, errors } = await newPage();
      await visit(page, `${site.origin}/`);
      await page.locator(sel.launcher).click();
      // The limit counts per clock minute: start early in one, so all three fall in it.
      const intoMinute = Date.now() % 60_000;
      if (intoMinute > 35_000) await page.waitForTimeout(60_000 - intoMinute + 200);
      await ask(page, QUESTION, FACT);
      await ask(page, REPAIR_QUESTION, REPAIR_FACT);
      expect(await page.locator(sel.error).isHidden()).toBe(true);

      const third = 'And do you repair sleeping bags as well?';
      await page.locator(sel.input).fill(third);
      await page.keyboard.press('Enter');
      await expect.poll(() => page.locator(sel.error).isVisible()).toBe(true);
      const words = 'You are sending messages too quickly. Please wait a moment.';
      expect(await text(page, `${W} .err span`)).toBe(words);
      expect(await page.locator(sel.error).getAttribute('role')).toBe('alert');
      // The message stays, marked as not sent, with a way to try again later.
      const refused = page.locator(`${W} .msgs > .m.u`, { hasText: third });
      await expect.poll(() => refused.count()).toBe(1);
      await expect.poll(() => refused.locator('.st').textContent()).toContain('Not sent.');
      expect(await refused.locator('.st').textContent()).toContain(words);
      expect(await refused.locator('.st button').textContent()).toBe('Retry');
      // No answer is on its way.
      expect(await page.locator(sel.typing).isHidden()).toBe(true);
      expect(await page.locator(sel.answers).count()).toBe(2);

      // Two stored from this visitor, the refused one not at all.
      const stored = await h.t.ownerQuery<{ text: string }>(
        `select m.content as text from messages m join chat_sessions s on s.id = m.session_id
         where s.widget_id = $1 and m.author_type = 'visitor' order by m.created_at`,
        [widget.id],
      );
      expect(stored.map((r) => r.text)).toEqual([QUESTION, REPAIR_QUESTION]);

      expect(errors.problems()).toEqual([]);
    }, 120_000); // It may wait up to 25 s for the start of a minute.

    it('says so in words when its key is wrong or was rotated, without page errors', async () => {
      const options = { serverOrigin: server, widgetKey: '' };
      const site = await startSite(options);
      extraSites.push(site);
      const created = await h.mutate('widgets.create', owner.cookie, {
        name: 'Acme rotated',
        allowedOrigins: [site.origin],
      });
      const widget = data<{ id: string; publicKey: string }>(created);
      options.widgetKey = widget.publicKey;
      const rotated = await h.mutate('widgets.rotateKey', owner.cookie, { id: widget.id });
      expect(rotated.status, rotated.raw.body).toBe(200);

      const { page, errors } = await newPage();
      await visit(page, `${site.origin}/`);
      await page.locator(sel.launcher).click();
      await expect.poll(() => page.locator(sel.error).isVisible()).toBe(true);
      expect(await text(page, `${W} .err span`)).toBe(
        'This chat is not set up correctly (its key is not valid).',
      );
      await page.locator(sel.input).fill('Hello?');
      await page.keyboard.press('Enter');
      expect(await page.locator(sel.answers).count()).toBe(0);
      expect(errors.pageErrors).toEqual([]);
      expect(errors.problems({ allowNetwork: true })).toEqual([]);
    });

    it("takes its colours, side and greeting from the widget's settings, draws inline in a container, and tells members who the visitor is", async () => {
      const options = { serverOrigin: server, widgetKey: '' };
      const site = await startSite(options);
      extraSites.push(site);
      const created = await h.mutate('widgets.create', owner.cookie, {
        name: 'Acme styled',
        allowedOrigins: [site.origin],
        settings: {
          theme: { primaryColor: '#9a3412', backgroundColor: '#fffbeb' },
          position: 'bottom-left',
          greeting: 'Welcome to Acme Outdoor! Ask us about returns and repairs.',
        },
      });
      expect(created.status, created.raw.body).toBe(200);
      const widget = data<{ id: string; publicKey: string }>(created);
      options.widgetKey = widget.publicKey;

      const { page, errors } = await newPage();
      await visit(page, `${site.origin}/`);
      const launcher = page.locator(sel.launcher);
      // Its colour arrives with the session: wait for it rather than the default blue.
      await expect
        .poll(() => launcher.evaluate((el) => getComputedStyle(el).backgroundColor))
        .toBe('rgb(154, 52, 18)');
      const box = await launcher.boundingBox();
      expect(box && box.x + box.width / 2).toBeLessThan(500); // bottom-left of a 1000 px page
      await launcher.click();
      await expect
        .poll(() => text(page, `${W} .msgs > .m.a:first-child`))
        .toContain('Welcome to Acme Outdoor! Ask us about returns and repairs.');
      expect(
        await page.locator(sel.panel).evaluate((el) => getComputedStyle(el).backgroundColor),
      ).toBe('rgb(255, 251, 235)');

      // The host page names its signed-in customer; a malformed email is not passed on.
      await page.evaluate(() =>
        window.ChatWidget?.identify({ name: 'Ada Lovelace', email: 'ada@example.com' }),
      );
      await ask(page, QUESTION, FACT);
      const conversationId = await conversationOf(page);
      const stored = async () =>
        (
          await h.t.ownerQuery<{ name: string | null; email: string | null }>(
            'select visitor_name as name, visitor_email as email from chat_sessions where id = $1',
            [conversationId],
          )
        )[0];
      expect(await stored()).toEqual({ name: 'Ada Lovelace', email: 'ada@example.com' });
      await page.evaluate(() =>
        window.ChatWidget?.identify({ name: 'Ada King', email: 'ada.king@example.com' }),
      );
      await expect.poll(stored).toEqual({ name: 'Ada King', email: 'ada.king@example.com' });
      await page.evaluate(() => window.ChatWidget?.identify({ name: 'Ada King', email: 'nope' }));
      await page.waitForTimeout(300);
      expect(await stored()).toEqual({ name: 'Ada King', email: 'ada.king@example.com' });
      expect(await text(page, `${W} header`)).toContain('Ada King');

      // The same widget drawn inside the page's own element, in its flow.
      const inline = await newPage();
      await visit(inline.page, `${site.origin}/contact`);
      expect(
        await inline.page.evaluate(
          () => document.querySelector('#help-chat > [data-chat-widget]') !== null,
        ),
      ).toBe(true);
      expect(
        await inline.page.locator(`${W} .w`).evaluate((el) => getComputedStyle(el).position),
      ).toBe('static');
      await inline.page.locator(sel.launcher).click();
      await ask(inline.page, REPAIR_QUESTION, REPAIR_FACT);

      expect(errors.problems()).toEqual([]);
      expect(inline.errors.problems()).toEqual([]);
    });
  },
);
