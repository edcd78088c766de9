import { readdirSync } from 'node:fs';
import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from './fingerprint.ts';
import {
  type Account,
  data,
  type Harness,
  PUBLIC_URL,
  startHarness,
  trpcError,
} from './harness.ts';

/** A multipart/form-data body as a browser or curl would send it. */
async function multipart(
  fields: Record<string, string>,
  file: { name: string; bytes: Uint8Array },
) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([new Uint8Array(file.bytes)]), file.name);
  const request = new Request('http://x/', { method: 'POST', body: form });
  return {
    payload: Buffer.from(await request.arrayBuffer()),
    contentType: request.headers.get('content-type') ?? '',
  };
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49]);
const ELF = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
/** A ZIP with one entry that is not word/document.xml: not a DOCX, whatever its name says. */
const ZIP = Buffer.from(
  'UEsDBBQAAAAAAFoOfF2sKpPYAgAAAAIAAAAFAAAAYS50eHRoaVBLAQIUAxQAAAAAAFoOfF2sKpPYAgAAAAIAAAAFAAAAAAAAAAAAAACAAQAAAABhLnR4dFBLBQYAAAAAAQABADMAAAAlAAAAAAA=',
  'base64',
);
const XSS = '<script>alert(document.cookie)</script>';

describe.each(testDrivers())('knowledge security (%s)', (driver) => {
  let h: Harness;
  let owner: Account;

  beforeAll(async () => {
    h = await startHarness(driver, { KNOWLEDGE_MAX_UPLOAD_MB: '0.05' });
    owner = await h.signUp('Knowledge Guard');
  });
  afterAll(() => h?.close());

  const upload = (input: Record<string, unknown>) =>
    h.mutate('knowledge.upload', owner.cookie, input);
  const b64 = (text: string | Uint8Array) => Buffer.from(text).toString('base64');
  const restUpload = async (
    fields: Record<string, string>,
    file: { name: string; bytes: Uint8Array },
  ) => {
    const body = await multipart(fields, file);
    const raw = await h.app.inject({
      method: 'POST',
      url: '/api/v1/knowledge/documents',
      headers: {
        'content-type': body.contentType,
        origin: PUBLIC_URL,
        cookie: owner.cookie,
        'x-csrf-token': String(await h.csrf(owner.cookie)),
      },
      payload: body.payload,
    });
    return { status: raw.statusCode, body: JSON.parse(raw.body) as Record<string, unknown> };
  };
  /** Every file under DATA_DIR: uploads live in the database, never on disk. */
  const files = () => readdirSync(h.config.DATA_DIR, { recursive: true }).map(String).sort();

  it('keeps path segments in file names as data: the title is the last segment, nothing touches disk', async () => {
    const before = files();
    for (const [fileName, title] of [
      ['../../../../tmp/evil.md', 'evil.md'],
      ['..\\..\\windows\\system32\\evil.md', 'evil.md'],
      ['/etc/passwd', 'passwd'],
    ] as const) {
      const r = await upload({ fileName, contentBase64: b64(`# ${fileName}\n\nA note.`) });
      expect(r.status, r.raw.body).toBe(200);
      const doc = data<{ document: { id: string; title: string } }>(r).document;
      expect(doc.title).toBe(title);
      const [stored] = await h.t.ownerQuery<{ source_uri: string; size: number }>(
        `select d.source_uri, length(f.content) as size from knowledge_documents d
           join knowledge_files f on f.document_id = d.id where d.id = $1`,
        [doc.id],
      );
      expect(stored).toEqual({ source_uri: fileName, size: expect.any(Number) });
    }
    const rest = await restUpload({}, { name: '../../escape.md', bytes: Buffer.from('# Up\n\nx') });
    expect(rest.status, JSON.stringify(rest.body)).toBe(201);
    expect(rest.body).toMatchObject({ document: { title: 'escape.md' } });
    expect(files()).toEqual(before);
  });

  it('stores markup in titles, tags and file names as text and returns it as JSON data', async () => {
    const r = await upload({
      fileName: `"><img src=x onerror=alert(1)>.md`,
      contentBase64: b64('# Markup\n\nPlain words.'),
      title: XSS,
      tags: ['<b>bold</b>'],
    });
    expect(r.status, r.raw.body).toBe(200);
    const id = data<{ document: { id: string } }>(r).document.id;
    const got = await h.query('knowledge.get', owner.cookie, { documentId: id });
    expect(got.raw.headers['content-type']).toMatch(/^application\/json/);
    expect(got.raw.headers['x-content-type-options']).toBe('nosniff');
    expect(data(got)).toMatchObject({ title: XSS, tags: ['<b>bold</b>'] });
    const renamed = await h.mutate('knowledge.update', owner.cookie, {
      documentId: id,
      title: `${XSS}<!--`,
    });
    expect(data(renamed)).toMatchObject({ title: `${XSS}<!--` });
  });

  it('drops scripts from uploaded HTML: they never become searchable text', async () => {
    const html = `<!doctype html><html><head><title>Llamas</title><script>stealCookies('zebrafinch')</script></head>
      <body><p onclick="alert('zebrafinch')">Llamas hum when they are content.</p>
      <style>body{background:url(javascript:zebrafinch)}</style><noscript>zebrafinch</noscript></body></html>`;
    const id = await h.ingest(owner.cookie, 'llamas.html', html);
    const hits = await h.query('knowledge.search', owner.cookie, { query: 'llamas hum content' });
    expect(JSON.stringify(data(hits))).toContain(id);
    const chunks = await h.t.ownerQuery<{ content: string }>(
      'select content from knowledge_chunks where document_id = $1',
      [id],
    );
    expect(chunks.map((c) => c.content).join(' ')).toContain('Llamas hum');
    expect(chunks.map((c) => c.content).join(' ')).not.toContain('zebrafinch');
  });

  it('sniffs the type from the bytes: binaries renamed as text are refused with 415', async () => {
    const before = await fingerprint(h);
    for (const [fileName, bytes] of [
      ['photo.txt', PNG],
      ['notes.md', ELF],
      ['report.docx', ZIP],
      ['nul.txt', Buffer.from('text with a \u0000 byte')],
      ['latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9])],
    ] as const) {
      const r = await upload({ fileName, contentBase64: b64(bytes) });
      expect(r.status, `${fileName}: ${r.raw.body}`).toBe(415);
      expect(trpcError(r).data.field).toBe('file');
      expect((await restUpload({}, { name: fileName, bytes })).status, fileName).toBe(415);
    }
    expect(await fingerprint(h)).toEqual(before);
  });

  it('refuses a body over the upload route’s limit with 413 before parsing it', async () => {
    const before = await fingerprint(h);
    // 0.05 MB decoded makes a limit of about 134 KB of JSON: send 300 KB.
    const r = await h.app.inject({
      method: 'POST',
      url: '/trpc/knowledge.upload',
      headers: {
        'content-type': 'application/json',
        origin: PUBLIC_URL,
        cookie: owner.cookie,
        'x-csrf-token': String(await h.csrf(owner.cookie)),
      },
      payload: JSON.stringify({ fileName: 'big.txt', contentBase64: 'QUFB'.repeat(75_000) }),
    });
    expect(r.statusCode).toBe(413);
    expect(await fingerprint(h)).toEqual(before);
  });

  // Regressions from fuzz.security.test.ts: each of these answered 500.
  it('answers NUL characters and deep nesting with 400 naming the field, storing nothing', async () => {
    const before = await fingerprint(h);
    const nulName = await h.mutate('collections.create', owner.cookie, { name: 'Shelf\u0000' });
    expect(nulName.status, nulName.raw.body).toBe(400);
    expect(trpcError(nulName).data.field).toBe('name');
    const surrogate = await h.mutate('collections.create', owner.cookie, { name: 'Shelf \ud800' });
    expect(trpcError(surrogate).data).toMatchObject({ httpStatus: 400, field: 'name' });
    const nulTitle = await restUpload(
      { title: 'a\u0000b' },
      { name: 'a.md', bytes: Buffer.from('# A') },
    );
    expect(nulTitle).toMatchObject({ status: 400, body: { field: 'title' } });
    const nulFile = await restUpload({}, { name: 'a\u0000.md', bytes: Buffer.from('# A') });
    expect(nulFile).toMatchObject({ status: 400, body: { field: 'file' } });
    const deep = await h.app.inject({
      method: 'POST',
      url: '/trpc/knowledge.upload',
      headers: {
        'content-type': 'application/json',
        origin: PUBLIC_URL,
        cookie: owner.cookie,
        'x-csrf-token': String(await h.csrf(owner.cookie)),
      },
      payload: `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`,
    });
    expect(deep.statusCode, deep.body).toBe(400);
    expect(deep.json()).toMatchObject({ field: 'body' });
    expect(await fingerprint(h)).toEqual(before);
  });

  it('answers an update that changes nothing with 400 (was an UPDATE without SET: 500)', async () => {
    const r = await upload({ fileName: 'still.md', contentBase64: b64('# Still\n\nSame.') });
    const documentId = data<{ document: { id: string } }>(r).document.id;
    const none = await h.mutate('knowledge.update', owner.cookie, { documentId });
    expect(none.status, none.raw.body).toBe(400);
    expect(trpcError(none).data.field).toBe('input');
  });
});
