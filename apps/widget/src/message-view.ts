import { button, h } from './dom.ts';
import { errorText, type Locale, t } from './i18n.ts';
import { citationNumbers } from './markdown.ts';
import { renderMarkdown } from './render.ts';
import type { Item } from './store.ts';

/**
 * One message as DOM: who wrote it, the text (Markdown for answers, plain text for the
 * visitor's own), its sending state, and for answers the sources it cites in a <details>.
 */
export function messageNode(item: Item, locale: Locale, retry: (id: string) => void): HTMLElement {
  const m = item.message;
  const kind = m.role === 'user' ? 'u' : m.role === 'system' ? 's' : 'a';
  const el = h('div', { class: `m ${kind}` });
  if (kind === 'a')
    el.append(
      h(
        'div',
        { class: 'who' },
        m.author.name ?? t(locale, m.author.type === 'ai' ? 'assistant' : 'agent'),
      ),
    );
  if (kind === 'u') el.append(h('span', { class: 'sr' }, `${t(locale, 'you')}:`));

  // The server lists citations in order of first use in the text, so the k-th marker number
  // is citations[k]; when the counts disagree the markers stay unlinked rather than wrong.
  const numbers = citationNumbers(m.text);
  const linked = m.citations.length > 0 && numbers.length === m.citations.length;
  const sources = h('details', {});
  const entries = m.citations.map((c, k) =>
    h(
      'li',
      { tabindex: '-1', ...(linked ? { value: String(numbers[k]) } : {}) },
      h('strong', {}, c.title),
      h('p', {}, c.snippet),
    ),
  );
  const cite = (n: number) => {
    const entry = linked ? entries[numbers.indexOf(n)] : undefined;
    if (!entry) return null;
    const open = () => {
      sources.open = true;
      entry.focus();
    };
    return h('sup', {}, button({ 'aria-label': t(locale, 'source', { n }) }, open, String(n)));
  };
  el.append(h('div', { class: 'b' }, kind === 'u' ? m.text : renderMarkdown(m.text, cite)));

  if (item.state === 'sending') el.append(h('div', { class: 'st' }, t(locale, 'sending')));
  if (item.state === 'failed' && m.clientMessageId) {
    const id = m.clientMessageId;
    el.append(
      h(
        'div',
        { class: 'st', role: 'alert' },
        `${t(locale, 'notSent')} ${errorText(locale, item.error ?? 'error')}`,
        button({}, () => retry(id), t(locale, 'retry')),
      ),
    );
  }
  if (entries.length) {
    sources.append(
      h('summary', {}, t(locale, 'sources', { n: entries.length })),
      h('ol', {}, ...entries),
    );
    el.append(sources);
  }
  return el;
}
