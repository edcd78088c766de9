/**
 * What every parser produces: the document as a sequence of structural blocks. Chunking
 * works on blocks, so lists, tables and code stay whole where they fit, and every chunk
 * knows the headings above it and the page it starts on.
 */
export type Block =
  | { kind: 'heading'; level: number; text: string; page?: number }
  | { kind: 'paragraph' | 'list' | 'table' | 'code' | 'quote'; text: string; page?: number };

export type ParsedDocument = { title?: string; blocks: Block[] };
