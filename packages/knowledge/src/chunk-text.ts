/**
 * What a chunk is indexed by besides its own words: the document title and the headings
 * above it. A passage under "Transports > Pretty printing" is about pretty printing even when
 * its sentences never say so; both the embedding and the lexical index see that context.
 */
export function chunkContext(title: string, headingPath: readonly string[]): string {
  return [title, ...headingPath].filter(Boolean).join(' > ');
}

/** The text an embedder sees for a chunk. */
export function embeddingText(title: string, headingPath: readonly string[], content: string) {
  return `${chunkContext(title, headingPath)}\n\n${content}`;
}
