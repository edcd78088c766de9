/** Knowledge base for retrieval: documents and their chunks (vector + full text). */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  unique,
  uniqueIndex,
  uuid,
  vector,
} from 'drizzle-orm/pg-core';
import { bytea, createdAt, id, tenantId, tsvector, updatedAt } from './columns.ts';
import { tenants } from './tenants.ts';

export const EMBEDDING_DIMENSIONS = 1024;

/** A named set of documents; a personality or widget can be bound to one. */
export const collections = pgTable(
  'collections',
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [unique('collections_tenant_name_unique').on(t.tenantId, t.name)],
);

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
    /** Where processing is (e.g. parsing, chunking, embedding) and how far, 0-100. */
    stage: text('stage'),
    progress: integer('progress').notNull().default(0),
    collectionId: uuid('collection_id').references(() => collections.id, { onDelete: 'set null' }),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    contentHash: text('content_hash'),
    byteSize: integer('byte_size'),
    error: text('error'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('knowledge_documents_tenant_idx').on(t.tenantId, t.createdAt),
    // The same file uploaded twice is one document.
    uniqueIndex('knowledge_documents_tenant_hash_unique').on(t.tenantId, t.contentHash),
    index('knowledge_documents_tenant_collection_idx').on(t.tenantId, t.collectionId),
    // Uploading again from the same source replaces the document's content.
    uniqueIndex('knowledge_documents_tenant_source_unique')
      .on(t.tenantId, t.sourceUri)
      .where(sql`source_uri is not null`),
  ],
);

/** The uploaded original, kept so ingestion can resume or re-run after a crash. */
export const knowledgeFiles = pgTable('knowledge_files', {
  documentId: uuid('document_id')
    .primaryKey()
    .references(() => knowledgeDocuments.id, { onDelete: 'cascade' }),
  tenantId: tenantId().references(() => tenants.id, { onDelete: 'cascade' }),
  contentHash: text('content_hash').notNull(),
  content: bytea('content').notNull(),
  createdAt: createdAt(),
});

export const knowledgeChunks = pgTable(
  'knowledge_chunks',
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id, { onDelete: 'cascade' }),
    documentId: uuid('document_id')
      .notNull()
      .references(() => knowledgeDocuments.id, { onDelete: 'cascade' }),
    /** Content hash of the document version this chunk came from. */
    documentVersion: text('document_version').notNull(),
    /**
     * Searchable. A version's chunks are written inactive while it is processed and switched
     * on together, so a re-upload keeps the old passages searchable until the new ones are done.
     */
    active: boolean('active').notNull().default(false),
    /** Copied from the document so filtered vector searches need no join. */
    collectionId: uuid('collection_id'),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    chunkIndex: integer('chunk_index').notNull(),
    content: text('content').notNull(),
    tokenCount: integer('token_count').notNull().default(0),
    /** Headings above the passage, outermost first, and the page it starts on: for citations. */
    headingPath: text('heading_path').array().notNull().default(sql`'{}'::text[]`),
    page: integer('page'),
    /** The embedder that produced `embedding`; a model change re-embeds in the background. */
    model: text('model'),
    embedding: vector('embedding', { dimensions: EMBEDDING_DIMENSIONS }),
    /** Title, headings (weight A) and passage; written with the chunk, read by BM25. */
    searchVector: tsvector('search_vector').notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    index('knowledge_chunks_tenant_doc_idx').on(t.tenantId, t.documentId, t.chunkIndex),
    // Resumed ingestion writes each chunk of a version once.
    uniqueIndex('knowledge_chunks_version_unique').on(
      t.documentId,
      t.documentVersion,
      t.chunkIndex,
    ),
    index('knowledge_chunks_embedding_hnsw').using('hnsw', t.embedding.op('vector_cosine_ops')),
    index('knowledge_chunks_search_gin').using('gin', t.searchVector),
  ],
);

/**
 * The lexical index BM25 scores from: one row per term of a chunk's search_vector, with the
 * term's frequency there (its number of positions) and the chunk's length (its token_count),
 * so a query's postings score every candidate without reading the chunks, and only the best
 * are then checked against knowledge_chunks (active, filters). Written with the chunk in the
 * same transaction and deleted with it; a chunk's search_vector and token_count never change
 * after insert. BM25 reads it through (tenant_id, term), which row-level security can use
 * where it cannot use the GIN index on search_vector (`@@` is not leakproof); the index holds
 * the other columns too, so the scan never visits the table. No foreign key to tenants: the
 * chunk's cascade already removes postings with the tenant, and ingestion writes dozens of
 * postings per chunk, each of which would pay for another check.
 */
export const knowledgePostings = pgTable(
  'knowledge_postings',
  {
    tenantId: tenantId(),
    chunkId: uuid('chunk_id')
      .notNull()
      .references(() => knowledgeChunks.id, { onDelete: 'cascade' }),
    term: text('term').notNull(),
    /** Positions of the term in the chunk's search_vector (at most 256 per lexeme). */
    tf: smallint('tf').notNull(),
    /** The chunk's token_count, copied: the length BM25 normalises by. */
    chunkTokenCount: integer('chunk_token_count').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.chunkId, t.term] }),
    index('knowledge_postings_tenant_term_idx').on(
      t.tenantId,
      t.term,
      t.chunkId,
      t.tf,
      t.chunkTokenCount,
    ),
  ],
);

/**
 * BM25 statistics per tenant over active chunks: how many chunks hold each term...
 */
export const knowledgeTerms = pgTable(
  'knowledge_terms',
  {
    tenantId: tenantId().references(() => tenants.id, { onDelete: 'cascade' }),
    term: text('term').notNull(),
    documentFrequency: integer('document_frequency').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.term] })],
);

/** ...and how many active chunks there are, and their total length in terms. */
export const knowledgeStats = pgTable('knowledge_stats', {
  tenantId: tenantId()
    .primaryKey()
    .references(() => tenants.id, { onDelete: 'cascade' }),
  chunkCount: bigint('chunk_count', { mode: 'number' }).notNull().default(0),
  totalLength: bigint('total_length', { mode: 'number' }).notNull().default(0),
  /** Bumped whenever what search can return changes; cached answers are keyed on it. */
  version: bigint('version', { mode: 'number' }).notNull().default(0),
});
