import { describe, expect, it } from 'vitest';
import { csvCell, toCsv } from '../src/audit-log/csv.ts';

describe('audit CSV cells', () => {
  it('quotes as RFC 4180 says: commas, quotes and line breaks, quotes doubled', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\rlf')).toBe('"cr\rlf"');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(42)).toBe('42');
    expect(csvCell(new Date('2026-11-28T09:00:00.000Z'))).toBe('2026-11-28T09:00:00.000Z');
    expect(csvCell({ a: '1,2' })).toBe('"{""a"":""1,2""}"');
  });

  it('defuses cells a spreadsheet would run as a formula', () => {
    expect(csvCell('=1+2')).toBe("'=1+2");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\t=1')).toBe("'\t=1");
    expect(csvCell('=HYPERLINK("x","y")')).toBe('"\'=HYPERLINK(""x"",""y"")"');
    expect(csvCell(-5)).toBe("'-5");
    expect(csvCell('a=1')).toBe('a=1');
  });

  it('ends every row, the last included, with CRLF', () => {
    expect(toCsv(['a', 'b'], [[1, 'x,y']])).toBe('a,b\r\n1,"x,y"\r\n');
    expect(toCsv(['a'], [])).toBe('a\r\n');
  });
});
