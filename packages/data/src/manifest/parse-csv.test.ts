import { describe, expect, it } from 'vitest';
import { CsvFatalError, parseCsv } from './parse-csv.js';

describe('parseCsv (RFC 4180)', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF or LF, and keeps start lines', () => {
    const text = 'id,text\r\na,"x, y"\n\nb,"say ""hi"""\r\nc,"two\nlines"\nd,\n';
    expect(parseCsv(text, 1000)).toEqual([
      { line: 1, fields: ['id', 'text'] },
      { line: 2, fields: ['a', 'x, y'] },
      { line: 4, fields: ['b', 'say "hi"'] },
      { line: 5, fields: ['c', 'two\nlines'] },
      { line: 7, fields: ['d', ''] },
    ]);
  });

  it('reads a last record without a line break and an empty quoted field', () => {
    expect(parseCsv('a,""', 10)).toEqual([{ line: 1, fields: ['a', ''] }]);
  });

  it('reports a stray quote or text after a closing quote, and resumes on the next line', () => {
    expect(parseCsv('a,b"c\n"x"y,z\nok,1\n', 100)).toEqual([
      { line: 1, error: expect.stringMatching(/a quote inside unquoted field 2/), tooLong: false },
      { line: 2, error: expect.stringMatching(/text after a closing quote in field 1/), tooLong: false },
      { line: 3, fields: ['ok', '1'] },
    ]);
  });

  it('reports records over the length limit, quoted or not, and keeps counting lines', () => {
    const rows = parseCsv(`a,${'x'.repeat(50)}\n"${'y\n'.repeat(30)}",1\nok,2\n`, 20);
    expect(rows).toEqual([
      { line: 1, error: 'record is 53 characters long, over the limit of 20', tooLong: true },
      { line: 2, error: expect.stringMatching(/over the limit of 20/), tooLong: true },
      { line: 33, fields: ['ok', '2'] },
    ]);
  });

  it('throws on an unterminated quote, naming the line it starts on', () => {
    const error = (() => {
      try {
        parseCsv('id,text\na,"open\nb,c\n', 100);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CsvFatalError);
    expect((error as CsvFatalError).line).toBe(2);
    expect((error as CsvFatalError).message).toMatch(/unterminated quoted field/);
  });
});
