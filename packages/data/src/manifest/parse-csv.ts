/** A record: its fields, and the 1-based line it starts on. */
export interface CsvRecord {
  line: number;
  fields: string[];
}
/** A record that breaks RFC 4180; parsing resumes on the next line. */
export interface CsvRecordError {
  line: number;
  error: string;
  tooLong: boolean;
}

export class CsvFatalError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(reason);
  }
}

/**
 * RFC 4180 CSV: fields separated by commas, records by LF or CRLF; a field containing a comma, a quote
 * or a line break is wrapped in double quotes, and a quote inside it is doubled (`"say ""hi"""`).
 * Strict where the RFC is: a quote inside an unquoted field, or text after a closing quote, makes the
 * record bad (reported with its line, parsing resumes on the next line). An unterminated quoted field
 * swallows the rest of the file, so it throws `CsvFatalError` rather than losing records silently.
 * Blank records are skipped. Records longer than `maxRecordChars` are reported, not stored.
 */
export function parseCsv(text: string, maxRecordChars: number): Array<CsvRecord | CsvRecordError> {
  const out: Array<CsvRecord | CsvRecordError> = [];
  const n = text.length;
  let i = 0;
  let line = 1;

  /** Skips to just after the next line break (or the end), counting it. */
  const skipLine = (): void => {
    const nl = text.indexOf('\n', i);
    i = nl < 0 ? n : nl + 1;
    if (nl >= 0) line++;
  };

  while (i < n) {
    const startLine = line;
    const start = i;
    const fields: string[] = [];
    let error: string | undefined;
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) throw new CsvFatalError(startLine, 'unterminated quoted field (a " without its closing ")');
          const chunk = text.slice(i, q);
          for (let k = chunk.indexOf('\n'); k >= 0; k = chunk.indexOf('\n', k + 1)) line++;
          if (q - start <= maxRecordChars) field += chunk;
          if (text[q + 1] === '"') {
            field += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        const c = text[i];
        if (i < n && c !== ',' && c !== '\n' && !(c === '\r' && text[i + 1] === '\n')) {
          error = `text after a closing quote in field ${fields.length + 1} (double a quote inside a quoted field: "")`;
        }
      } else {
        let j = i;
        while (j < n && text[j] !== ',' && text[j] !== '\n') j++;
        field = text.slice(i, j);
        if (text[j] === '\n' && field.endsWith('\r')) field = field.slice(0, -1);
        if (field.includes('"')) {
          error = `a quote inside unquoted field ${fields.length + 1}; wrap the field in quotes and double the inner quote ("")`;
        }
        i = j;
      }
      if (error !== undefined) break;
      fields.push(field);
      if (i >= n) break;
      if (text[i] === ',') {
        i++;
        continue;
      }
      // A line break ends the record.
      i += text[i] === '\r' ? 2 : 1;
      line++;
      break;
    }
    if (error !== undefined) {
      skipLine();
      out.push({ line: startLine, error, tooLong: false });
      continue;
    }
    const length = i - start;
    if (length > maxRecordChars) {
      out.push({ line: startLine, error: `record is ${length} characters long, over the limit of ${maxRecordChars}`, tooLong: true });
      continue;
    }
    if (fields.length === 1 && (fields[0] as string).trim() === '') continue;
    out.push({ line: startLine, fields });
  }
  return out;
}
