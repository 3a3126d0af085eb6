import { describe, expect, it } from 'vitest';
import type { RetrievalResult } from '../retrieval/rank-retrieval.js';
import { recallBars } from './recall-bars.js';
import { similarityHeatmap } from './similarity-heatmap.js';
import { trainingCurves } from './training-curves.js';

/** A figure must survive JSON (it is inlined into HTML) and name a trace type. */
function expectWellFormed(fig: { data: Array<Record<string, unknown>>; layout: Record<string, unknown> }): void {
  expect(JSON.parse(JSON.stringify(fig))).toEqual(fig);
  expect(fig.data.length).toBeGreaterThan(0);
  for (const trace of fig.data) expect(typeof trace.type).toBe('string');
  expect(fig.layout.title).toBeDefined();
}

const result = (r1: number, chance1: number): RetrievalResult => ({
  n: 10,
  galleryCount: 20,
  recall: { 1: r1, 5: 0.6, 10: 0.9 },
  medianRank: 3.5,
  meanRank: 4,
  mrr: 0.4,
  chance: { recall: { 1: chance1, 5: 0.25, 10: 0.5 }, medianRank: 10.5 },
});

describe('trainingCurves', () => {
  it('draws one stacked panel per key sharing x', () => {
    const rows = [
      { step: 0, loss: 4.1, temperature: 0.07 },
      { step: 10, loss: 3.2 },
      { step: 20, loss: Number.NaN, temperature: 0.05 },
    ];
    const fig = trainingCurves(rows, ['loss', 'temperature'], { logY: ['loss'] });
    expectWellFormed(fig);
    expect(fig.data.map((t) => t.yaxis)).toEqual(['y', 'y2']);
    expect(fig.data[0]!.x).toEqual([0, 10, 20]);
    expect(fig.data[0]!.y).toEqual([4.1, 3.2, null]); // NaN is a visible gap
    expect(fig.data[1]!.x).toEqual([0, 20]); // rows without the key are skipped
    expect((fig.layout.yaxis as { type: string }).type).toBe('log');
    expect((fig.layout.yaxis2 as { type: string }).type).toBe('linear');
    const [lo1, hi1] = (fig.layout.yaxis as { domain: number[] }).domain as [number, number];
    const [lo2, hi2] = (fig.layout.yaxis2 as { domain: number[] }).domain as [number, number];
    expect(hi1).toBe(1);
    expect(lo2).toBeGreaterThanOrEqual(0);
    expect(hi2).toBeLessThan(lo1); // panels do not overlap
  });

  it('names the problem in errors', () => {
    expect(() => trainingCurves([{ loss: 1 }], ['loss'])).toThrow(/rows\[0\]\.step is undefined/);
    expect(() => trainingCurves([{ step: 1, loss: 1 }], ['lr'])).toThrow(/no row has 'lr'; columns seen: step, loss/);
    expect(() => trainingCurves([], [])).toThrow(/keys is empty/);
  });
});

describe('recallBars', () => {
  it('groups bars per K with a chance dash per result', () => {
    const fig = recallBars({ 'test/image->text': result(0.3, 0.05), 'test/text->image': result(0.25, 0.05) });
    expectWellFormed(fig);
    expect(fig.data.map((t) => t.type)).toEqual(['bar', 'scatter', 'bar', 'scatter']);
    expect(fig.data[0]!.x).toEqual(['R@1', 'R@5', 'R@10']);
    expect(fig.data[0]!.y).toEqual([0.3, 0.6, 0.9]);
    expect(fig.data[1]!.y).toEqual([0.05, 0.25, 0.5]);
    expect(fig.data[1]!.offsetgroup).toBe(fig.data[0]!.offsetgroup);
    expect(fig.layout.barmode).toBe('group');
    expect(String((fig.layout.title as { text: string }).text)).toMatch(/chance/);
    expect(() => recallBars({})).toThrow(/results is empty/);
  });
});

describe('similarityHeatmap', () => {
  it('keeps labels distinct and checks shapes', () => {
    const fig = similarityHeatmap([[1, 0.2], [-0.1, Number.NaN]], ['cat', 'cat'], ['a', 'b'], 'sample');
    expectWellFormed(fig);
    expect(fig.data[0]!.y).toEqual(['cat', 'cat #2']);
    expect(fig.data[0]!.z).toEqual([[1, 0.2], [-0.1, null]]);
    expect(() => similarityHeatmap([[1]], ['a', 'b'], ['c'], 't')).toThrow(/1 rows but rowLabels has 2/);
    expect(() => similarityHeatmap([[1, 2]], ['a'], ['c'], 't')).toThrow(/matrix\[0\] has 2 columns but colLabels has 1/);
  });
});
