import { chunkBlocks, parseCsv, parseHtml } from '@platform/knowledge';
import { describe, expect, it } from 'vitest';

describe('HTML parsing', () => {
  const html = `<!doctype html><html><head><title>Refund Policy</title><style>p{color:red}</style></head>
  <body><nav><a href="/">Home</a> <a href="/pricing">Pricing</a></nav>
  <h1>Refunds</h1><p>We refund   unused seats <b>within 30 days</b>.</p>
  <h2>How to ask</h2><ol><li>Open the billing page.</li><li>Click <em>Request refund</em>.</li></ol>
  <h2>Limits</h2><table><thead><tr><th>Plan</th><th>Window</th></tr></thead>
  <tbody><tr><td>Pro</td><td>30 days</td></tr><tr><td>Enterprise | annual</td><td>60 days</td></tr></tbody></table>
  <pre>curl -X POST /refunds\n  -d seats=3</pre><script>alert('x')</script><footer>© Acme</footer></body></html>`;

  it('turns the DOM into headings, paragraphs, lists, tables and code, dropping chrome', () => {
    const doc = parseHtml(html);
    expect(doc.title).toBe('Refund Policy');
    expect(doc.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Refunds' },
      { kind: 'paragraph', text: 'We refund unused seats within 30 days.' },
      { kind: 'heading', level: 2, text: 'How to ask' },
      { kind: 'list', text: '1. Open the billing page.\n2. Click Request refund.' },
      { kind: 'heading', level: 2, text: 'Limits' },
      {
        kind: 'table',
        text: '| Plan | Window |\n| --- | --- |\n| Pro | 30 days |\n| Enterprise \\| annual | 60 days |',
      },
      { kind: 'code', text: 'curl -X POST /refunds\n  -d seats=3' },
    ]);
  });

  it('chunks with the heading path for citations', () => {
    const chunks = chunkBlocks(parseHtml(html).blocks);
    expect(chunks.map((c) => c.headingPath.join(' > '))).toEqual([
      'Refunds',
      'Refunds > How to ask',
      'Refunds > Limits',
    ]);
  });
});

describe('CSV parsing', () => {
  it('becomes one table with the header first, quotes and ragged rows handled', () => {
    const doc = parseCsv(
      '\uFEFFquestion,answer\n"How do I reset, quickly?",Use the link\nWhere are invoices?,Billing page,extra\n\n',
    );
    expect(doc.blocks).toEqual([
      {
        kind: 'table',
        text: '| question | answer |  |\n| --- | --- | --- |\n| How do I reset, quickly? | Use the link |  |\n| Where are invoices? | Billing page | extra |',
      },
    ]);
  });

  it('splits a long CSV by rows, header repeated', () => {
    const rows = Array.from(
      { length: 200 },
      (_, i) => `sku-${i},Item number ${i} with a longer description`,
    );
    const chunks = chunkBlocks(parseCsv(`sku,description\n${rows.join('\n')}`).blocks, {
      targetChars: 800,
      overlapChars: 0,
    });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(c.content.startsWith('| sku | description |')).toBe(true);
  });

  it('yields nothing for an empty file', () => {
    expect(parseCsv('').blocks).toEqual([]);
  });
});
