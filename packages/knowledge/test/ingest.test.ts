import { openTestDatabase, type TestDatabase, testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDocument } from '../src/documents/add.ts';
import { createEmbedder } from '../src/embed/index.ts';
import type { Embedder } from '../src/embed/types.ts';
import type { DocumentProgressEvent } from '../src/events.ts';
import { searchKnowledge } from '../src/search/hybrid.ts';
import { createKnowledgeService, type KnowledgeService } from '../src/service.ts';
import { makePdf } from './fixtures.ts';
import { add, drain, enc, makeTenant, statsDrift } from './ingest-helpers.ts';

const HANDBOOK = `# Employee handbook

## Expenses

Submit receipts within thirty days of purchase. Meals while travelling are reimbursed up to
fifty euros a day; alcohol is never reimbursed.

## Remote work

Staff may work from home up to three days a week after their probation period ends. Home
office equipment such as a monitor or a chair is paid for once every three years.

## Security

Report a lost laptop to the IT service desk immediately. Passwords must be at least twelve
characters and are never shared, not even with colleagues.
`;

const FAQ = `# Frequently asked questions

## Parking

Visitors park in the underground garage; ask reception for a ticket.

## Holidays

Every employee receives twenty-eight days of paid annual leave, plus public holidays.
`;

/** A long document so ingestion takes several embedding batches. */
const longDoc = (sections: number) =>
  `# Operations manual\n\n${Array.from(
    { length: sections },
    (_, i) =>
      `## Procedure ${i + 1}\n\nStep ${i + 1} of the maintenance routine: inspect valve ${i + 1}, record pressure reading ${i * 7} and notify the shift lead about unit ${i + 3}. ${'Keep the log book current and sign every entry. '.repeat(12)}`,
  ).join('\n\n')}`;

describe.each(testDrivers())('ingestion and hybrid search (%s)', (driver) => {
  let t: TestDatabase;
  let embedder: Embedder;
  let service: KnowledgeService;
  let acme: string;
  let globex: string;
  const events: DocumentProgressEvent[] = [];

  const search = (tenantId: string, query: string, extra: Record<string, unknown> = {}) =>
    t.db.withTenant(tenantId, (tx) => searchKnowledge(tx, embedder, { query, limit: 5, ...extra }));
  const chunksOf = (documentId: string) =>
    t.ownerQuery<{ chunk_index: number; active: boolean; document_version: string; model: string }>(
      'select chunk_index, active, document_version, model from knowledge_chunks where document_id = $1 order by chunk_index',
      [documentId],
    );

  /** A fresh service (as after a restart) that reports its events to `events`. */
  const restart = async (with_: Embedder = embedder) => {
    service = createKnowledgeService(t.db, {
      embedder: with_,
      maxUploadBytes: 5 * 1024 * 1024,
      pollMs: 50,
      leaseSeconds: 2,
    });
    service.events.on((e) => events.push(e));
    await service.start();
  };

  beforeAll(async () => {
    t = await openTestDatabase(driver);
    embedder = createEmbedder({ provider: 'local' });
    acme = await makeTenant(t, `acme-${driver}`);
    globex = await makeTenant(t, `globex-${driver}`);
    await restart();
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
    await t?.close();
  });

  it('turns a Markdown file into cited passages that plain questions find', async () => {
    const { document, outcome } = await add(t, acme, { fileName: 'handbook.md', bytes: HANDBOOK });
    expect(outcome).toBe('created');
    expect(document.status).toBe('pending');
    await drain(t, service);

    const [doc] = await t.ownerQuery<{
      status: string;
      progress: number;
      metadata: { chunks: number };
    }>('select status, progress, metadata from knowledge_documents where id = $1', [document.id]);
    expect(doc).toMatchObject({ status: 'ready', progress: 100 });
    const chunks = await chunksOf(document.id);
    expect(chunks.length).toBe(doc?.metadata.chunks);
    expect(chunks.every((c) => c.active && c.model === embedder.model)).toBe(true);

    const [top] = await search(acme, 'how many days can I work from home?');
    expect(top).toMatchObject({ document: 'handbook.md', source: 'handbook.md' });
    expect(top?.headingPath).toEqual(['Employee handbook', 'Remote work']);
    expect(top?.text).toContain('three days a week');

    const mine = events.filter((e) => e.documentId === document.id);
    expect(mine.at(-1)).toMatchObject({ status: 'ready', stage: 'ready', progress: 100 });
    const stages = mine.map((e) => e.stage);
    expect(stages.indexOf('parsing')).toBeLessThan(stages.indexOf('embedding'));
    const pcts = mine.map((e) => e.progress);
    expect(pcts).toEqual([...pcts].sort((a, b) => a - b));
  });

  it('keeps PDF page numbers for citations', async () => {
    const pdf = makePdf([
      'Cover page of the guide.',
      'The fire assembly point is the north car park.',
    ]);
    const { document } = await add(t, acme, { fileName: 'safety.pdf', bytes: pdf });
    await drain(t, service);
    const [top] = await search(acme, 'where do we gather during a fire alarm', {
      filters: { documentIds: [document.id] },
    });
    expect(top?.document).toBe('safety.pdf');
    expect(top?.page).toBe(2);
  });

  it('stores identical bytes once, whatever the file is called', async () => {
    const first = await add(t, acme, { fileName: 'faq.md', bytes: FAQ });
    const again = await add(t, acme, { fileName: 'copy-of-faq.md', bytes: FAQ });
    expect(again.outcome).toBe('unchanged');
    expect(again.document.id).toBe(first.document.id);
    await drain(t, service);
    const [n] = await t.ownerQuery<{ n: number }>(
      `select count(*)::int as n from knowledge_documents where tenant_id = $1 and content_hash = $2`,
      [acme, first.document.contentHash],
    );
    expect(n?.n).toBe(1);
  });

  it('replaces changed content from the same source, keeping the old passages until the new are ready', async () => {
    const v1 = await add(t, acme, {
      fileName: 'policy.md',
      bytes: '# Policy\n\nThe office closes at six in the evening.',
    });
    await drain(t, service);
    const v2 = await add(t, acme, {
      fileName: 'policy.md',
      bytes: '# Policy\n\nThe office closes at nine in the evening.',
    });
    expect(v2.outcome).toBe('replaced');
    expect(v2.document.id).toBe(v1.document.id);
    // Not yet processed: the old version still answers.
    await service.stop();
    const before = await search(acme, 'when does the office close', {
      filters: { documentIds: [v1.document.id] },
    });
    expect(before[0]?.text).toContain('six');
    await restart();
    await drain(t, service);
    const after = await search(acme, 'when does the office close', {
      filters: { documentIds: [v1.document.id] },
    });
    expect(after.map((r) => r.text).join(' ')).toContain('nine');
    expect(after.map((r) => r.text).join(' ')).not.toContain('six');
    const chunks = await chunksOf(v1.document.id);
    expect(new Set(chunks.map((c) => c.document_version))).toEqual(
      new Set([v2.document.contentHash]),
    );
  });

  it('fails an unreadable file with a reason and leaves no passages', async () => {
    const broken = enc('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer garbage');
    const { document } = await add(t, acme, { fileName: 'broken.pdf', bytes: broken });
    await drain(t, service);
    const [doc] = await t.ownerQuery<{ status: string; error: string }>(
      'select status, error from knowledge_documents where id = $1',
      [document.id],
    );
    expect(doc?.status).toBe('failed');
    expect(doc?.error).toMatch(/pdf/i);
    expect(await chunksOf(document.id)).toEqual([]);
  });

  it('rejects empty, unsupported and oversized uploads naming the file, storing nothing', async () => {
    const [{ n: before } = { n: 0 }] = await t.ownerQuery<{ n: number }>(
      'select count(*)::int as n from knowledge_documents',
    );
    await expect(add(t, acme, { fileName: 'empty.txt', bytes: '' })).rejects.toMatchObject({
      field: 'file',
      status: 400,
    });
    await expect(
      add(t, acme, {
        fileName: 'image.png',
        bytes: new Uint8Array([
          0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 1, 2, 0, 255,
        ]),
      }),
    ).rejects.toMatchObject({ field: 'file', status: 415 });
    await expect(
      add(t, acme, { fileName: 'big.txt', bytes: 'x'.repeat(2048) }, 1024),
    ).rejects.toMatchObject({ field: 'file', status: 413 });
    const [{ n: after } = { n: 0 }] = await t.ownerQuery<{ n: number }>(
      'select count(*)::int as n from knowledge_documents',
    );
    expect(after).toBe(before);
  });

  it('filters by collection, tag and document', async () => {
    const [col] = await t.ownerQuery<{ id: string }>(
      `insert into collections (tenant_id, name) values ($1, 'legal') returning id`,
      [acme],
    );
    const { document } = await add(t, acme, {
      fileName: 'nda.md',
      bytes:
        '# NDA\n\nConfidential information must not be disclosed to third parties for five years.',
      collectionId: col?.id ?? null,
      tags: ['contracts'],
    });
    await drain(t, service);
    const q = 'how long must confidential information stay secret';
    const inCollection = await search(acme, q, { filters: { collectionId: col?.id } });
    expect(inCollection.map((r) => r.documentId)).toEqual([document.id]);
    const byTag = await search(acme, q, { filters: { tags: ['contracts'] } });
    expect(byTag.map((r) => r.documentId)).toEqual([document.id]);
    const otherTag = await search(acme, q, { filters: { tags: ['marketing'] } });
    expect(otherTag).toEqual([]);
  });

  it('never shows one tenant the passages of another', async () => {
    await add(t, globex, {
      fileName: 'globex.md',
      bytes: '# Globex\n\nThe Globex launch code is kept in the red binder.',
    });
    await drain(t, service);
    const fromAcme = await search(acme, 'where is the Globex launch code kept');
    expect(fromAcme.some((r) => r.document === 'globex.md')).toBe(false);
    const fromGlobex = await search(globex, 'where is the Globex launch code kept');
    expect(fromGlobex[0]?.document).toBe('globex.md');
    expect(fromGlobex.some((r) => r.document === 'handbook.md')).toBe(false);
  });

  it('keeps BM25 statistics equal to a recount after adds, replaces and deletes', async () => {
    const { document } = await add(t, acme, {
      fileName: 'temp.md',
      bytes: '# Temporary\n\nA short-lived note about quarterly planning.',
    });
    await drain(t, service);
    expect(await t.db.withTenant(acme, (tx) => removeDocument(tx, acme, document.id))).toBe(true);
    const drift = await statsDrift(t, acme);
    expect(drift.termsEqual).toBe(true);
    expect(drift.recountTerms).toBeGreaterThan(20);
    expect(drift.kept).toEqual(drift.totals);
    expect(await chunksOf(document.id)).toEqual([]);
    const gone = await search(acme, 'quarterly planning note');
    expect(gone.some((r) => r.documentId === document.id)).toBe(false);
  });

  it("resumes a stopped worker's ingestion without duplicate chunks", async () => {
    const text = longDoc(600);
    const { document } = await add(t, acme, { fileName: 'manual.md', bytes: text });
    // Stop the worker the moment its first batch of chunks is written (events are synchronous).
    let stopping: Promise<void> | undefined;
    const off = service.events.on((e) => {
      if (e.documentId === document.id && e.stage === 'embedding' && e.progress > 10)
        stopping ??= service.stop();
    });
    service.nudge();
    for (let i = 0; !stopping && i < 3000; i++) await new Promise((r) => setTimeout(r, 10));
    off();
    await service.stop();
    const partial = await chunksOf(document.id);
    const [doc] = await t.ownerQuery<{ status: string }>(
      'select status from knowledge_documents where id = $1',
      [document.id],
    );
    expect(doc?.status).toBe('processing');
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.every((c) => !c.active)).toBe(true);

    await restart();
    await t.ownerQuery(`update jobs set run_at = now() where status = 'queued'`); // skip the back-off
    await drain(t, service);
    const chunks = await chunksOf(document.id);
    const [done] = await t.ownerQuery<{ status: string; metadata: { chunks: number } }>(
      'select status, metadata from knowledge_documents where id = $1',
      [document.id],
    );
    expect(done?.status).toBe('ready');
    expect(chunks.map((c) => c.chunk_index)).toEqual(
      Array.from({ length: done?.metadata.chunks ?? -1 }, (_, i) => i),
    );
    expect(chunks.every((c) => c.active)).toBe(true);
    expect((await statsDrift(t, acme)).termsEqual).toBe(true);
  }, 120_000);

  it('re-embeds in the background when the embedding model changes', async () => {
    await service.stop();
    const next: Embedder = {
      model: `${embedder.model}-next`,
      dimensions: embedder.dimensions,
      batchSize: embedder.batchSize,
      embed: (texts, kind, signal) => embedder.embed(texts, kind, signal),
    };
    await restart(next);
    await drain(t, service);
    const [stale] = await t.ownerQuery<{ n: number }>(
      'select count(*)::int as n from knowledge_chunks where active and model <> $1',
      [next.model],
    );
    expect(stale?.n).toBe(0);
    const [top] = await t.db.withTenant(acme, (tx) =>
      searchKnowledge(tx, next, { query: 'how many days can I work from home?', limit: 1 }),
    );
    expect(top?.text).toContain('three days a week');
    embedder = next;
  }, 120_000);
});
