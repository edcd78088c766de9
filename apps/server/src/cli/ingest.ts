import { readFile } from 'node:fs/promises';
import { schema } from '@platform/db';
import { addDocument, KnowledgeInputError } from '@platform/knowledge';
import { SingleBar } from 'cli-progress';
import { and, eq, inArray } from 'drizzle-orm';
import { tenantBySlug } from '../tenant-by-slug.ts';
import { parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';
import { withPlatform } from './open.ts';
import { UsageError } from './usage-error.ts';
import { walkFiles } from './walk-files.ts';

const usage = `npm run platform -- ingest <path...> --tenant <slug> [--collection <name>] [--tags a,b]

Adds files (PDF, DOCX, HTML, Markdown, CSV, text) or whole folders to an organisation's
knowledge base and waits until they are searchable, with a progress bar. A file already
ingested with the same content is skipped; changed content from the same path replaces the
old version. On the embedded database an unknown --tenant is created.`;

const d = schema.knowledgeDocuments;

export const ingest: Command = {
  summary: 'add files or folders to a knowledge base',
  usage,
  async run(args, config) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        tenant: { type: 'string' },
        collection: { type: 'string' },
        tags: { type: 'string' },
      },
      usage,
    );
    if (!values.tenant) throw new UsageError(`--tenant is required\n\n${usage}`);
    if (!positionals.length) throw new UsageError(`give at least one file or folder\n\n${usage}`);
    const slug = values.tenant;
    const tags = values.tags
      ?.split(',')
      .map((t) => t.trim())
      .filter(Boolean);

    return withPlatform(config, async ({ db, knowledge }) => {
      const tenant = await tenantBySlug(db, slug, { createIfMissing: config.embedded });
      if (!tenant) {
        console.error(
          `No organisation with slug "${slug}" (see: npm run platform -- list-tenants)`,
        );
        return 2;
      }
      if (tenant.created) console.error(`Created organisation "${slug}"`);
      const tenantId = tenant.id;
      const collectionId = values.collection
        ? await db.withTenant(tenantId, async (tx) => {
            const name = values.collection as string;
            await tx.insert(schema.collections).values({ tenantId, name }).onConflictDoNothing();
            const [row] = await tx
              .select({ id: schema.collections.id })
              .from(schema.collections)
              .where(eq(schema.collections.name, name));
            return row?.id;
          })
        : undefined;

      // Identical files are one document, so the same id can come back twice.
      const queued = new Set<string>();
      let unchanged = 0;
      const rejected: string[] = [];
      for await (const path of walkFiles(positionals)) {
        const bytes = await readFile(path);
        try {
          const { document, outcome } = await db.withTenant(tenantId, (tx) =>
            addDocument(
              tx,
              tenantId,
              {
                bytes,
                fileName: path,
                source: path,
                ...(collectionId ? { collectionId } : {}),
                ...(tags ? { tags } : {}),
              },
              { maxBytes: knowledge.maxUploadBytes },
            ),
          );
          if (outcome === 'unchanged' && document.status === 'ready') unchanged++;
          else queued.add(document.id);
        } catch (e) {
          if (!(e instanceof KnowledgeInputError)) throw e;
          rejected.push(`${path}: ${e.message.replace(/^file: /, '')}`);
        }
      }
      for (const line of rejected) console.error(`skipped ${line}`);
      if (!queued.size) {
        console.error(`Nothing to ingest (${unchanged} unchanged, ${rejected.length} skipped)`);
        return rejected.length && !unchanged ? 1 : 0;
      }

      const bar = new SingleBar({
        stream: process.stderr,
        format: 'ingesting [{bar}] {percentage}% | {done}/{total} documents | {stage}',
        hideCursor: true,
      });
      bar.start(queued.size * 100, 0, { done: 0, total: queued.size, stage: 'queued' });
      const progress = new Map<string, number>();
      // Without a terminal the bar is silent; logs get a line per stage change instead.
      const lastStage = new Map<string, string>();
      const off = knowledge.events.on((event) => {
        if (event.tenantId !== tenantId || !queued.has(event.documentId)) return;
        if (!process.stderr.isTTY && lastStage.get(event.documentId) !== event.stage) {
          lastStage.set(event.documentId, event.stage);
          process.stderr.write(`${event.documentId} ${event.stage} ${event.progress}%\n`);
        }
        progress.set(
          event.documentId,
          event.status === 'ready' || event.status === 'failed' ? 100 : event.progress,
        );
        const sum = [...progress.values()].reduce((a, b) => a + b, 0);
        bar.update(sum, { stage: event.stage });
      });
      await knowledge.start();
      const started = performance.now();
      let finished: { id: string; title: string | null; status: string; error: string | null }[] =
        [];
      for (;;) {
        finished = await db.withTenant(tenantId, (tx) =>
          tx
            .select({ id: d.id, title: d.sourceUri, status: d.status, error: d.error })
            .from(d)
            .where(and(inArray(d.id, [...queued]), inArray(d.status, ['ready', 'failed']))),
        );
        bar.update({ done: finished.length });
        if (finished.length >= queued.size) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      bar.update(queued.size * 100, { stage: 'done' });
      bar.stop();
      off();
      const failed = finished.filter((f) => f.status === 'failed');
      for (const f of failed) console.error(`failed ${f.title}: ${f.error}`);
      console.error(
        `${finished.length - failed.length} ingested, ${failed.length} failed, ${unchanged} unchanged, ${rejected.length} skipped in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      return failed.length ? 1 : 0;
    });
  },
};
