import { add, h } from './dom.ts';
import { type Block, type Inline, parse } from './markdown.ts';

/**
 * Markdown's node tree (markdown.ts) as DOM: text through text nodes only, links only with the
 * parser's vetted http(s)/mailto URLs, opened in a new tab without access to this page.
 */

/** Builds a citation marker; null shows the bare number. */
export type CiteRenderer = (n: number) => Node | null;

function inlines(nodes: Inline[], cite: CiteRenderer): Node[] {
  return nodes.map((n) => inlineNode(n, cite));
}

function inlineNode(n: Inline, cite: CiteRenderer): Node {
  switch (n.t) {
    case 'text':
      return document.createTextNode(n.v);
    case 'br':
      return h('br');
    case 'code':
      return h('code', {}, n.v);
    case 'b':
      return h('strong', {}, ...inlines(n.c, cite));
    case 'i':
      return h('em', {}, ...inlines(n.c, cite));
    case 'a':
      return h(
        'a',
        { href: n.href, target: '_blank', rel: 'noopener noreferrer' },
        ...inlines(n.c, cite),
      );
    case 'cite':
      return cite(n.n) ?? h('sup', {}, String(n.n));
  }
}

function block(b: Block, cite: CiteRenderer): Node {
  switch (b.t) {
    case 'p':
      return h('p', {}, ...inlines(b.c, cite));
    case 'h':
      return h('p', {}, h('strong', {}, ...inlines(b.c, cite)));
    case 'pre':
      return h('pre', {}, h('code', {}, b.v));
    case 'ul':
    case 'ol': {
      const list = h(b.t, b.t === 'ol' && b.start !== 1 ? { start: String(b.start) } : {});
      for (const item of b.items) add(list, h('li', {}, ...inlines(item, cite)));
      return list;
    }
  }
}

export function renderMarkdown(text: string, cite: CiteRenderer): DocumentFragment {
  const out = document.createDocumentFragment();
  for (const b of parse(text)) out.appendChild(block(b, cite));
  return out;
}
