/** Renders rows as a Markdown table, the one table shape the chunker knows how to split. */
export function markdownTable(rows: string[][]): string {
  const width = Math.max(...rows.map((r) => r.length));
  const cell = (s: string | undefined) =>
    (s ?? '').replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
  const line = (r: string[]) =>
    `| ${Array.from({ length: width }, (_, i) => cell(r[i])).join(' | ')} |`;
  const [header = [], ...body] = rows;
  return [line(header), `|${' --- |'.repeat(width)}`, ...body.map(line)].join('\n');
}
