export type { Block, ParsedDocument } from './blocks.ts';
export { type Chunk, type ChunkOptions, chunkBlocks } from './chunk.ts';
export { chunkContext, embeddingText } from './chunk-text.ts';
export {
  type AddDocumentInput,
  type AddDocumentResult,
  addDocument,
  assertCollection,
  removeDocument,
  syncChunkFilters,
} from './documents/add.ts';
export { type DocumentSummary, documentColumns } from './documents/summary.ts';
// embedders
export * from './embed/index.ts';
export { STOP_WORDS, tokenize } from './embed/tokenize.ts';
export { ParseError } from './errors.ts';
export { type DocumentProgressEvent, KnowledgeEvents } from './events.ts';
export { KnowledgeInputError } from './input-error.ts';
export { parseCsv } from './parse/csv.ts';
export { parseHtml } from './parse/html.ts';
export { type ParsedFile, parseFile } from './parse/index.ts';
export { parseMarkdown } from './parse/markdown.ts';
export { parsePdf } from './parse/pdf.ts';
export { parseText } from './parse/text.ts';
export { enqueueKnowledgeJob, KNOWLEDGE_QUEUE } from './queue.ts';
export { bm25Search } from './search/bm25.ts';
export type { SearchFilters } from './search/filters.ts';
export {
  embedQuery,
  type SearchOptions,
  type SearchResult,
  searchKnowledge,
  searchKnowledgeConcurrently,
  type TenantRunner,
} from './search/hybrid.ts';
export { vectorSearch } from './search/vector.ts';
export {
  createKnowledgeService,
  type KnowledgeService,
  type KnowledgeServiceOptions,
} from './service.ts';
export { type DocumentType, sniffType } from './sniff.ts';
export { bumpKnowledgeVersion, knowledgeVersion } from './stats.ts';
