import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testDrivers } from '@platform/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditRetention, databasePurger } from '../src/audit-retention.ts';
import {
  type Account,
  data,
  type Harness,
  PUBLIC_URL,
  type Reply,
  startHarness,
  trpcError,
} from './harness.ts';

type Entry = {
  id: string;
  createdAt: string;
  action: string;
  actor: { type: string; userId: string | null; name: string | null; email: string | null };
  resourceType: string | null;
  resourceId: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  metadata: Record<string, unknown>;
};
type Page = { items: Entry[]; nextCursor: string | null };

const UA = 'AuditBrowser/2.0 (X11; Linux x86_64)';
/** A user agent a spreadsheet would run as a formula if the export did not defuse it. */
const FORMULA_UA = '=cmd|"/C calc"!A0';
/** A name that is a formula, with quotes and a comma for the CSV quoting. */
const FORMULA_NAME = '=HYPERLINK("https://evil.example","click")';

/** RFC 4180 reader for the test's own check of the export (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell || row.length) throw new Error('CSV does not end with CRLF');
  return rows;
}

/** Drizzle wraps driver errors; the database's own words are the cause. */
async function refusal(work: Promise<unknown>): Promise<string> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e as Error & { cause?: Error },
  );
  if (!error) throw new Error('expected the database to refuse');
  return error.cause?.message ?? error.message;
}

describe.each(testDrivers())('audit log (%s)', (driver) => {
  let h: Harness;
  let vendor: Server | undefined;
  let vendorUrl = '';

  beforeAll(async () => {
    // A vendor that accepts every key, so providerKeys.set can store one.
    vendor = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"data":[]}');
    });
    const server = vendor;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    vendorUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    h = await startHarness(driver);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await new Promise((resolve) => vendor?.close(resolve));
  });

  /** A tRPC mutation from a browser with this user agent (and the session's CSRF token). */
  async function send(
    path: string,
    who: Account,
    input: unknown,
    userAgent: string = UA,
  ): Promise<Reply> {
    const token = await h.csrf(who.cookie);
    const raw = await h.app.inject({
      method: 'POST',
      url: `/trpc/${path}`,
      headers: {
        origin: PUBLIC_URL,
        'content-type': 'application/json',
        cookie: who.cookie,
        'user-agent': userAgent,
        ...(token ? { 'x-csrf-token': token } : {}),
      },
      payload: JSON.stringify(input),
    });
    return { status: raw.statusCode, body: JSON.parse(raw.body), raw };
  }
  const ok = (r: Reply) => {
    expect(r.status, r.raw.body).toBe(200);
    return r;
  };
  const list = async (who: Account, input: Record<string, unknown> = {}) =>
    data<Page>(ok(await h.query('audit.list', who.cookie, { limit: 200, ...input })));
  const only = async (who: Account, action: string) => {
    const { items } = await list(who, { action });
    expect(items, action).toHaveLength(1);
    return items[0] as Entry;
  };

  it('records a role change with before/after, the actor, the client IP and user agent', async () => {
    const owner = await h.signUp('Audit Roles Ltd', { name: 'Olivia Owner' });
    const member = await h.joinAs(owner, 'member');
    ok(await send('users.updateRole', owner, { userId: member.userId, role: 'admin' }));

    expect(await only(owner, 'member.role_changed')).toMatchObject({
      actor: { type: 'user', userId: owner.userId, name: 'Olivia Owner', email: owner.email },
      resourceType: 'user',
      resourceId: member.userId,
      // fastify.inject connects from 127.0.0.1; no proxy is trusted, so that is request.ip.
      ipAddress: '127.0.0.1',
      userAgent: UA,
      metadata: { before: { role: 'member' }, after: { role: 'admin' } },
    });
    // A refused change (an admin may not mint owners) leaves no entry.
    const refused = await send('users.updateRole', member, {
      userId: member.userId,
      role: 'owner',
    });
    expect(refused.status).toBe(403);
    expect((await list(owner, { actionPrefix: 'member.' })).items).toHaveLength(1);
  });

  it('audits security settings with only the fields that changed, and never a secret', async () => {
    const owner = await h.signUp('Audit Settings Ltd');
    const apiKey = 'sk-audit-secret-provider-9876';
    ok(await send('providerKeys.set', owner, { provider: 'openai', apiKey, baseUrl: vendorUrl }));
    ok(await send('providerKeys.remove', owner, { provider: 'openai' }));
    ok(await send('budgets.set', owner, { monthlyLimitUsd: 50 }));
    ok(await send('budgets.set', owner, { monthlyLimitUsd: 50, exhaustedPolicy: 'block' }));
    const widget = data<{ id: string }>(
      ok(
        await send('widgets.create', owner, {
          name: 'Shop',
          allowedOrigins: ['https://shop.example.com'],
        }),
      ),
    );
    ok(
      await send('widgets.update', owner, {
        id: widget.id,
        allowedOrigins: ['https://shop.example.com', 'https://*.shop.example.com'],
        settings: { greeting: 'Hello there' },
      }),
    );
    ok(await send('widgets.rotateKey', owner, { id: widget.id }));
    const persona = data<{ id: string }>(
      ok(await send('personalities.create', owner, { name: 'Guide', systemPrompt: 'Be brief.' })),
    );
    ok(await send('personalities.update', owner, { id: persona.id, tone: 'warm and precise' }));
    ok(
      await send('conversations.setHandoffRules', owner, {
        lowConfidence: { threshold: 0.2, channels: ['widget'] },
        keywords: ['refund'],
      }),
    );
    const collection = data<{ id: string }>(
      ok(await send('collections.create', owner, { name: 'Policies' })),
    );
    ok(await send('collections.remove', owner, { collectionId: collection.id }));

    expect((await only(owner, 'provider_key.set')).metadata).toEqual({
      before: { keyHint: null, baseUrl: null },
      after: { keyHint: '…9876', baseUrl: vendorUrl },
    });
    expect((await only(owner, 'provider_key.removed')).metadata).toEqual({
      before: { keyHint: '…9876', baseUrl: vendorUrl },
    });
    const budgets = (await list(owner, { action: 'budget.updated' })).items;
    expect(budgets.map((e) => e.metadata)).toEqual([
      { before: { exhaustedPolicy: 'tier1' }, after: { exhaustedPolicy: 'block' } },
      { before: { monthlyLimitMicros: null }, after: { monthlyLimitMicros: 50_000_000 } },
    ]);
    expect(await only(owner, 'widget.updated')).toMatchObject({
      resourceId: widget.id,
      metadata: {
        before: { allowedOrigins: ['https://shop.example.com'], 'settings.greeting': null },
        after: {
          allowedOrigins: ['https://shop.example.com', 'https://*.shop.example.com'],
          'settings.greeting': 'Hello there',
        },
      },
    });
    expect((await only(owner, 'widget.updated')).metadata.before).not.toHaveProperty('name');
    expect((await only(owner, 'widget.key_rotated')).resourceId).toBe(widget.id);
    const personality = await only(owner, 'personality.updated');
    expect(personality.metadata).toMatchObject({ version: 2, after: { tone: 'warm and precise' } });
    expect(Object.keys(personality.metadata.after as object)).toEqual(['tone']);
    expect((await only(owner, 'handoff_rules.updated')).metadata).toEqual({
      before: { keywords: [] },
      after: { keywords: ['refund'] },
    });
    expect((await only(owner, 'collection.created')).resourceId).toBe(collection.id);
    expect((await only(owner, 'collection.deleted')).metadata).toEqual({
      before: { name: 'Policies' },
    });

    const all = await list(owner);
    expect(JSON.stringify(all)).not.toContain(apiKey);
    expect(JSON.stringify(all)).not.toContain(apiKey.slice(0, -4));
    // Each change above, by the owner from this browser (sign-ins, audited elsewhere, aside).
    const changes = all.items.filter(
      (e) => !/^(session|auth|user|mfa|password|tenant|member)\./.test(e.action),
    );
    expect(changes.map((e) => e.action).sort()).toEqual([
      'budget.updated',
      'budget.updated',
      'collection.created',
      'collection.deleted',
      'handoff_rules.updated',
      'personality.created',
      'personality.updated',
      'provider_key.removed',
      'provider_key.set',
      'widget.created',
      'widget.key_rotated',
      'widget.updated',
    ]);
    for (const e of changes)
      expect(e, e.action).toMatchObject({
        actor: { userId: owner.userId },
        ipAddress: '127.0.0.1',
        userAgent: UA,
      });
    // Every action reads `<resource>.<verb_past>`.
    for (const e of all.items) expect(e.action).toMatch(/^[a-z_]+\.[a-z_]+$/);
  });

  it('filters and pages newest first with an opaque cursor', async () => {
    const owner = await h.signUp('Audit Paging Ltd');
    const admin = await h.joinAs(owner, 'admin');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const made = await send('collections.create', owner, { name: `Shelf ${i}` });
      ids.push(data<{ id: string }>(ok(made)).id);
    }
    const byAdmin = data<{ id: string }>(
      ok(await send('collections.create', admin, { name: 'Admin shelf' })),
    );

    const seen: Entry[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await list(owner, {
        actionPrefix: 'collection.',
        limit: 2,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages++;
      if (cursor) expect(cursor).not.toMatch(/[|:]/);
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen.map((e) => e.resourceId)).toEqual([byAdmin.id, ...ids.slice().reverse()]);
    expect(new Set(seen.map((e) => e.id)).size).toBe(6);

    // (Sign-ins may be audited too: keep to collections.)
    const mine = await list(owner, { actorUserId: admin.userId, actionPrefix: 'collection.' });
    expect(mine.items.map((e) => e.resourceId)).toEqual([byAdmin.id]);
    expect(mine.items[0]?.actor).toMatchObject({ email: admin.email, name: 'Test Person' });
    const one = await list(owner, { resourceType: 'collection', resourceId: ids[2] });
    expect(one.items.map((e) => e.action)).toEqual(['collection.created']);
    expect((await list(owner, { action: 'collection' })).items).toEqual([]);
    expect((await list(owner, { actorType: 'system' })).items.every((e) => !e.actor.userId)).toBe(
      true,
    );
    const first = seen.at(-1) as Entry;
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await list(owner, { since: future })).items).toEqual([]);
    expect((await list(owner, { until: first.createdAt })).items).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ action: 'collection.created' })]),
    );
    expect(
      (await list(owner, { actionPrefix: 'collection.', since: first.createdAt, until: future }))
        .items,
    ).toHaveLength(6);

    // Bad input is a 400 naming the field, never a 500.
    const bad = async (input: Record<string, unknown>, field: string) => {
      const reply = await h.query('audit.list', owner.cookie, input);
      expect(reply.status, JSON.stringify(input)).toBe(400);
      expect(trpcError(reply).data.field).toBe(field);
    };
    await bad({ cursor: 'not-a-cursor' }, 'cursor');
    await bad(
      {
        cursor: Buffer.from(
          '2026-02-30T00:00:00.000000Z|00000000-0000-0000-0000-000000000000',
        ).toString('base64url'),
      },
      'cursor',
    );
    await bad({ limit: 201 }, 'limit');
    await bad({ limit: 0 }, 'limit');
    await bad({ since: 'yesterday' }, 'since');
    await bad({ since: future, until: first.createdAt }, 'until');
    await bad({ actorType: 'robot' }, 'actorType');
    await bad({ actorUserId: 'me' }, 'actorUserId');
    await bad({ actionPrefix: "widget.'; drop table audit_logs; --" }, 'actionPrefix');
    await bad({ tenantId: owner.tenantId }, 'tenantId');
  });

  it('exports CSV with RFC 4180 quoting, defuses formulas, and audits the export', async () => {
    const owner = await h.signUp('Audit Export Ltd', { name: FORMULA_NAME });
    const description = 'Refunds, returns and "exchanges"\nsecond line';
    ok(await send('collections.create', owner, { name: '+SUM(A1:A9)', description }, FORMULA_UA));
    ok(await send('collections.create', owner, { name: 'Plain' }, '@evil-agent'));

    const exported = data<{ csv: string; rows: number; truncated: boolean }>(
      ok(await send('audit.export', owner, { actionPrefix: 'collection.' })),
    );
    expect(exported).toMatchObject({ rows: 2, truncated: false });
    expect(exported.csv.endsWith('\r\n')).toBe(true);
    const [header, ...rows] = parseCsv(exported.csv);
    expect(header).toEqual([
      'time',
      'actor_type',
      'actor_user_id',
      'actor_name',
      'actor_email',
      'action',
      'resource_type',
      'resource_id',
      'ip_address',
      'user_agent',
      'metadata',
    ]);
    expect(rows).toHaveLength(2);
    const col = (name: string) => (header as string[]).indexOf(name);
    const [plain, formula] = rows as [string[], string[]];
    // Newest first; every cell that starts like a formula gets a leading quote.
    expect(plain[col('user_agent')]).toBe("'@evil-agent");
    expect(formula[col('user_agent')]).toBe(`'${FORMULA_UA}`);
    expect(formula[col('actor_name')]).toBe(`'${FORMULA_NAME}`);
    expect(formula[col('actor_email')]).toBe(owner.email);
    expect(formula[col('ip_address')]).toBe('127.0.0.1');
    expect(JSON.parse(formula[col('metadata')] as string)).toEqual({
      after: { name: '+SUM(A1:A9)', description },
    });
    // No cell of the raw text starts a formula: each begins with a quote or a plain character.
    for (const cell of rows.flat()) expect(cell).not.toMatch(/^[=+\-@]/);
    expect(exported.csv).toContain(`"'=HYPERLINK(""https://evil.example"",""click"")"`);

    expect(await only(owner, 'audit.exported')).toMatchObject({
      actor: { userId: owner.userId },
      resourceType: 'audit_log',
      ipAddress: '127.0.0.1',
      metadata: { filters: { actionPrefix: 'collection.' }, rows: 2, truncated: false },
    });
    // The export's own entry is not in that export, and an unfiltered one holds it.
    const again = data<{ csv: string; rows: number }>(ok(await send('audit.export', owner, {})));
    expect(again.csv).toContain('audit.exported');
  });

  it('refuses members (403) and anonymous callers (401), and exports nothing for them', async () => {
    const owner = await h.signUp('Audit Members Ltd');
    const member = await h.joinAs(owner, 'member');
    const listed = await h.query('audit.list', member.cookie, {});
    expect(listed.status).toBe(403);
    expect(trpcError(listed).data.code).toBe('FORBIDDEN');
    const exported = await send('audit.export', member, {});
    expect(exported.status).toBe(403);
    expect(JSON.stringify(exported.body)).not.toContain('csv');
    expect((await h.query('audit.list', undefined, {})).status).toBe(401);
    expect((await list(owner, { action: 'audit.exported' })).items).toEqual([]);
  });

  it('keeps audit entries append-only for the runtime role: UPDATE and DELETE are denied', async () => {
    const owner = await h.signUp('Audit Tamper Ltd');
    ok(await send('collections.create', owner, { name: 'Evidence' }));
    const { id } = await only(owner, 'collection.created');
    const before = await h.t.ownerQuery('select * from audit_logs where tenant_id = $1', [
      owner.tenantId,
    ]);
    const inTenant = (statement: ReturnType<typeof sql>) =>
      h.platform.db.withTenant(owner.tenantId, (tx) => tx.execute(statement));

    expect(
      await refusal(inTenant(sql`update audit_logs set action = 'rewritten' where id = ${id}`)),
    ).toMatch(/permission denied/);
    expect(await refusal(inTenant(sql`update audit_logs set ip_address = '10.0.0.1'`))).toMatch(
      /permission denied/,
    );
    expect(await refusal(inTenant(sql`delete from audit_logs where id = ${id}`))).toMatch(
      /permission denied/,
    );
    expect(await refusal(inTenant(sql`delete from audit_logs`))).toMatch(/permission denied/);
    expect(await refusal(inTenant(sql`truncate audit_logs`))).toMatch(/permission denied/);
    // Appending still works (and is the only write there is).
    await inTenant(
      sql`insert into audit_logs (tenant_id, actor_type, action) values (${owner.tenantId}, 'system', 'test.appended')`,
    );
    const after = await h.t.ownerQuery(
      `select * from audit_logs where tenant_id = $1 and action <> 'test.appended'`,
      [owner.tenantId],
    );
    expect(after).toEqual(before);
  });

  it('purges entries past AUDIT_RETENTION_DAYS only through the definer function', async () => {
    const owner = await h.signUp('Audit Retention Ltd');
    const other = await h.signUp('Audit Retention Other');
    const old = (tenantId: string, days: number, action: string) =>
      h.t.ownerQuery(
        `insert into audit_logs (tenant_id, actor_type, action, created_at)
         values ($1, 'system', $2, now() - make_interval(days => $3::int))`,
        [tenantId, action, days],
      );
    await old(owner.tenantId, 400, 'test.ancient');
    await old(other.tenantId, 366, 'test.ancient');
    await old(owner.tenantId, 30, 'test.recent');
    const count = async (action: string) =>
      (
        await h.t.ownerQuery<{ n: number }>(
          'select count(*)::int as n from audit_logs where action = $1',
          [action],
        )
      )[0]?.n;
    const warnings: string[] = [];
    const log = {
      info: () => {},
      warn: (_o: object, msg?: string) => void warnings.push(msg ?? ''),
    };
    const retention = (retentionDays: number) =>
      createAuditRetention({ purger: databasePurger(h.platform.db), retentionDays, log });

    expect(await retention(0).runOnce()).toBe('disabled');
    expect(await count('test.ancient')).toBe(2);
    const purged = await retention(365).runOnce();
    expect(purged).toMatchObject({ deleted: 2 });
    expect(await count('test.ancient')).toBe(0);
    expect(await count('test.recent')).toBe(1);
    expect((await list(owner, {})).items.length).toBeGreaterThan(0);

    expect(warnings).toEqual([]);

    // The function refuses a cut-off inside the last 30 days, and the runtime still cannot
    // DELETE, nor back-date what it appends.
    expect(
      await refusal(h.platform.db.purgeAuditLogs(new Date(Date.now() - 29 * 86_400_000))),
    ).toMatch(/at least 30 days ago/);
    await h.platform.db.withTenant(owner.tenantId, (tx) =>
      tx.execute(
        sql`insert into audit_logs (tenant_id, actor_type, action, created_at) values (${owner.tenantId}, 'system', 'test.backdated', now() - interval '400 days')`,
      ),
    );
    const [stamped] = await h.t.ownerQuery<{ age: number }>(
      `select extract(epoch from now() - created_at)::int as age from audit_logs where action = 'test.backdated'`,
    );
    expect(stamped?.age).toBeLessThan(3600);
    expect(
      await refusal(
        h.platform.db.withTenant(owner.tenantId, (tx) =>
          tx.execute(sql`delete from audit_logs where action = 'test.recent'`),
        ),
      ),
    ).toMatch(/permission denied/);
    expect(await count('test.recent')).toBe(1);
  });

  // Regression from fuzz.security.test.ts: year 0000 (or 10000 once offset to UTC) reached
  // PostgreSQL and failed as a 500.
  it('refuses instants outside 1970–9999 and forged cursors with 400 naming the field', async () => {
    const owner = await h.signUp('Audit Range');
    const id = '00000000-0000-4000-8000-000000000000';
    const cursor = Buffer.from(`0000-01-01T00:00:00.000000Z|${id}`).toString('base64url');
    for (const [input, field] of [
      [{ since: '0000-01-01T00:00:00+14:00' }, 'since'],
      [{ until: '9999-12-31T23:59:59-14:00' }, 'until'],
      [{ since: '1969-12-31T23:59:59Z' }, 'since'],
      [{ cursor }, 'cursor'],
    ] as const) {
      for (const r of [
        await h.query('audit.list', owner.cookie, input),
        await send('audit.export', owner, input),
      ]) {
        expect(r.status, `${JSON.stringify(input)}: ${r.raw.body}`).toBe(400);
        expect((r.body as { error: { data: { field: string } } }).error.data.field).toBe(field);
      }
    }
  });
});
