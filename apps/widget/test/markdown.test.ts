import { describe, expect, it } from 'vitest';
import {
  type Block,
  citationNumbers,
  type Inline,
  inline,
  parse,
  safeHref,
} from '../src/markdown.ts';

/** Every text value and href in a tree, to check nothing is lost or smuggled. */
const texts = (nodes: Inline[]): string =>
  nodes
    .map((n) =>
      n.t === 'text' || n.t === 'code'
        ? n.v
        : n.t === 'br'
          ? '\n'
          : n.t === 'cite'
            ? `[${n.n}]`
            : texts(n.c),
    )
    .join('');
const links = (nodes: Inline[]): string[] =>
  nodes.flatMap((n) => (n.t === 'a' ? [n.href, ...links(n.c)] : 'c' in n ? links(n.c) : []));
const para = (b: Block | undefined) => (b && (b.t === 'p' || b.t === 'h') ? b.c : []);

describe('markdown parser', () => {
  it('parses paragraphs, line breaks, bold, italic and inline code', () => {
    const blocks = parse('Hello **big** *small* `x < y`\nnext line\n\nSecond');
    expect(blocks).toHaveLength(2);
    expect(para(blocks[0])).toEqual([
      { t: 'text', v: 'Hello ' },
      { t: 'b', c: [{ t: 'text', v: 'big' }] },
      { t: 'text', v: ' ' },
      { t: 'i', c: [{ t: 'text', v: 'small' }] },
      { t: 'text', v: ' ' },
      { t: 'code', v: 'x < y' },
      { t: 'br' },
      { t: 'text', v: 'next line' },
    ]);
    expect(para(blocks[1])).toEqual([{ t: 'text', v: 'Second' }]);
  });

  it('keeps HTML as text: nothing becomes markup', () => {
    const src = '<img src=x onerror=alert(1)> <script>alert(1)</script> &amp;';
    const [block] = parse(src);
    expect(para(block)).toEqual([{ t: 'text', v: src }]);
  });

  it('links only http, https and mailto; javascript: and friends keep their words only', () => {
    const ok = inline('[docs](https://example.com/a?b=1) and [mail](mailto:help@example.com)');
    expect(links(ok)).toEqual(['https://example.com/a?b=1', 'mailto:help@example.com']);
    for (const bad of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      ' javascript:alert(1)',
      'data:text/html,<b>x</b>',
      'vbscript:msgbox',
      '/relative/path',
    ]) {
      const nodes = inline(`[click](${bad})`);
      expect(links(nodes), bad).toEqual([]);
      expect(texts(nodes)).toBe('click');
    }
    // Whitespace inside the target makes it no link at all: it stays literal text.
    expect(inline('[click](java\tscript:alert(1))')).toEqual([
      { t: 'text', v: '[click](java\tscript:alert(1))' },
    ]);
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('http://example.com')).toBe('http://example.com/');
  });

  it('links bare URLs, leaving trailing punctuation outside', () => {
    const nodes = inline('See https://example.com/faq. Or (http://a.example/b)!');
    expect(links(nodes)).toEqual(['https://example.com/faq', 'http://a.example/b']);
    expect(texts(nodes)).toBe('See https://example.com/faq. Or (http://a.example/b)!');
  });

  it('parses fenced code blocks verbatim, including markers and HTML', () => {
    const blocks = parse('Before\n```js\nconst a = **b**;\n<div>\n```\nAfter');
    expect(blocks).toEqual([
      { t: 'p', c: [{ t: 'text', v: 'Before' }] },
      { t: 'pre', v: 'const a = **b**;\n<div>' },
      { t: 'p', c: [{ t: 'text', v: 'After' }] },
    ]);
  });

  it('runs an unclosed fence to the end (an answer still streaming)', () => {
    expect(parse('```\nline 1\nline 2')).toEqual([{ t: 'pre', v: 'line 1\nline 2' }]);
  });

  it('parses bullet and numbered lists, with continuation lines', () => {
    const blocks = parse('Steps:\n- one\n- **two**\n  more of two\n\n3. third\n4. fourth');
    expect(blocks[0]).toEqual({ t: 'p', c: [{ t: 'text', v: 'Steps:' }] });
    expect(blocks[1]).toMatchObject({ t: 'ul', start: 1 });
    const ul = blocks[1] as Extract<Block, { t: 'ul' }>;
    expect(ul.items.map(texts)).toEqual(['one', 'two\nmore of two']);
    expect(blocks[2]).toMatchObject({ t: 'ol', start: 3 });
    expect((blocks[2] as Extract<Block, { t: 'ol' }>).items.map(texts)).toEqual([
      'third',
      'fourth',
    ]);
  });

  it('shows headings as their own block', () => {
    expect(parse('## Opening hours ##\nMon–Fri')).toEqual([
      { t: 'h', c: [{ t: 'text', v: 'Opening hours' }] },
      { t: 'p', c: [{ t: 'text', v: 'Mon–Fri' }] },
    ]);
  });

  it('leaves unmatched markers, snake_case and escapes as text', () => {
    expect(texts(inline('2 * 3 = 6 and a_b_c, **open'))).toBe('2 * 3 = 6 and a_b_c, **open');
    expect(inline('a_b_c').every((n) => n.t === 'text')).toBe(true);
    expect(inline('\\*not italic\\*')).toEqual([{ t: 'text', v: '*not italic*' }]);
  });

  it('turns citation markers into cite nodes and lists their numbers in first-use order', () => {
    const nodes = inline('Two days a week [3]. Fridays too [1, 3].');
    expect(nodes.filter((n) => n.t === 'cite')).toEqual([
      { t: 'cite', n: 3 },
      { t: 'cite', n: 1 },
      { t: 'cite', n: 3 },
    ]);
    expect(citationNumbers('Two days a week [3]. Fridays too [1, 3].')).toEqual([3, 1]);
    // A link whose text is a number is a link, not a citation.
    expect(links(inline('[1](https://example.com)'))).toEqual(['https://example.com/']);
  });
});
