import type { TestDatabase } from '@platform/db/testing';
import { type AddDocumentInput, addDocument } from '../src/documents/add.ts';
import type { KnowledgeService } from '../src/service.ts';

export const enc = (s: string) => new TextEncoder().encode(s);

export async function makeTenant(t: TestDatabase, slug: string): Promise<string> {
  const [row] = await t.ownerQuery<{ id: string }>(
    'insert into tenants (name, slug) values ($1, $1) returning id',
    [slug],
  );
  if (!row) throw new Error('no tenant');
  return row.id;
}

export function add(
  t: TestDatabase,
  tenantId: string,
  input: Omit<AddDocumentInput, 'bytes'> & { bytes: Uint8Array | string },
  maxBytes = 5 * 1024 * 1024,
) {
  const bytes = typeof input.bytes === 'string' ? enc(input.bytes) : input.bytes;
  return t.db.withTenant(tenantId, (tx) =>
    addDocument(tx, tenantId, { ...input, bytes }, { maxBytes }),
  );
}

/** Waits until the queue has nothing queued or running and no document is in flight. */
export async function drain(t: TestDatabase, service: KnowledgeService, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    service.nudge();
    const [busy] = await t.ownerQuery<{ n: number }>(
      `select (select count(*) from jobs where status in ('queued','running'))::int
            + (select count(*) from knowledge_documents where status in ('pending','processing'))::int as n`,
    );
    if (!busy?.n) return;
    if (Date.now() > until) throw new Error('ingestion did not finish in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * BM25 statistics recounted from scratch over the active chunks, and as stored; a
 * consistent knowledge base has the two equal.
 */
export async function statsDrift(t: TestDatabase, tenantId: string) {
  const recount = await t.ownerQuery<{ term: string; n: number }>(
    `select u.lexeme as term, count(*)::int as n
       from knowledge_chunks c, unnest(c.search_vector) u
      where c.tenant_id = $1 and c.active group by u.lexeme order by 1`,
    [tenantId],
  );
  const stored = await t.ownerQuery<{ term: string; n: number }>(
    `select term, document_frequency as n from knowledge_terms
      where tenant_id = $1 and document_frequency <> 0 order by 1`,
    [tenantId],
  );
  const [totals] = await t.ownerQuery<{ chunks: number; length: number }>(
    `select count(*)::int as chunks, coalesce(sum(token_count), 0)::int as length
       from knowledge_chunks where tenant_id = $1 and active`,
    [tenantId],
  );
  const [kept] = await t.ownerQuery<{ chunks: number; length: number }>(
    `select chunk_count::int as chunks, total_length::int as length from knowledge_stats where tenant_id = $1`,
    [tenantId],
  );
  return {
    termsEqual: JSON.stringify(recount) === JSON.stringify(stored),
    recountTerms: recount.length,
    storedTerms: stored.length,
    totals,
    kept: kept ?? { chunks: 0, length: 0 },
  };
}
