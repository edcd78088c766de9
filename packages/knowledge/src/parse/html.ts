import { type ChildNode, type Element, isTag, isText } from 'domhandler';
import { getAttributeValue, textContent } from 'domutils';
import { parseDocument } from 'htmlparser2';
import type { Block, ParsedDocument } from '../blocks.ts';
import { markdownTable } from './table.ts';

const SKIP = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'nav',
  'footer',
  'form',
  'button',
  'iframe',
  'head',
]);
const HEADING = /^h([1-6])$/;
const BLOCK = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'header',
  'aside',
  'li',
  'dd',
  'dt',
  'figcaption',
  'br',
  'tr',
]);

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/**
 * HTML to blocks: headings, paragraphs, lists, tables, code and quotes from the DOM
 * (htmlparser2); navigation, scripts and styles dropped. The <title> (or first h1) is the title.
 */
export function parseHtml(source: string): ParsedDocument {
  const dom = parseDocument(source);
  const blocks: Block[] = [];
  let inline = '';
  const flushInline = () => {
    const text = squash(inline);
    if (text) blocks.push({ kind: 'paragraph', text });
    inline = '';
  };
  const walk = (nodes: ChildNode[]) => {
    for (const node of nodes) {
      if (isText(node)) {
        inline += node.data;
        continue;
      }
      if (!isTag(node)) continue;
      const name = node.name.toLowerCase();
      if (SKIP.has(name) || getAttributeValue(node, 'hidden') !== undefined) continue;
      const heading = HEADING.exec(name);
      if (heading) {
        flushInline();
        const text = squash(textContent(node));
        if (text) blocks.push({ kind: 'heading', level: Number(heading[1]), text });
      } else if (name === 'ul' || name === 'ol') {
        flushInline();
        const items = node.children.filter((c): c is Element => isTag(c) && c.name === 'li');
        const text = items
          .map((li, i) => `${name === 'ol' ? `${i + 1}.` : '-'} ${squash(textContent(li))}`)
          .join('\n');
        if (text) blocks.push({ kind: 'list', text });
      } else if (name === 'table') {
        flushInline();
        const rows = collectRows(node);
        if (rows.length) blocks.push({ kind: 'table', text: markdownTable(rows) });
      } else if (name === 'pre') {
        flushInline();
        const text = textContent(node).replace(/\s+$/, '');
        if (text.trim()) blocks.push({ kind: 'code', text });
      } else if (name === 'blockquote') {
        flushInline();
        const text = squash(textContent(node));
        if (text) blocks.push({ kind: 'quote', text });
      } else if (BLOCK.has(name)) {
        flushInline();
        walk(node.children);
        flushInline();
      } else walk(node.children);
    }
  };
  walk(dom.children);
  flushInline();
  const titleNode = findFirst(dom.children, 'title');
  const title =
    (titleNode && squash(textContent(titleNode))) || blocks.find((b) => b.kind === 'heading')?.text;
  return { ...(title ? { title } : {}), blocks };
}

function collectRows(table: Element): string[][] {
  const rows: string[][] = [];
  const visit = (nodes: ChildNode[]) => {
    for (const n of nodes) {
      if (!isTag(n)) continue;
      if (n.name === 'tr')
        rows.push(
          n.children
            .filter((c): c is Element => isTag(c) && (c.name === 'td' || c.name === 'th'))
            .map((c) => squash(textContent(c))),
        );
      else if (n.name !== 'table') visit(n.children);
    }
  };
  visit(table.children);
  return rows.filter((r) => r.some(Boolean));
}

function findFirst(nodes: ChildNode[], name: string): Element | undefined {
  for (const n of nodes) {
    if (!isTag(n)) continue;
    if (n.name === name) return n;
    const inner = findFirst(n.children, name);
    if (inner) return inner;
  }
  return undefined;
}
