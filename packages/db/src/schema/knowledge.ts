/** Knowledge base for retrieval: documents and their chunks (vector + full text). */
import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, uuid, vector } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantId, tsvector, updatedAt } from './columns.ts';
import { tenants } from './tenants.ts';

export const EMBEDDING_DIMENSIONS = 1024;

export const knowledgeDocuments = pgTable(
  'knowledge_documents',
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    sourceType: text('source_type', { enum: ['upload', 'url', 'text'] }).notNull(),
    sourceUri: text('source_uri'),
    mimeType: text('mime_type'),
    status: text('status', { enum: ['pending', 'processing', 'ready', 'failed'] })
      .notNull()
      .default('pending'),
    contentHash: text('content_hash'),
    byteSize: integer('byte_size'),
    error: text('error'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('knowledge_documents_tenant_idx').on(t.tenantId, t.createdAt)],
);

export const knowledgeChunks = pgTable(
  'knowledge_chunks',
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id, { onDelete: 'cascade' }),
    documentId: uuid('document_id')
      .notNull()
      .references(() => knowledgeDocuments.id, { onDelete: 'cascade' }),
    chunkIndex: integer('chunk_index').notNull(),
    content: text('content').notNull(),
    tokenCount: integer('token_count').notNull().default(0),
    embedding: vector('embedding', { dimensions: EMBEDDING_DIMENSIONS }),
    searchVector: tsvector('search_vector').generatedAlwaysAs(sql`to_tsvector('english', content)`),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    index('knowledge_chunks_tenant_doc_idx').on(t.tenantId, t.documentId, t.chunkIndex),
    index('knowledge_chunks_embedding_hnsw').using('hnsw', t.embedding.op('vector_cosine_ops')),
    index('knowledge_chunks_search_gin').using('gin', t.searchVector),
  ],
);
