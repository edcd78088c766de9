import { createRequire } from 'node:module';
import { tokenize } from '@platform/knowledge';

const require = createRequire(import.meta.url);
const stem = require('wink-porter2-stemmer') as (word: string) => string;

// Stemming is the costly step and vocabulary repeats, so stems are remembered (bounded).
const stems = new Map<string, string>();
const STEM_CACHE_LIMIT = 50_000;
function stemOf(word: string): string {
  let s = stems.get(word);
  if (s === undefined) {
    if (stems.size >= STEM_CACHE_LIMIT) stems.clear();
    s = stem(word);
    stems.set(word, s);
  }
  return s;
}

/** Content-word stems of a text, in order (stop words dropped), as the knowledge base indexes them. */
export function contentStems(text: string): string[] {
  return tokenize(text).words.map(stemOf);
}

/** Rough token count for text we do not send to a tokenizer (about four characters a token). */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

/**
 * Sentences of a passage: split after ., ! or ? followed by whitespace, and at line breaks
 * (list items and headings are sentences of their own). Abbreviation-safe enough for
 * knowledge-base prose; a missed split only makes a quoted sentence longer.
 */
export function splitSentences(text: string): string[] {
  return text
    .split(/\n+|(?<=[.!?])\s+(?=[\p{Lu}\p{N}"'([])/u)
    .map((s) => s.replace(/^[\s*\-•#>]+/, '').trim())
    .filter((s) => s.length > 1);
}
