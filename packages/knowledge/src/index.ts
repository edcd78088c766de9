export type { Block, ParsedDocument } from './blocks.ts';
export { type Chunk, type ChunkOptions, chunkBlocks } from './chunk.ts';
export { parseCsv } from './parse/csv.ts';
export { parseHtml } from './parse/html.ts';
export { parseMarkdown } from './parse/markdown.ts';
export { parseText } from './parse/text.ts';
