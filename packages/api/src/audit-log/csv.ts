/**
 * CSV as RFC 4180 has it (CRLF rows; a field holding a comma, quote or line break is quoted,
 * quotes doubled), safe to open in a spreadsheet: a cell that starts like a formula (= + - @,
 * or a tab or carriage return that some spreadsheets skip) gets a leading single quote, so
 * text an attacker put in a log (a user agent, a name) is never evaluated (CSV injection).
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text =
    value instanceof Date
      ? value.toISOString()
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const lines = [header, ...rows].map((row) => `${row.map(csvCell).join(',')}\r\n`);
  return lines.join('');
}
