/**
 * A small Markdown subset parsed into a tiny node tree: paragraphs, line breaks, **bold**,
 * *italic*, `code`, fenced code, lists, headings (shown as bold lines), links and citation
 * markers like [1]. The tree holds only text and vetted URLs; render.ts turns it into DOM with
 * createElement and textContent, so no string from the server ever becomes HTML. Pure, so it
 * is tested without a DOM.
 */

export type Inline =
  | { t: 'text'; v: string }
  | { t: 'b' | 'i'; c: Inline[] }
  | { t: 'code'; v: string }
  | { t: 'a'; href: string; c: Inline[] }
  | { t: 'br' }
  | { t: 'cite'; n: number };

export type Block =
  | { t: 'p' | 'h'; c: Inline[] }
  | { t: 'pre'; v: string }
  | { t: 'ul' | 'ol'; items: Inline[][]; start: number };

/** Only these schemes become links; anything else (javascript:, data:, relative) stays text. */
export function safeHref(raw: string): string | null {
  try {
    const url = new URL(raw.trim());
    return ['http:', 'https:', 'mailto:'].includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

const FENCE = /^\s{0,3}(```|~~~)/;
const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;
const ORDERED = /^\s{0,3}(\d{1,9})[.)]\s+(.*)$/;
const HEADING = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/;

/** Parses Markdown text into blocks. An unclosed fence (an answer still streaming) runs to the end. */
export function parse(text: string): Block[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let para: string[] = [];
  const endPara = () => {
    if (para.length) blocks.push({ t: 'p', c: inline(para.join('\n')) });
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const fence = FENCE.exec(line);
    if (fence) {
      endPara();
      const body: string[] = [];
      while (++i < lines.length && !(lines[i] ?? '').trimStart().startsWith(fence[1] ?? '```'))
        body.push(lines[i] ?? '');
      blocks.push({ t: 'pre', v: body.join('\n') });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      endPara();
      blocks.push({ t: 'h', c: inline(heading[1] ?? '') });
      continue;
    }
    const bullet = BULLET.exec(line);
    const ordered = bullet ? null : ORDERED.exec(line);
    if (bullet || ordered) {
      endPara();
      const kind = bullet ? 'ul' : 'ol';
      const items: string[] = [];
      const start = ordered ? Number(ordered[1]) : 1;
      for (; i < lines.length; i++) {
        const l = lines[i] ?? '';
        const m = kind === 'ul' ? BULLET.exec(l) : ORDERED.exec(l);
        if (m) items.push(m[kind === 'ul' ? 1 : 2] ?? '');
        // An indented line continues the item above it.
        else if (/^\s{2,}\S/.test(l) && items.length) items[items.length - 1] += `\n${l.trim()}`;
        else break;
      }
      i--;
      blocks.push({ t: kind, items: items.map(inline), start });
      continue;
    }
    if (line.trim()) para.push(line);
    else endPara();
  }
  endPara();
  return blocks;
}

const CITE = /^\[(\d{1,2}(?:\s*,\s*\d{1,2})*)\]/;
// The target may hold one level of balanced parentheses, as in Wikipedia URLs.
const LINK = /^\[([^\]\n]*)\]\(\s*((?:[^()\s]|\([^()\s]*\))+)\s*\)/;
const BARE_URL = /^https?:\/\/[^\s<>"]*[^\s<>".,;:!?)\]'*_]/;
const ESCAPABLE = '\\`*_[]()#+-.!';

/** Parses inline Markdown; unmatched markers stay as literal text. */
export function inline(s: string): Inline[] {
  const out: Inline[] = [];
  let buf = '';
  let i = 0;
  const flush = () => {
    if (buf) out.push({ t: 'text', v: buf });
    buf = '';
  };
  const push = (node: Inline, next: number) => {
    flush();
    out.push(node);
    i = next;
  };
  while (i < s.length) {
    const ch = s[i] ?? '';
    const prev = s[i - 1] ?? ' ';
    if (ch === '\\' && ESCAPABLE.includes(s[i + 1] ?? 'x')) {
      buf += s[i + 1];
      i += 2;
      continue;
    }
    if (ch === '\n') {
      push({ t: 'br' }, i + 1);
      continue;
    }
    if (ch === '`') {
      const end = s.indexOf('`', i + 1);
      if (end > i + 1) {
        push({ t: 'code', v: s.slice(i + 1, end) }, end + 1);
        continue;
      }
    }
    if (s.startsWith('**', i) || s.startsWith('__', i)) {
      const end = s.indexOf(ch + ch, i + 2);
      if (end > i + 2) {
        push({ t: 'b', c: inline(s.slice(i + 2, end)) }, end + 2);
        continue;
      }
    }
    // Emphasis opens before a non-space; `_` only at a word start, so snake_case stays text.
    if ((ch === '*' || (ch === '_' && !/\w/.test(prev))) && /\S/.test(s[i + 1] ?? ' ')) {
      const end = s.indexOf(ch, i + 1);
      if (end > i + 1 && /\S/.test(s[end - 1] ?? ' ')) {
        push({ t: 'i', c: inline(s.slice(i + 1, end)) }, end + 1);
        continue;
      }
    }
    if (ch === '[') {
      const rest = s.slice(i);
      const link = LINK.exec(rest);
      if (link) {
        const href = safeHref(link[2] ?? '');
        const label = inline(link[1] || link[2] || '');
        // A refused link keeps its words, without the target.
        if (href) push({ t: 'a', href, c: label }, i + link[0].length);
        else {
          flush();
          out.push(...label);
          i += link[0].length;
        }
        continue;
      }
      const cite = CITE.exec(rest);
      if (cite) {
        flush();
        for (const n of (cite[1] ?? '').split(',')) out.push({ t: 'cite', n: Number(n) });
        i += cite[0].length;
        continue;
      }
    }
    if ((ch === 'h' || ch === 'H') && !/\w/.test(prev)) {
      const url = BARE_URL.exec(s.slice(i));
      const href = url && safeHref(url[0]);
      if (url && href) {
        push({ t: 'a', href, c: [{ t: 'text', v: url[0] }] }, i + url[0].length);
        continue;
      }
    }
    buf += ch;
    i++;
  }
  flush();
  return out;
}

/**
 * The citation numbers in an answer, in order of first use. The server lists an answer's
 * citations in that same order (packages/ai/src/answer/citations.ts), so the k-th number here
 * is citations[k] when the counts agree.
 */
export function citationNumbers(text: string): number[] {
  const seen: number[] = [];
  for (const m of text.matchAll(/\[(\d{1,2}(?:\s*,\s*\d{1,2})*)\]/g))
    for (const n of (m[1] ?? '').split(',').map(Number)) if (!seen.includes(n)) seen.push(n);
  return seen;
}
