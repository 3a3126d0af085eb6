import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MediaError } from '../decode/media-error.js';
import type { BadItem } from '../manifest/dataset-types.js';
import { DataAbortError, DataReport } from './data-report.js';

const bad = (line: number, code: BadItem['code'] = 'missing-file'): BadItem => ({ file: 'm.jsonl', line, id: `x${line}`, modality: 'image', path: `/d/x${line}.png`, code, reason: `image file not found: /d/x${line}.png` });

describe('DataReport', () => {
  it('strict: the first bad item throws a MediaError with file, line and code', () => {
    const report = new DataReport({ mode: 'strict' });
    report.recordGood();
    let error: unknown;
    try {
      report.recordBad(bad(3));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MediaError);
    expect((error as MediaError).message).toBe('m.jsonl:3: image file not found: /d/x3.png');
    expect((error as MediaError).code).toBe('missing-file');
    expect(report.toJSON().bad).toHaveLength(1);
  });

  it('skip: records each bad item once, counts per code and modality', () => {
    const report = new DataReport({ mode: 'skip', maxBadFraction: 1 });
    expect(report.recordBad(bad(1))).toBe(true);
    expect(report.recordBad(bad(1))).toBe(false);
    report.recordBad({ file: 'm.jsonl', line: 2, code: 'manifest-syntax', reason: 'invalid JSON' });
    report.recordGood();
    expect(report.isBad({ file: 'm.jsonl', line: 1, id: 'x1' })).toBe(true);
    expect(report.finish()).toMatchObject({
      version: 1,
      counts: { seen: 3, good: 1, bad: 2 },
      byCode: { 'missing-file': 1, 'manifest-syntax': 1 },
      byModality: { image: 1, none: 1 },
      aborted: undefined,
    });
  });

  it('skip: aborts after more than N consecutive bad items; a good item resets the run', () => {
    const report = new DataReport({ mode: 'skip', maxConsecutiveBad: 2, maxBadFraction: 1 });
    report.recordBad(bad(1));
    report.recordBad(bad(2));
    report.recordGood();
    report.recordBad(bad(4));
    report.recordBad(bad(5));
    expect(() => report.recordBad(bad(6))).toThrow(/aborting: 3 bad items in a row \(limit 2\); the last: image file not found/);
    expect(report.toJSON().aborted).toMatch(/3 bad items in a row/);
    expect(report.toJSON().bad).toHaveLength(5);
  });

  it('skip: aborts past the bad fraction once enough items were seen, and at the end', () => {
    const report = new DataReport({ mode: 'skip', maxBadFraction: 0.25, minItemsForFraction: 8, maxConsecutiveBad: 100 });
    for (let i = 0; i < 5; i++) report.recordGood();
    report.recordBad(bad(6));
    report.recordBad(bad(7)); // 2 of 7: below the minimum count, not checked yet
    expect(() => report.recordBad(bad(8))).toThrow(DataAbortError); // 3 of 8 = 37.5% > 25%
    const small = new DataReport({ mode: 'skip', maxBadFraction: 0.25, minItemsForFraction: 100 });
    small.recordGood();
    small.recordBad(bad(2));
    expect(() => small.finish()).toThrow(/1 of 2 items are bad \(50\.0%, limit 25\.0%\)/);
  });

  it('refuses unknown policy keys with their path', () => {
    expect(() => new DataReport({ mode: 'skip', maxBad: 3 } as never)).toThrow(/Invalid data policy: .*maxBad/);
  });

  it('writes data-report.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'modalab-report-'));
    try {
      const report = new DataReport({ mode: 'skip' }, { path: '/d/m.jsonl', format: 'jsonl', root: '/d' });
      report.recordBad(bad(1));
      const file = await report.write(join(dir, 'run'));
      expect(file).toBe(join(dir, 'run', 'data-report.json'));
      const json = JSON.parse(await readFile(file, 'utf8')) as { bad: BadItem[]; source: { format: string } };
      expect(json.bad).toEqual([bad(1)]);
      expect(json.source.format).toBe('jsonl');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
