export type { Block, ParsedDocument } from './blocks.ts';
export { type Chunk, type ChunkOptions, chunkBlocks } from './chunk.ts';
export { parseMarkdown } from './parse/markdown.ts';
export { parseText } from './parse/text.ts';
