import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Database, schema } from '@platform/db';
import { addDocument, type KnowledgeService } from '@platform/knowledge';
import { and, inArray, sql } from 'drizzle-orm';

/** The sample help centre: apps/server/demo-kb/*.md. */
export const DEMO_KB_DIR = fileURLToPath(new URL('../../demo-kb/', import.meta.url));

const d = schema.knowledgeDocuments;

/**
 * Adds the sample documents to the tenant's knowledge base as `platform ingest` does (same
 * addDocument and durable ingestion queue), then waits until they are searchable, so the first
 * question asked after start is answered from them. Identical bytes are one document, so a
 * restart or a second instance adds nothing; the transaction-scoped lock keeps two instances
 * from racing on the same new document.
 */
export async function ingestDemoKnowledge(
  deps: { db: Database; knowledge: KnowledgeService },
  tenantId: string,
  opts: { timeoutMs?: number } = {},
): Promise<void> {
  const { db, knowledge } = deps;
  const names = (await readdir(DEMO_KB_DIR)).filter((n) => n.endsWith('.md')).sort();
  const files = await Promise.all(
    names.map(async (name) => ({ name, bytes: await readFile(`${DEMO_KB_DIR}${name}`) })),
  );
  const ids = await db.withTenant(tenantId, async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`demo-kb:${tenantId}`}))`);
    const added: string[] = [];
    for (const { name, bytes } of files) {
      const { document } = await addDocument(
        tx,
        tenantId,
        { bytes, fileName: name, source: `demo-kb/${name}`, tags: ['demo'] },
        { maxBytes: knowledge.maxUploadBytes },
      );
      added.push(document.id);
    }
    return added;
  });
  await knowledge.start();
  knowledge.nudge();

  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    const rows = await db.withTenant(tenantId, (tx) =>
      tx
        .select({ name: d.sourceUri, status: d.status, error: d.error })
        .from(d)
        .where(and(inArray(d.id, ids), inArray(d.status, ['ready', 'failed']))),
    );
    const failed = rows.filter((r) => r.status === 'failed');
    if (failed.length)
      throw new Error(`demo knowledge failed: ${failed.map((f) => `${f.name}: ${f.error}`)}`);
    if (rows.length >= new Set(ids).size) return;
    if (Date.now() > deadline) throw new Error('demo knowledge was not ingested in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
