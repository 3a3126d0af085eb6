import * as aq from 'arquero';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTable, resultsTable, writeTable } from './results-table.js';

const rows = [
  { run: 'clip-s0', seed: 0, 'R@1': 0.3125, loss: 2.5 },
  { run: 'clip-s1', seed: 1, 'R@1': 0.28, loss: 2.625, note: 'lr "0.1", warm' },
];

describe('resultsTable', () => {
  it('takes the union of the rows keys in first-seen order, missing values null', () => {
    const t = resultsTable(rows);
    expect(t.columnNames()).toEqual(['run', 'seed', 'R@1', 'loss', 'note']);
    expect(t.numRows()).toBe(2);
    expect(t.get('note', 0)).toBeNull();
    expect(t.get('note', 1)).toBe('lr "0.1", warm');
    expect(resultsTable([]).numRows()).toBe(0);
  });

  it('rejects rows that are not records', () => {
    expect(() => resultsTable([{ a: 1 }, null as unknown as Record<string, unknown>])).toThrow(/rows\[1\] must be a record of column values, received null/);
    expect(() => resultsTable([[1, 2] as unknown as Record<string, unknown>])).toThrow(/rows\[0\] must be a record.*received an array/);
  });
});

describe('writeTable', () => {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-tables-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes CSV text (quoted where needed) that reads back to the same rows', async () => {
    const file = path.join(dir, 'results.csv');
    await writeTable(resultsTable(rows), file);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toBe(['run,seed,R@1,loss,note', 'clip-s0,0,0.3125,2.5,', 'clip-s1,1,0.28,2.625,"lr ""0.1"", warm"', ''].join('\n'));
    expect(aq.fromCSV(text).objects()).toEqual(rows.map((r) => ({ note: null, ...r })));
  });

  it('writes an Arrow IPC file (upper-case extension too) that fromArrow reads back', async () => {
    const file = path.join(dir, 'results.ARROW');
    await writeTable(resultsTable(rows), file);
    const bytes = fs.readFileSync(file);
    expect(new TextDecoder().decode(bytes.subarray(0, 6))).toBe('ARROW1'); // the file format's magic, not a stream
    const back = aq.fromArrow(new Uint8Array(bytes));
    expect(back.columnNames()).toEqual(['run', 'seed', 'R@1', 'loss', 'note']);
    expect(back.objects()).toEqual(rows.map((r) => ({ note: null, ...r })));
  });

  it('replaces an existing file and leaves no temp files behind', async () => {
    const file = path.join(dir, 'replace.csv');
    await writeTable(resultsTable([{ a: 1 }]), file);
    await writeTable(resultsTable([{ b: 2 }]), file);
    expect(fs.readFileSync(file, 'utf8')).toBe('b\n2\n');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('rejects other extensions, naming the file, and writes nothing', async () => {
    const json = path.join(dir, 'results.json');
    await expect(writeTable(resultsTable(rows), json)).rejects.toThrow(/unsupported extension '\.json' in .*results\.json; expected \.csv or \.arrow/);
    await expect(writeTable(resultsTable(rows), path.join(dir, 'results'))).rejects.toThrow(/unsupported extension '\(none\)'/);
    expect(fs.existsSync(json)).toBe(false);
  });
});

describe('formatTable', () => {
  it('aligns columns: numbers right with four significant digits, text left', () => {
    const t = resultsTable([
      { modality: 'image->text', 'R@1': 0.123456, rank: 3, ok: true },
      { modality: 'text->image', 'R@1': 1, rank: 12, ok: false },
      { modality: 'a\nb', 'R@1': Number.NaN, rank: null, ok: null },
    ]);
    expect(formatTable(t)).toBe(
      [
        'modality        R@1  rank  ok',
        '-----------  ------  ----  -----',
        'image->text  0.1235     3  true',
        'text->image       1    12  false',
        'a\\nb            NaN',
      ].join('\n'),
    );
  });

  it('cuts long tables at maxRows and says how many are left', () => {
    const t = resultsTable(Array.from({ length: 5 }, (_, i) => ({ i, x: i / 3 })));
    expect(formatTable(t, { maxRows: 2 })).toBe(['i       x', '-  ------', '0       0', '1  0.3333', '... 3 more rows (5 in all)'].join('\n'));
    expect(formatTable(t, { maxRows: 0 }).split('\n')).toHaveLength(3);
    expect(() => formatTable(t, { maxRows: -1 })).toThrow(/maxRows must be an integer >= 0, received -1/);
  });
});
