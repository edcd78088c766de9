import { createInterface } from 'node:readline';
import { schema } from '@platform/db';
import { embedQuery, type SearchResult, searchKnowledge } from '@platform/knowledge';
import { eq } from 'drizzle-orm';
import { tenantBySlug } from '../tenant-by-slug.ts';
import { parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';
import { withPlatform } from './open.ts';
import { UsageError } from './usage-error.ts';

const usage = `npm run -s platform -- search --tenant <slug> [--k 5] [--collection <name>] (--jsonl | <query...>)

Hybrid search over an organisation's knowledge base. With --jsonl, reads lines
{"query": "..."} on standard input and writes one line per query:
{"results": [{"document", "source", "heading", "page", "score", "text"}]}
(a line it cannot read answers {"error": "..."}). Otherwise prints the results for <query>.`;

const cite = (r: SearchResult) => ({
  document: r.document,
  source: r.source,
  heading: r.heading,
  page: r.page,
  score: Number(r.score.toFixed(6)),
  text: r.text,
});

export const search: Command = {
  summary: 'search a knowledge base (one query, or JSON lines on stdin)',
  usage,
  async run(args, config) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        tenant: { type: 'string' },
        k: { type: 'string', default: '5' },
        collection: { type: 'string' },
        jsonl: { type: 'boolean', default: false },
      },
      usage,
    );
    if (!values.tenant) throw new UsageError(`--tenant is required\n\n${usage}`);
    const k = Number(values.k);
    if (!Number.isInteger(k) || k < 1 || k > 50)
      throw new UsageError(`--k must be a whole number from 1 to 50\n\n${usage}`);
    if (!values.jsonl && !positionals.join(' ').trim())
      throw new UsageError(`give a query, or --jsonl to read queries from stdin\n\n${usage}`);
    const slug = values.tenant;

    return withPlatform(config, async ({ db, knowledge }) => {
      const tenant = await tenantBySlug(db, slug, { createIfMissing: false });
      if (!tenant) {
        console.error(`No organisation with slug "${slug}"`);
        return 2;
      }
      const tenantId = tenant.id;
      const collectionId = values.collection
        ? await db.withTenant(tenantId, async (tx) => {
            const [row] = await tx
              .select({ id: schema.collections.id })
              .from(schema.collections)
              .where(eq(schema.collections.name, values.collection as string));
            return row?.id;
          })
        : undefined;
      if (values.collection && !collectionId) {
        console.error(`No collection named "${values.collection}"`);
        return 2;
      }
      const run = async (query: string) => {
        const embedding = await embedQuery(knowledge.embedder, query);
        return db.withTenant(tenantId, (tx) =>
          searchKnowledge(tx, knowledge.embedder, {
            query,
            limit: k,
            embedding,
            ...(collectionId ? { filters: { collectionId } } : {}),
          }),
        );
      };

      if (!values.jsonl) {
        for (const [i, r] of (await run(positionals.join(' '))).entries())
          console.log(
            `${i + 1}. ${r.document}${r.heading ? ` > ${r.heading}` : ''}${r.page ? ` (p. ${r.page})` : ''}  [${r.score.toFixed(4)}]\n   ${r.text.slice(0, 300).replace(/\s+/g, ' ')}\n`,
          );
        return 0;
      }
      for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
        if (!line.trim()) continue;
        let query: unknown;
        try {
          query = (JSON.parse(line) as { query?: unknown }).query;
        } catch {
          console.log(JSON.stringify({ error: 'not valid JSON' }));
          continue;
        }
        if (typeof query !== 'string' || !query.trim()) {
          console.log(JSON.stringify({ error: 'query: must be a non-empty string' }));
          continue;
        }
        console.log(JSON.stringify({ results: (await run(query)).map(cite) }));
      }
      return 0;
    });
  },
};
