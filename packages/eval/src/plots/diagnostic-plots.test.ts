import { describe, expect, it } from 'vitest';
import { pca } from '../project/pca.js';
import { aggregateSeeds } from '../stats/seeds.js';
import { ablationBars } from './ablation-bars.js';
import { embeddingScatter } from './embedding-scatter.js';
import { gapShiftCurve } from './gap-shift-curve.js';

/** A figure must survive JSON (it is inlined into HTML) and name a trace type. */
function expectWellFormed(fig: { data: Array<Record<string, unknown>>; layout: Record<string, unknown> }): void {
  expect(JSON.parse(JSON.stringify(fig))).toEqual(fig);
  expect(fig.data.length).toBeGreaterThan(0);
  for (const trace of fig.data) expect(typeof trace.type).toBe('string');
  expect(fig.layout.title).toBeDefined();
}

describe('embeddingScatter', () => {
  it('colours by modality in sorted order and joins pairs with one null-separated trace', () => {
    const fig = embeddingScatter({ text: [[1, 1], [2, 2]], image: [[0, 0], [0, 1]] }, { labels: { text: ['a cat', 'a dog'] } });
    expectWellFormed(fig);
    expect(fig.data.map((t) => t.name)).toEqual(['pairs', 'image (n=2)', 'text (n=2)']);
    expect(fig.data[0]!.x).toEqual([0, 1, null, 0, 2, null]); // image[i] -> text[i]
    expect(fig.data[0]!.y).toEqual([0, 1, null, 1, 2, null]);
    expect(fig.data[2]!.text).toEqual(['a cat', 'a dog']);
    expect((fig.layout.yaxis as { scaleanchor: string }).scaleanchor).toBe('x');
  });

  it('works from a PCA of stacked modalities, caps lines, skips pairs for unequal counts', () => {
    const image = Array.from({ length: 6 }, (_, i) => [Math.cos(i), Math.sin(i), 1, 0]);
    const text = Array.from({ length: 6 }, (_, i) => [Math.cos(i), Math.sin(i), -1, 0.2]);
    const fit = pca([...image, ...text]);
    const axis = (k: number) => `PC${k + 1} (${(100 * fit.explainedVarianceRatio[k]!).toFixed(1)}%)`;
    const fig = embeddingScatter(
      { image: fit.projected.slice(0, 6), text: fit.projected.slice(6) },
      { axisTitles: [axis(0), axis(1)], maxPairLines: 4 },
    );
    expectWellFormed(fig);
    expect(fig.data[0]!.name).toBe('pairs (first 4)');
    expect((fig.data[0]!.x as unknown[]).length).toBe(12);
    expect(String((fig.layout.xaxis as { title: { text: string } }).title.text)).toMatch(/^PC1 \(\d+\.\d%\)$/);
    const single = embeddingScatter({ image: [[0, 0]], text: [[1, 1], [2, 2]] });
    expect(single.data.map((t) => t.mode)).toEqual(['markers', 'markers']);
    expect(embeddingScatter({ image: [[0, 0]] }).data).toHaveLength(1); // batch of 1, one modality
  });

  it('names the problem in errors', () => {
    expect(() => embeddingScatter({})).toThrow(/points is empty/);
    expect(() => embeddingScatter({ image: [[0, 0, 1]] })).toThrow(/points\.image\[0\] has 3 coordinates; project to 2-D first/);
    expect(() => embeddingScatter({ image: [[0, 0]], text: [[1, 1], [2, 2]] }, { pairs: true })).toThrow(/same number of points per modality, received image: 1, text: 2/);
    expect(() => embeddingScatter({ image: [[0, 0]] }, { labels: { image: [] } })).toThrow(/labels\.image has 0 entries but points\.image has 1/);
  });
});

describe('gapShiftCurve', () => {
  it('sorts by λ, one line per metric, gap on a right axis, a marker at λ = 0', () => {
    const fig = gapShiftCurve([
      { lambda: 0.5, gap: 0.1, metrics: { 'i->t R@1': 0.2, 't->i R@1': 0.25 } },
      { lambda: -0.5, gap: 1.2, metrics: { 'i->t R@1': 0.1, 't->i R@1': Number.NaN } },
      { lambda: 0, gap: 0.8, metrics: { 'i->t R@1': 0.3 } },
    ]);
    expectWellFormed(fig);
    expect(fig.data.map((t) => t.name)).toEqual(['i->t R@1', 't->i R@1', 'modality gap (right axis)']);
    expect(fig.data[0]!.x).toEqual([-0.5, 0, 0.5]);
    expect(fig.data[0]!.y).toEqual([0.1, 0.3, 0.2]);
    expect(fig.data[1]!.y).toEqual([null, null, 0.25]); // NaN and missing are gaps
    expect(fig.data[2]!.yaxis).toBe('y2');
    expect((fig.layout.yaxis2 as { overlaying: string }).overlaying).toBe('y');
    expect((fig.layout.shapes as Array<{ x0: number }>)[0]!.x0).toBe(0);
    const noGap = gapShiftCurve([{ lambda: 0, gap: 0, metrics: { m: 1 } }], { showGap: false });
    expect(noGap.data).toHaveLength(1);
    expect(noGap.layout.yaxis2).toBeUndefined();
  });

  it('names the problem in errors', () => {
    expect(() => gapShiftCurve([])).toThrow(/points is empty/);
    expect(() => gapShiftCurve([{ lambda: Number.NaN, gap: 0, metrics: { m: 1 } }])).toThrow(/points\[0\]\.lambda is NaN/);
    expect(() => gapShiftCurve([{ lambda: 0, gap: 0, metrics: {} }])).toThrow(/no point has any metrics/);
  });
});

describe('ablationBars', () => {
  it('groups by metric with asymmetric whiskers and baseline dashes', () => {
    const full = aggregateSeeds([0.40, 0.42, 0.44]);
    const fig = ablationBars(
      {
        full: { 'R@1': full, 'R@5': { mean: 0.8, lower: 0.75, upper: 0.82 } },
        'no augment': { 'R@1': { estimate: 0.3, lower: 0.28, upper: 0.33 } },
        'one seed': { 'R@1': aggregateSeeds([0.35]) },
      },
      { baselines: { 'R@1': 0.05, 'R@5': 0.25 }, baselineName: 'chance' },
    );
    expectWellFormed(fig);
    expect(fig.data.map((t) => t.name)).toEqual(['full', 'no augment', 'one seed', 'chance']);
    expect(fig.data[0]!.x).toEqual(['R@1', 'R@5']);
    const err = fig.data[0]!.error_y as { array: number[]; arrayminus: number[]; symmetric: boolean };
    expect(err.symmetric).toBe(false);
    expect(err.array[0]).toBeCloseTo(full.upper! - full.mean, 12);
    expect(err.arrayminus[1]).toBeCloseTo(0.05, 12);
    expect(fig.data[1]!.y).toEqual([0.3, null]); // missing metric: an empty slot
    expect((fig.data[2]!.error_y as { array: number[] }).array).toEqual([0, 0]); // one seed: no whisker
    expect(fig.data[3]!.y).toEqual([0.05, 0.25]);
  });

  it('names the problem in errors', () => {
    expect(() => ablationBars({})).toThrow(/results is empty/);
    expect(() => ablationBars({ a: {} })).toThrow(/no configuration has any metric/);
    expect(() => ablationBars({ a: { m: { lower: 0 } } })).toThrow(/results\['a'\]\['m'\] needs a finite mean \(or estimate\), received undefined/);
    expect(() => ablationBars({ a: { m: { mean: 0.5, lower: 0.6 } } })).toThrow(/interval \[0.6, undefined\] that excludes its mean 0.5/);
    expect(() => ablationBars({ a: { m: { mean: 0.5, upper: Number.NaN } } })).toThrow(/\.upper is NaN/);
    expect(() => ablationBars({ a: { m: { mean: 1 } } }, { baselines: { x: 0 } })).toThrow(/baselines\.x names no metric; metrics: m/);
  });
});
