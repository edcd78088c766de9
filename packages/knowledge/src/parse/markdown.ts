import { lexer, type Token, type Tokens } from 'marked';
import type { Block, ParsedDocument } from '../blocks.ts';

const clean = (s: string) => s.replace(/\r\n?/g, '\n').trim();

/** Markdown to blocks with marked's lexer; the first level-1 heading is the title. */
export function parseMarkdown(source: string): ParsedDocument {
  const blocks: Block[] = [];
  const visit = (tokens: Token[]) => {
    for (const token of tokens) {
      switch (token.type) {
        case 'heading': {
          const h = token as Tokens.Heading;
          blocks.push({
            kind: 'heading',
            level: h.depth,
            text: clean(h.text.replace(/[*_`]/g, '')),
          });
          break;
        }
        case 'paragraph':
        case 'text':
          if (clean(token.raw)) blocks.push({ kind: 'paragraph', text: clean(token.raw) });
          break;
        case 'list':
          blocks.push({ kind: 'list', text: clean(token.raw) });
          break;
        case 'table':
          blocks.push({ kind: 'table', text: clean(token.raw) });
          break;
        case 'code':
          blocks.push({ kind: 'code', text: clean(token.raw) });
          break;
        case 'blockquote':
          blocks.push({ kind: 'quote', text: clean(token.raw) });
          break;
        case 'html':
          if (clean(token.raw.replace(/<[^>]*>/g, '')))
            blocks.push({ kind: 'paragraph', text: clean(token.raw.replace(/<[^>]*>/g, ' ')) });
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
