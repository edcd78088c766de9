import { lexer, type Token, type Tokens } from 'marked';
import type { Block, ParsedDocument } from '../blocks.ts';

const clean = (s: string) => s.replace(/\r\n?/g, '\n').trim();

/** Markdown to blocks with marked's lexer; the first level-1 heading is the title. */
export function parseMarkdown(source: string): ParsedDocument {
  const blocks: Block[] = [];
  const push = (kind: 'paragraph' | 'list' | 'table' | 'code' | 'quote', raw: string) => {
    const text = clean(raw);
    if (text) blocks.push({ kind, text });
  };
  const visit = (tokens: Token[]) => {
    for (const token of tokens) {
      switch (token.type) {
        case 'heading': {
          const h = token as Tokens.Heading;
          blocks.push({
            kind: 'heading',
            level: h.depth,
            // Headings are citations: plain words, without link targets or emphasis marks.
            text: clean(h.text.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[*_`]/g, '')),
          });
          break;
        }
        case 'paragraph':
        case 'text':
          push('paragraph', token.raw);
          break;
        case 'list':
        case 'table':
        case 'code':
          push(token.type, token.raw);
          break;
        case 'blockquote':
          push('quote', token.raw);
          break;
        case 'html':
          push('paragraph', token.raw.replace(/<[^>]*>/g, ' ').replace(/[ \t]+/g, ' '));
          break;
        default:
          break; // space, hr, def: no text of their own
      }
    }
  };
  visit(lexer(source.replace(/^\uFEFF/, '')));
  const title = blocks.find((b) => b.kind === 'heading' && b.level === 1)?.text;
  return { ...(title ? { title } : {}), blocks };
}
