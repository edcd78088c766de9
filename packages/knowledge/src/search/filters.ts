import { type SQL, sql } from 'drizzle-orm';

export type { SearchFilters } from './vector.ts';

import type { SearchFilters } from './vector.ts';

/** Filter predicates on knowledge_chunks (aliased `c`), which carries them denormalised. */
export function chunkFilterSql(filters: SearchFilters | undefined): SQL {
  const parts: SQL[] = [];
  if (filters?.collectionId) parts.push(sql`c.collection_id = ${filters.collectionId}::uuid`);
  if (filters?.tags?.length) parts.push(sql`c.tags && ${sql.param(filters.tags)}::text[]`);
  if (filters?.documentIds?.length)
    parts.push(sql`c.document_id = any(${sql.param(filters.documentIds)}::uuid[])`);
  return parts.length ? sql` and ${sql.join(parts, sql` and `)}` : sql``;
}
