import { writeFileAtomic } from '@modalab/core';
import * as aq from 'arquero';
import * as path from 'node:path';
import { formatNumber } from '../report/render-report.js';

/** An arquero table (column-oriented; filter, group and join with arquero's verbs). */
export type ResultsTable = aq.ColumnTable;

/**
 * One row per record (a run, a seed, a metric...). Columns are the union of the rows' keys in
 * first-seen order: arquero's `from` takes only the first row's keys, which would silently
 * drop a metric that the first run lacks. A missing value is null.
 */
export function resultsTable(rows: ReadonlyArray<Record<string, unknown>>): ResultsTable {
  if (!Array.isArray(rows)) throw new Error(`resultsTable: rows must be an array of records, received ${typeof rows}`);
  const names = new Set<string>();
  rows.forEach((row, i) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw new Error(`resultsTable: rows[${i}] must be a record of column values, received ${row === null ? 'null' : Array.isArray(row) ? 'an array' : typeof row}`);
    }
    for (const key of Object.keys(row)) names.add(key);
  });
  const columns: Record<string, unknown[]> = {};
  for (const name of names) columns[name] = rows.map((row) => row[name] ?? null);
  return aq.table(columns);
}

/**
 * Writes `table` to `file` as CSV (`.csv`, RFC 4180 quoting by arquero) or as an Arrow IPC
 * *file* (`.arrow`, the random-access format with the ARROW1 magic that pyarrow's
 * `feather.read_table`/`ipc.open_file` and arquero's `fromArrow` read). The extension is
 * matched case-insensitively; any other is an error. The write is atomic (temp file + rename),
 * so a reader never sees a half-written table.
 */
export async function writeTable(table: aq.Table, file: string): Promise<void> {
  const ext = path.extname(file).toLowerCase();
  let bytes: string | Uint8Array;
  if (ext === '.csv') {
    bytes = aq.toCSV(table);
  } else if (ext === '.arrow') {
    try {
      bytes = aq.toArrowIPC(table, { format: 'file' });
    } catch (err) {
      throw new Error(`writeTable: could not encode the table as Arrow for ${file}: ${(err as Error).message}`, { cause: err });
    }
  } else {
    throw new Error(`writeTable: unsupported extension '${ext || '(none)'}' in ${file}; expected .csv or .arrow`);
  }
  await writeFileAtomic(file, bytes);
}

export interface FormatTableOptions {
  /** Rows shown before a "... N more rows" line; default 50 (a sweep fits, a per-query dump does not). */
  maxRows?: number;
}

/**
 * The table as aligned plain text for a terminal: a header, a rule of dashes, then one line a
 * row, columns two spaces apart. Numeric columns (every non-null value a number) are
 * right-aligned and use the report's number format (integers as is, otherwise four
 * significant digits, exponent notation only below 1e-4); other columns are left-aligned.
 * null/undefined print empty, objects as JSON, and line breaks as \n so rows stay one line.
 */
export function formatTable(table: aq.Table, options: FormatTableOptions = {}): string {
  const maxRows = options.maxRows ?? 50;
  if (!Number.isInteger(maxRows) || maxRows < 0) throw new Error(`formatTable: maxRows must be an integer >= 0, received ${maxRows}`);
  const names = table.columnNames();
  const total = table.numRows();
  const shown = Math.min(total, maxRows);
  const columns = names.map((name) => {
    const values = Array.from({ length: total }, (_, r) => table.get(name, r));
    const numeric = values.every((v) => v === null || v === undefined || typeof v === 'number');
    const cells = values.slice(0, shown).map(formatCell);
    const width = Math.max(name.length, ...cells.map((c) => c.length));
    const pad = (s: string): string => (numeric ? s.padStart(width) : s.padEnd(width));
    return { header: pad(name), rule: '-'.repeat(width), cells: cells.map(pad) };
  });
  const line = (parts: string[]): string => parts.join('  ').trimEnd();
  const lines = [line(columns.map((c) => c.header)), line(columns.map((c) => c.rule))];
  for (let r = 0; r < shown; r++) lines.push(line(columns.map((c) => c.cells[r]!)));
  if (shown < total) lines.push(`... ${total - shown} more row${total - shown === 1 ? '' : 's'} (${total} in all)`);
  return lines.join('\n');
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return escapeBreaks(value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  return escapeBreaks(JSON.stringify(value) ?? String(value));
}

function escapeBreaks(s: string): string {
  return s.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}
