import { randomUUID } from 'node:crypto';
import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Account,
  data,
  type Harness,
  type Reply,
  startHarness,
  trpcError,
} from './harness.ts';

const SHOP = 'https://shop.example.com';
const KEY = /^pk_[A-Za-z0-9_-]{24,}$/;

const DEFAULTS = {
  theme: { primaryColor: '#2563eb', backgroundColor: '#ffffff', textColor: '#111827' },
  position: 'bottom-right',
  greeting: null,
  language: 'en',
  rateLimits: { perVisitorPerMinute: 10, perWidgetPerMinute: 300, dailyMessageCap: 5000 },
};

type Widget = {
  id: string;
  name: string;
  publicKey: string;
  allowedOrigins: string[];
  personalityId: string | null;
  collectionId: string | null;
  isActive: boolean;
  settings: typeof DEFAULTS & { greeting: string | null };
};

/** Entries that are neither an exact origin nor a wildcard subdomain. */
const BAD_ORIGINS = [
  'shop.example.com',
  'ftp://shop.example.com',
  'https://shop.example.com/path',
  'https://shop.example.com?x=1',
  'https://shop.example.com#top',
  'https://user@shop.example.com',
  'https://*.com',
  'https://*example.com',
  'https://a.*.example.com',
  'https://*.*.example.com',
  'https://*.10.0.0.1',
  'https://',
  'https://exa mple.com',
  'https://shop.example.com:99999',
  'javascript:alert(1)',
  'null',
  '*',
];

/** Settings an update must refuse, with the field the 400 names. */
const BAD_SETTINGS: [unknown, string][] = [
  [{ theme: { primaryColor: 'red' } }, 'settings.theme.primaryColor'],
  [{ theme: { backgroundColor: '#12345' } }, 'settings.theme.backgroundColor'],
  [{ theme: { textColor: '#gggggg' } }, 'settings.theme.textColor'],
  [{ theme: { accent: '#123456' } }, 'settings.theme.accent'],
  [{ position: 'top-left' }, 'settings.position'],
  [{ greeting: 'x'.repeat(501) }, 'settings.greeting'],
  [{ language: 'english!' }, 'settings.language'],
  [{ language: 'e' }, 'settings.language'],
  [{ rateLimits: { perVisitorPerMinute: 0 } }, 'settings.rateLimits.perVisitorPerMinute'],
  [{ rateLimits: { perVisitorPerMinute: 601 } }, 'settings.rateLimits.perVisitorPerMinute'],
  [{ rateLimits: { perVisitorPerMinute: 1.5 } }, 'settings.rateLimits.perVisitorPerMinute'],
  [{ rateLimits: { perWidgetPerMinute: 10_001 } }, 'settings.rateLimits.perWidgetPerMinute'],
  [{ rateLimits: { dailyMessageCap: 0 } }, 'settings.rateLimits.dailyMessageCap'],
  [{ rateLimits: { dailyMessageCap: 1_000_001 } }, 'settings.rateLimits.dailyMessageCap'],
  [{ rateLimits: { dailyMessageCap: '5000' } }, 'settings.rateLimits.dailyMessageCap'],
  [{ colour: '#123456' }, 'settings.colour'],
];

describe.each(testDrivers())('widgets router (%s)', (driver) => {
  let h: Harness;
  let owner: Account;
  let admin: Account;
  let member: Account;
  let personalityId: string;
  let collectionId: string;

  const create = async (cookie: string, input: Record<string, unknown>) => {
    const r = await h.mutate('widgets.create', cookie, input);
    expect(r.status, r.raw.body).toBe(200);
    return data<Widget>(r);
  };
  const update = (cookie: string, input: Record<string, unknown>) =>
    h.mutate('widgets.update', cookie, input);
  /** The public side: a page on `origin` trades the key for a visitor session. */
  const session = (widgetKey: string, origin = SHOP) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/widget/session',
      headers: { 'content-type': 'application/json', origin },
      payload: JSON.stringify({ widgetKey }),
    });
  /** A new visitor of the widget starts a conversation; the result sends into it over REST (JSON). */
  const visitorConversation = async (widgetKey: string) => {
    const { token } = JSON.parse((await session(widgetKey)).body) as { token: string };
    const headers = {
      authorization: `Bearer ${token}`,
      origin: SHOP,
      'content-type': 'application/json',
      accept: 'application/json',
    };
    const started = await h.app.inject({
      method: 'POST',
      url: '/api/v1/conversations',
      headers,
      payload: '{}',
    });
    const { id } = JSON.parse(started.body) as { id: string };
    return (text: string) =>
      h.app.inject({
        method: 'POST',
        url: `/api/v1/conversations/${id}/messages`,
        headers,
        payload: JSON.stringify({ text }),
      });
  };
  const row = async (id: string) =>
    (await h.t.ownerQuery('select * from widgets where id = $1', [id]))[0];
  const audits = async (action: string) =>
    (
      await h.t.ownerQuery<{ resource_id: string }>(
        'select resource_id from audit_logs where tenant_id = $1 and action = $2',
        [owner.tenantId, action],
      )
    ).map((a) => a.resource_id);
  const widgetCount = async () =>
    Number(
      (
        await h.t.ownerQuery<{ n: string }>(
          'select count(*) as n from widgets where tenant_id = $1',
          [owner.tenantId],
        )
      )[0]?.n,
    );
  const expect400 = (r: Reply, field: string, label: string) => {
    expect(r.status, `${label}: ${r.raw.body}`).toBe(400);
    expect(trpcError(r).data, label).toMatchObject({ code: 'BAD_REQUEST', field });
  };

  beforeAll(async () => {
    h = await startHarness(driver);
    owner = await h.signUp('Widget Shop');
    admin = await h.joinAs(owner, 'admin');
    member = await h.joinAs(owner, 'member');
    const personality = await h.mutate('personalities.create', owner.cookie, {
      name: 'Shop assistant',
      systemPrompt: 'Help shoppers.',
    });
    personalityId = data<{ id: string }>(personality).id;
    const collection = await h.mutate('collections.create', owner.cookie, { name: 'Help centre' });
    collectionId = data<{ id: string }>(collection).id;
  });
  afterAll(() => h?.close());

  it('creates a widget with a fresh key, canonical origins and every default', async () => {
    const widget = await create(owner.cookie, {
      name: 'Shop',
      allowedOrigins: [
        'HTTPS://Shop.Example.com/',
        'https://shop.example.com:443',
        'https://*.Brand.example',
        'http://localhost:3000',
      ],
    });
    expect(widget.publicKey).toMatch(KEY);
    expect(widget.allowedOrigins).toEqual([
      SHOP,
      'https://*.brand.example',
      'http://localhost:3000',
    ]);
    expect(widget).toMatchObject({ personalityId: null, collectionId: null, isActive: true });
    expect(widget.settings).toEqual(DEFAULTS);
    // Only what was chosen is stored; defaults are filled in on read.
    expect((await row(widget.id))?.settings).toEqual({});
    expect(await audits('widget.created')).toContain(widget.id);

    // Any member reads; the list and one widget agree.
    const got = await h.query('widgets.get', member.cookie, { id: widget.id });
    expect(got.status, got.raw.body).toBe(200);
    expect(data(got)).toEqual(data(await h.query('widgets.get', owner.cookie, { id: widget.id })));
    const listed = data<{ items: Widget[] }>(await h.query('widgets.list', member.cookie));
    expect(listed.items.find((w) => w.id === widget.id)).toEqual(data(got));

    // The key works on the public side, for exactly the allowed origins.
    expect((await session(widget.publicKey)).statusCode).toBe(200);
    expect((await session(widget.publicKey, 'https://eu.brand.example')).statusCode).toBe(200);
    expect((await session(widget.publicKey, 'https://brand.example')).statusCode).toBe(403);
    expect((await session(widget.publicKey, 'http://localhost:3000')).statusCode).toBe(200);
  });

  it('stores chosen settings, merges changes field by field and can unset the greeting', async () => {
    const widget = await create(admin.cookie, {
      name: 'Styled',
      personalityId,
      collectionId,
      settings: {
        theme: { primaryColor: '#FF0000' },
        position: 'bottom-left',
        greeting: '  Hello there!  ',
        language: 'pt-br',
        rateLimits: { perVisitorPerMinute: 20 },
      },
    });
    expect(widget).toMatchObject({ personalityId, collectionId });
    expect(widget.settings).toEqual({
      theme: { ...DEFAULTS.theme, primaryColor: '#ff0000' },
      position: 'bottom-left',
      greeting: 'Hello there!',
      language: 'pt-BR',
      rateLimits: { ...DEFAULTS.rateLimits, perVisitorPerMinute: 20 },
    });

    const changed = await update(owner.cookie, {
      id: widget.id,
      name: 'Restyled',
      settings: { theme: { textColor: '#000000' }, rateLimits: { dailyMessageCap: 1_000_000 } },
    });
    expect(changed.status, changed.raw.body).toBe(200);
    expect(data<Widget>(changed)).toMatchObject({
      name: 'Restyled',
      personalityId,
      settings: {
        theme: { ...DEFAULTS.theme, primaryColor: '#ff0000', textColor: '#000000' },
        position: 'bottom-left',
        greeting: 'Hello there!',
        rateLimits: { perVisitorPerMinute: 20, perWidgetPerMinute: 300, dailyMessageCap: 1e6 },
      },
    });
    expect(await audits('widget.updated')).toContain(widget.id);

    const cleared = await update(owner.cookie, {
      id: widget.id,
      personalityId: null,
      settings: { greeting: null },
    });
    expect(data<Widget>(cleared)).toMatchObject({ personalityId: null, collectionId });
    expect(data<Widget>(cleared).settings.greeting).toBeNull();
    expect((await row(widget.id))?.settings).toEqual({
      theme: { primaryColor: '#ff0000', textColor: '#000000' },
      position: 'bottom-left',
      language: 'pt-BR',
      rateLimits: { perVisitorPerMinute: 20, dailyMessageCap: 1_000_000 },
    });

    const empty = await update(owner.cookie, { id: widget.id });
    expect400(empty, 'input', 'empty update');
  });

  it('reads a hand-written row, replacing values that are not valid with defaults', async () => {
    const [inserted] = await h.t.ownerQuery<{ id: string }>(
      `insert into widgets (tenant_id, name, public_key, settings)
       values ($1, 'By hand', $2, $3) returning id`,
      [
        owner.tenantId,
        `pk_hand_${randomUUID()}`,
        JSON.stringify({ position: 'middle', theme: { primaryColor: '#ABCDEF', textColor: 7 } }),
      ],
    );
    const got = await h.query('widgets.get', owner.cookie, { id: inserted?.id });
    expect(data<Widget>(got).settings).toEqual({
      ...DEFAULTS,
      theme: { ...DEFAULTS.theme, primaryColor: '#abcdef' },
    });
  });

  it("gives the page the widget's look and words with its session, never its limits", async () => {
    const widget = await create(owner.cookie, {
      name: 'Branded',
      allowedOrigins: [SHOP],
      settings: {
        theme: { primaryColor: '#112233' },
        greeting: 'Welcome to the shop',
        language: 'de',
      },
    });
    const got = await session(widget.publicKey);
    expect(got.statusCode).toBe(200);
    const body = JSON.parse(got.body) as { settings: Record<string, unknown> };
    expect(body.settings).toEqual({
      theme: { ...DEFAULTS.theme, primaryColor: '#112233' },
      position: 'bottom-right',
      greeting: 'Welcome to the shop',
      language: 'de',
    });
    expect(got.body).not.toContain('rateLimits');
  });

  it("enforces the widget's limits on its visitors: per visitor, per widget and per day", async () => {
    // Per-minute windows: do not start a run in a minute's last seconds.
    while (new Date().getUTCSeconds() >= 55) await new Promise((r) => setTimeout(r, 500));
    const widget = await create(owner.cookie, {
      name: 'Limited',
      allowedOrigins: [SHOP],
      settings: {
        rateLimits: { perVisitorPerMinute: 2, perWidgetPerMinute: 3, dailyMessageCap: 4 },
      },
    });
    const visitor = () => visitorConversation(widget.publicKey);
    const stored = async () =>
      Number(
        (
          await h.t.ownerQuery<{ n: string }>(
            `select count(*) as n from messages m join chat_sessions s on s.id = m.session_id
              where s.widget_id = $1 and m.author_type = 'visitor'`,
            [widget.id],
          )
        )[0]?.n,
      );
    const a = await visitor();
    expect((await a('What is the hotel cap?')).statusCode).toBe(200);
    expect((await a('And for trains?')).statusCode).toBe(200);
    const third = await a('One more?');
    expect(third.statusCode).toBe(429);
    expect(JSON.parse(third.body)).toMatchObject({ field: 'text' });
    expect(JSON.parse(third.body).message).toMatch(/2 messages a minute from one visitor/);
    expect(await stored()).toBe(2);
    // Another visitor still has room, until the widget's own minute is full.
    const b = await visitor();
    expect((await b('Hello?')).statusCode).toBe(200);
    const fourth = await b('Anyone?');
    expect(fourth.statusCode).toBe(429);
    expect(JSON.parse(fourth.body).message).toMatch(/3 messages a minute/);
    expect(await stored()).toBe(3);
    // The daily cap spans visitors and minutes.
    await h.t.ownerQuery(
      `update widgets set settings = jsonb_set(settings, '{rateLimits,perWidgetPerMinute}', '100')
        where id = $1`,
      [widget.id],
    );
    await new Promise((r) => setTimeout(r, 10_500)); // the limits are cached for 10 s
    const c = await visitor();
    expect((await c('Last one today?')).statusCode).toBe(200);
    const over = await c('Really the last?');
    expect(over.statusCode).toBe(429);
    expect(JSON.parse(over.body).message).toMatch(/4 messages a day/);
    expect(await stored()).toBe(4);
  });

  it("answers a widget's visitors from the widget's own collection only", async () => {
    const collection = async (name: string) => {
      const r = await h.mutate('collections.create', owner.cookie, { name });
      return data<{ id: string }>(r).id;
    };
    const upload = async (fileName: string, text: string, collectionId: string) => {
      const up = await h.mutate('knowledge.upload', owner.cookie, {
        fileName,
        contentBase64: Buffer.from(text).toString('base64'),
        collectionId,
      });
      const id = data<{ document: { id: string } }>(up).document.id;
      await h.platform.knowledge.start();
      await expect
        .poll(
          async () =>
            data<{ status: string }>(
              await h.query('knowledge.get', owner.cookie, { documentId: id }),
            ).status,
          { timeout: 60_000 },
        )
        .toBe('ready');
      return id;
    };
    const shop = await collection('Shop help');
    const internal = await collection('Internal');
    const shopDoc = await upload(
      'shop.md',
      '# Delivery\n\nParcels to Norway arrive within six working days by courier.\n',
      shop,
    );
    const internalDoc = await upload(
      'payroll.md',
      '# Payroll\n\nSalaries are paid on the 25th of every month by bank transfer.\n',
      internal,
    );
    const widget = await create(owner.cookie, {
      name: 'Shop widget',
      allowedOrigins: [SHOP],
      collectionId: shop,
    });
    const ask = async (text: string) => {
      const r = await (await visitorConversation(widget.publicKey))(text);
      expect(r.statusCode, r.body).toBe(200);
      const reply = (
        JSON.parse(r.body) as { reply: { citations: Array<{ documentId?: string }> } | null }
      ).reply;
      return JSON.stringify(reply);
    };
    const delivery = await ask('How long do parcels to Norway take?');
    expect(delivery).toContain('six working days');
    expect(delivery).toContain(shopDoc);
    const payroll = await ask('When are salaries paid?');
    expect(payroll).not.toContain('25th');
    expect(payroll).not.toContain(internalDoc);
  });

  it('rotates the key: the old one is refused at once, the new one admitted', async () => {
    const widget = await create(owner.cookie, { name: 'Rotating', allowedOrigins: [SHOP] });
    const before = await session(widget.publicKey);
    expect(before.statusCode).toBe(200);
    const { token } = JSON.parse(before.body) as { token: string };
    const startConversation = () =>
      h.app.inject({
        method: 'POST',
        url: '/api/v1/conversations',
        headers: { authorization: `Bearer ${token}`, origin: SHOP },
        payload: {},
      });
    expect((await startConversation()).statusCode).toBeLessThan(300);

    const rotated = await h.mutate('widgets.rotateKey', owner.cookie, { id: widget.id });
    expect(rotated.status, rotated.raw.body).toBe(200);
    const next = data<Widget>(rotated);
    expect(next.publicKey).toMatch(KEY);
    expect(next.publicKey).not.toBe(widget.publicKey);
    expect(next).toMatchObject({ id: widget.id, allowedOrigins: [SHOP] });

    const old = await session(widget.publicKey);
    expect(old.statusCode, old.body).toBe(401);
    expect(JSON.parse(old.body)).toMatchObject({ code: 'UNAUTHORIZED', field: 'widgetKey' });
    expect(await h.platform.db.widgetByKey(widget.publicKey)).toBeNull();
    expect((await session(next.publicKey)).statusCode).toBe(200);
    expect(await audits('widget.key_rotated')).toContain(widget.id);
    // Sessions issued for the old key end too, on every instance within a few seconds.
    await expect
      .poll(async () => (await startConversation()).statusCode, { timeout: 10_000, interval: 500 })
      .toBe(401);
  });

  it('refuses entries that are not origins with a 400 on allowedOrigins, changing nothing', async () => {
    const widget = await create(owner.cookie, { name: 'Guarded', allowedOrigins: [SHOP] });
    const before = await row(widget.id);
    const count = await widgetCount();
    for (const bad of BAD_ORIGINS) {
      const list = [SHOP, bad];
      expect400(
        await h.mutate('widgets.create', owner.cookie, { name: 'x', allowedOrigins: list }),
        'allowedOrigins',
        `create ${bad}`,
      );
      expect400(
        await update(owner.cookie, { id: widget.id, allowedOrigins: list }),
        'allowedOrigins',
        `update ${bad}`,
      );
    }
    expect400(
      await update(owner.cookie, { id: widget.id, allowedOrigins: SHOP }),
      'allowedOrigins',
      'not a list',
    );
    expect(await row(widget.id)).toEqual(before);
    expect(await widgetCount()).toBe(count);
  });

  it('refuses bad colours, positions, languages and limits with a 400 naming the field', async () => {
    const widget = await create(owner.cookie, { name: 'Strict' });
    const before = await row(widget.id);
    const count = await widgetCount();
    const updates = (await audits('widget.updated')).length;
    for (const [settings, field] of BAD_SETTINGS) {
      const label = JSON.stringify(settings);
      expect400(await update(owner.cookie, { id: widget.id, settings }), field, label);
      expect400(
        await h.mutate('widgets.create', owner.cookie, { name: 'x', settings }),
        field,
        label,
      );
    }
    expect400(await update(owner.cookie, { id: widget.id, name: ' ' }), 'name', 'blank name');
    expect400(
      await update(owner.cookie, { id: widget.id, tenantId: owner.tenantId }),
      'tenantId',
      'tenantId',
    );
    expect(await row(widget.id)).toEqual(before);
    expect(await widgetCount()).toBe(count);
    expect(await audits('widget.updated')).toHaveLength(updates);
  });

  it("binds only the tenant's own personality and collection (404 naming the field)", async () => {
    const other = await h.signUp('Another Shop');
    const theirs = await h.mutate('personalities.create', other.cookie, {
      name: 'Theirs',
      systemPrompt: 'Not yours.',
    });
    const theirCollection = await h.mutate('collections.create', other.cookie, { name: 'Theirs' });
    const widget = await create(owner.cookie, { name: 'Bound' });
    const before = await row(widget.id);
    const count = await widgetCount();
    for (const [field, id] of [
      ['personalityId', data<{ id: string }>(theirs).id],
      ['personalityId', randomUUID()],
      ['collectionId', data<{ id: string }>(theirCollection).id],
      ['collectionId', randomUUID()],
    ] as const) {
      for (const r of [
        await h.mutate('widgets.create', owner.cookie, { name: 'x', [field]: id }),
        await update(owner.cookie, { id: widget.id, [field]: id }),
      ]) {
        expect(r.status, r.raw.body).toBe(404);
        expect(trpcError(r).data).toMatchObject({ code: 'NOT_FOUND', field });
      }
    }
    expect400(
      await update(owner.cookie, { id: widget.id, personalityId: 'p1' }),
      'personalityId',
      'uuid',
    );
    expect(await row(widget.id)).toEqual(before);
    expect(await widgetCount()).toBe(count);
  });

  it('lets members read but not write (403); admins write', async () => {
    const widget = await create(admin.cookie, { name: 'Members', allowedOrigins: [SHOP] });
    const before = await row(widget.id);
    const count = await widgetCount();
    for (const [path, input] of [
      ['widgets.create', { name: 'Mine' }],
      ['widgets.update', { id: widget.id, name: 'Mine' }],
      ['widgets.remove', { id: widget.id }],
      ['widgets.rotateKey', { id: widget.id }],
    ] as const) {
      const r = await h.mutate(path, member.cookie, input);
      expect(r.status, `${path}: ${r.raw.body}`).toBe(403);
      expect(trpcError(r).data.code).toBe('FORBIDDEN');
    }
    expect(await row(widget.id)).toEqual(before);
    expect(await widgetCount()).toBe(count);
    expect((await h.query('widgets.list', member.cookie)).status).toBe(200);
    expect((await h.query('widgets.get', member.cookie, { id: widget.id })).status).toBe(200);
    expect((await h.query('widgets.get', undefined, { id: widget.id })).status).toBe(401);
  });

  it('deactivates, reactivates and removes a widget; its key follows', async () => {
    const widget = await create(owner.cookie, { name: 'Short-lived', allowedOrigins: [SHOP] });
    const off = await update(owner.cookie, { id: widget.id, isActive: false });
    expect(data<Widget>(off).isActive).toBe(false);
    expect((await session(widget.publicKey)).statusCode).toBe(401);
    await update(owner.cookie, { id: widget.id, isActive: true });
    expect((await session(widget.publicKey)).statusCode).toBe(200);

    const removed = await h.mutate('widgets.remove', owner.cookie, { id: widget.id });
    expect(data(removed)).toEqual({ id: widget.id, deleted: true });
    expect(await audits('widget.deleted')).toContain(widget.id);
    expect((await session(widget.publicKey)).statusCode).toBe(401);
    const gone = await h.query('widgets.get', owner.cookie, { id: widget.id });
    expect(gone.status).toBe(404);
    expect((await h.mutate('widgets.remove', owner.cookie, { id: widget.id })).status).toBe(404);
    expect((await h.mutate('widgets.rotateKey', owner.cookie, { id: widget.id })).status).toBe(404);
  });
});
