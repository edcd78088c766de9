import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, type Harness, PUBLIC_URL, startHarness } from './harness.ts';

const GUIDE = `# Travel guide

## Booking

Flights are booked through the travel desk at least two weeks ahead.

## Luggage

One checked bag of up to twenty-three kilograms is covered on every business trip.
`;

/** A multipart/form-data body as a browser or curl would send it. */
async function multipart(
  fields: Record<string, string>,
  file?: { name: string; bytes: Uint8Array },
) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) form.append('file', new Blob([file.bytes]), file.name);
  const request = new Request('http://x/', { method: 'POST', body: form });
  return {
    payload: Buffer.from(await request.arrayBuffer()),
    contentType: request.headers.get('content-type') ?? '',
  };
}

describe.each(testDrivers())('knowledge over HTTP (%s)', (driver) => {
  let h: Harness;
  let owner: Account;

  const restUpload = async (
    cookie: string | undefined,
    fields: Record<string, string>,
    file?: { name: string; bytes: Uint8Array },
    headers: Record<string, string> = {},
  ) => {
    const body = await multipart(fields, file);
    // As the dashboard sends it: from this site, with the session's CSRF token.
    const csrf = cookie ? await h.csrf(cookie) : undefined;
    const raw = await h.app.inject({
      method: 'POST',
      url: '/api/v1/knowledge/documents',
      headers: {
        'content-type': body.contentType,
        origin: PUBLIC_URL,
        ...(cookie ? { cookie } : {}),
        ...(csrf ? { 'x-csrf-token': csrf } : {}),
        ...headers,
      },
      payload: body.payload,
    });
    return { status: raw.statusCode, body: JSON.parse(raw.body) as Record<string, unknown> };
  };
  const waitReady = async (documentId: string) => {
    for (let i = 0; i < 600; i++) {
      const r = await h.query('knowledge.get', owner.cookie, { documentId });
      const doc = (r.body.result as { data: { status: string; progress: number } }).data;
      if (doc.status === 'ready' || doc.status === 'failed') return doc;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error('document never finished');
  };

  beforeAll(async () => {
    h = await startHarness(driver, { KNOWLEDGE_MAX_UPLOAD_MB: '0.05' });
    owner = await h.signUp('Knowledge Corp');
    await h.platform.knowledge.start();
  });
  afterAll(() => h?.close());

  it('uploads through tRPC, reports progress, and answers with citations', async () => {
    const up = await h.mutate('knowledge.upload', owner.cookie, {
      fileName: 'travel.md',
      contentBase64: Buffer.from(GUIDE).toString('base64'),
      tags: ['travel'],
    });
    expect(up.status).toBe(200);
    const { document, outcome } = (
      up.body.result as { data: { document: { id: string }; outcome: string } }
    ).data;
    expect(outcome).toBe('created');
    expect(await waitReady(document.id)).toMatchObject({ status: 'ready', progress: 100 });

    const found = await h.query('knowledge.search', owner.cookie, {
      query: 'how heavy may my suitcase be?',
    });
    expect(found.status).toBe(200);
    const [top] = (found.body.result as { data: { results: Record<string, unknown>[] } }).data
      .results;
    expect(top).toMatchObject({ document: 'travel.md', heading: 'Travel guide > Luggage' });
    expect(String(top?.text)).toContain('twenty-three kilograms');

    const list = await h.query('knowledge.list', owner.cookie, {});
    expect(JSON.stringify(list.body)).toContain(document.id);
  });

  it('uploads through REST multipart, deduplicating identical bytes', async () => {
    const file = {
      name: 'faq.txt',
      bytes: new TextEncoder().encode('Our helpdesk answers within four business hours.'),
    };
    const first = await restUpload(owner.cookie, { tags: 'support,faq' }, file);
    expect(first.status).toBe(201);
    const id = (first.body.document as { id: string }).id;
    expect((first.body.document as { tags: string[] }).tags).toEqual(['support', 'faq']);
    const again = await restUpload(owner.cookie, {}, file);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ outcome: 'unchanged', document: { id } });
    expect(await waitReady(id)).toMatchObject({ status: 'ready' });
  });

  it('answers bad uploads with a 4xx naming the field, storing nothing', async () => {
    const count = async () =>
      (await h.t.ownerQuery<{ n: number }>('select count(*)::int as n from knowledge_documents'))[0]
        ?.n;
    const before = await count();
    const big = { name: 'big.txt', bytes: new Uint8Array(60 * 1024).fill(97) };
    expect(await restUpload(owner.cookie, {}, big)).toMatchObject({
      status: 413,
      body: { field: 'file' },
    });
    const png = {
      name: 'x.png',
      bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]),
    };
    expect(await restUpload(owner.cookie, {}, png)).toMatchObject({
      status: 415,
      body: { field: 'file' },
    });
    const empty = { name: 'empty.md', bytes: new Uint8Array() };
    expect(await restUpload(owner.cookie, {}, empty)).toMatchObject({
      status: 400,
      body: { field: 'file' },
    });
    expect(await restUpload(owner.cookie, { title: 'no file' })).toMatchObject({
      status: 400,
      body: { field: 'file' },
    });
    const file = { name: 'ok.md', bytes: new TextEncoder().encode('# ok') };
    expect(await restUpload(owner.cookie, { collectionId: 'nope' }, file)).toMatchObject({
      status: 400,
      body: { field: 'collectionId' },
    });
    expect(await restUpload(owner.cookie, { colour: 'red' }, file)).toMatchObject({
      status: 400,
      body: { field: 'colour' },
    });
    expect(await restUpload(undefined, {}, file)).toMatchObject({ status: 401 });
    expect(
      await restUpload(owner.cookie, {}, file, { origin: 'https://evil.example' }),
    ).toMatchObject({ status: 403, body: { field: 'origin' } });

    const trpcBig = await h.mutate('knowledge.upload', owner.cookie, {
      fileName: 'big.txt',
      contentBase64: Buffer.from(big.bytes).toString('base64'),
    });
    expect(trpcBig.status).toBe(413);
    expect((trpcBig.body.error as { data: { field: string } }).data.field).toBe('file');
    const badB64 = await h.mutate('knowledge.upload', owner.cookie, {
      fileName: 'a.md',
      contentBase64: '%%%',
    });
    expect(badB64.status).toBe(400);
    expect((badB64.body.error as { data: { field: string } }).data.field).toBe('contentBase64');
    expect(await count()).toBe(before);
  });

  it('answers an empty search with 400 naming the query', async () => {
    const r = await h.query('knowledge.search', owner.cookie, { query: '   ' });
    expect(r.status).toBe(400);
    expect((r.body.error as { data: { field: string } }).data.field).toBe('query');
  });

  it('lets only owners and admins change the knowledge base', async () => {
    const { cookie } = await h.joinAs(owner, 'member');
    const me = await h.query('tenants.current', cookie);
    expect(JSON.stringify(me.body)).toContain(owner.tenantId);
    const up = await h.mutate('knowledge.upload', cookie, {
      fileName: 'm.md',
      contentBase64: Buffer.from('# member').toString('base64'),
    });
    expect(up.status).toBe(403);
    const rest = await restUpload(
      cookie,
      {},
      { name: 'm.md', bytes: new TextEncoder().encode('# member') },
    );
    expect(rest.status).toBe(403);
    const search = await h.query('knowledge.search', cookie, { query: 'suitcase weight' });
    expect(search.status).toBe(200);
  });

  it('removes a document and its passages', async () => {
    const up = await h.mutate('knowledge.upload', owner.cookie, {
      fileName: 'gone.md',
      contentBase64: Buffer.from('# Gone\n\nThe purple elephant memo.').toString('base64'),
    });
    const id = (up.body.result as { data: { document: { id: string } } }).data.document.id;
    await waitReady(id);
    const del = await h.mutate('knowledge.remove', owner.cookie, { documentId: id });
    expect(del.status).toBe(200);
    const [n] = await h.t.ownerQuery<{ n: number }>(
      'select count(*)::int as n from knowledge_chunks where document_id = $1',
      [id],
    );
    expect(n?.n).toBe(0);
    expect((await h.query('knowledge.get', owner.cookie, { documentId: id })).status).toBe(404);
  });
});
