import { parse } from 'csv-parse/sync';
import type { ParsedDocument } from '../blocks.ts';
import { markdownTable } from './table.ts';

/** CSV to one table block (first row as header); the chunker splits it by rows. */
export function parseCsv(source: string): ParsedDocument {
  const rows = parse(source, {
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
  }) as string[][];
  const filled = rows.filter((r) => r.some((c) => c.trim()));
  return { blocks: filled.length ? [{ kind: 'table', text: markdownTable(filled) }] : [] };
}
