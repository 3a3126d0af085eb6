import { readFileSync } from 'node:fs';
import { assertAllClose, Rng } from '@modalab/core';
import { describe, expect, it } from 'vitest';
import { bootstrapCi, pairedBootstrap } from './bootstrap.js';
import { aggregateSeeds, pairedTTest } from './seeds.js';
import { logGamma, regularizedIncompleteBeta, studentTCdf, studentTQuantile } from './student-t.js';
import { quantileSorted } from './summary.js';

// Fixture: tools/reference/eval_reference.py, stats_fixture(): numpy only (no scipy); the
// bootstrap replays @modalab/core's sfc32 Rng in Python so the resamples are the same draws,
// and t probabilities come from Simpson integration of the t density.
const fx = JSON.parse(readFileSync(new URL('./fixtures/stats.json', import.meta.url), 'utf8')) as {
  seed: number;
  resamples: number;
  hits: number[];
  ranks: number[];
  hitsB: number[];
  firstIndices: number[];
  bootMean: { estimate: number; lower: number; upper: number };
  bootMedian90: { estimate: number; lower: number; upper: number };
  pairedBootstrap: { estimate: number; lower: number; upper: number; pValue: number };
  seedsA: number[];
  seedsB: number[];
  aggregateA: { mean: number; std: number; lower: number; upper: number };
  pairedT: { t: number; df: number; pValue: number; lower: number; upper: number };
  tQuantiles: Array<{ p: number; df: number; q: number }>;
};

const TIGHT = { atol: 1e-12, rtol: 1e-12 };
/** Against the Simpson-integrated reference (error ~1e-12 in the CDF). */
const T_REF = { atol: 1e-9, rtol: 1e-9 };

function close(actual: number | undefined, expected: number, tol = TIGHT, what = 'value'): void {
  expect(actual, what).toBeDefined();
  assertAllClose([actual!], [expected], tol, what);
}

const median = (s: Float64Array): number => quantileSorted(Float64Array.from(s).sort(), 0.5);

describe('student t', () => {
  it('closed forms: df = 1 is Cauchy, df = 2 has an algebraic quantile', () => {
    for (const p of [0.6, 0.9, 0.975, 0.995]) {
      close(studentTQuantile(p, 1), Math.tan(Math.PI * (p - 0.5)), { atol: 1e-10, rtol: 1e-11 }, `Cauchy q(${p})`);
      close(studentTQuantile(p, 2), (2 * p - 1) / Math.sqrt(2 * p * (1 - p)), { atol: 1e-10, rtol: 1e-11 }, `df=2 q(${p})`);
    }
    close(studentTCdf(1, 1), 0.75, { atol: 1e-14, rtol: 0 });
    close(studentTCdf(-1, 1), 0.25, { atol: 1e-14, rtol: 0 });
    expect(studentTQuantile(0.5, 7)).toBe(0);
    close(studentTQuantile(0.025, 4), -studentTQuantile(0.975, 4), TIGHT);
  });

  it('textbook critical values t_{0.975, df}', () => {
    const table: Array<[number, number]> = [[3, 3.182446305], [4, 2.776445105], [5, 2.570581836], [10, 2.228138852], [30, 2.042272456], [100, 1.983971519]];
    for (const [df, q] of table) close(studentTQuantile(0.975, df), q, { atol: 2e-9, rtol: 0 }, `df=${df}`);
  });

  it('matches the numpy (Simpson) reference', () => {
    for (const { p, df, q } of fx.tQuantiles) close(studentTQuantile(p, df), q, T_REF, `q(${p}, ${df})`);
  });

  it('helpers: lnΓ and I_x(a, b) at known points', () => {
    close(logGamma(5), Math.log(24), { atol: 1e-13, rtol: 1e-13 });
    close(logGamma(0.5), 0.5 * Math.log(Math.PI), { atol: 1e-13, rtol: 1e-13 });
    close(regularizedIncompleteBeta(0.3, 1, 1), 0.3, TIGHT); // uniform
    close(regularizedIncompleteBeta(0.3, 2, 1), 0.09, TIGHT); // x^a when b = 1
    expect(() => studentTQuantile(1, 3)).toThrow(/p must be in \(0, 1\), received 1/);
    expect(() => studentTCdf(0, 0)).toThrow(/df must be a positive number, received 0/);
  });
});

describe('bootstrapCi', () => {
  it('replays the same resample indices as the Python sfc32 replica', () => {
    const rng = new Rng(fx.seed);
    expect(Array.from({ length: 10 }, () => rng.int(fx.hits.length))).toEqual(fx.firstIndices);
  });

  it('matches the numpy percentile bootstrap (mean, and median at 90%)', () => {
    const m = bootstrapCi(fx.hits, { seed: fx.seed, resamples: fx.resamples });
    expect(m.method).toBe('percentile');
    expect([m.level, m.resamples]).toEqual([0.95, fx.resamples]);
    close(m.estimate, fx.bootMean.estimate);
    close(m.lower, fx.bootMean.lower);
    close(m.upper, fx.bootMean.upper);
    const md = bootstrapCi(fx.ranks, { seed: fx.seed, resamples: fx.resamples, statistic: median, level: 0.9 });
    close(md.estimate, fx.bootMedian90.estimate);
    close(md.lower, fx.bootMedian90.lower);
    close(md.upper, fx.bootMedian90.upper);
  });

  it('hand cases: constant values, one value, seeded determinism', () => {
    expect(bootstrapCi([0.3, 0.3, 0.3], { seed: 1, resamples: 50 })).toMatchObject({ estimate: 0.3, lower: 0.3, upper: 0.3 });
    expect(bootstrapCi([5], { seed: 1, resamples: 10 })).toMatchObject({ estimate: 5, lower: 5, upper: 5 });
    const a = bootstrapCi(fx.hits, { seed: 9 });
    expect(bootstrapCi(fx.hits, { seed: 9 })).toEqual(a);
    expect(a.lower).toBeLessThanOrEqual(a.estimate);
    expect(a.upper).toBeGreaterThanOrEqual(a.estimate);
    // A normal-theory check: the 95% width of a mean of 30 hits is about 2·1.96·sqrt(p(1-p)/n).
    const width = a.upper - a.lower;
    expect(Math.abs(width - 2 * 1.96 * Math.sqrt((0.4 * 0.6) / 30))).toBeLessThan(0.06);
  });

  it('names the problem in errors', () => {
    expect(() => bootstrapCi([], { seed: 1 })).toThrow(/values needs at least 1 values, received 0/);
    expect(() => bootstrapCi([1, Number.NaN], { seed: 1 })).toThrow(/values\[1\] is NaN/);
    expect(() => bootstrapCi([1], { seed: 1, resamples: 0 })).toThrow(/resamples must be an integer >= 1, received 0/);
    expect(() => bootstrapCi([1], { seed: 1, level: 95 })).toThrow(/level must be in \(0, 1\), e.g. 0.95, received 95/);
    expect(() => bootstrapCi([1], {} as { seed: number })).toThrow(/seed is required/);
    expect(() => bootstrapCi([1, 2], { seed: 1, statistic: () => Number.NaN })).toThrow(/statistic returned NaN on resample 0/);
  });
});

describe('pairedBootstrap', () => {
  it('matches the numpy paired bootstrap, p-value included', () => {
    const out = pairedBootstrap(fx.hits, fx.hitsB, { seed: fx.seed, resamples: fx.resamples });
    close(out.estimate, fx.pairedBootstrap.estimate);
    close(out.lower, fx.pairedBootstrap.lower);
    close(out.upper, fx.pairedBootstrap.upper);
    close(out.pValue, fx.pairedBootstrap.pValue);
  });

  it('identical configurations: difference 0 and p = 1', () => {
    const out = pairedBootstrap(fx.hits, fx.hits, { seed: 3, resamples: 100 });
    expect(out).toMatchObject({ estimate: 0, lower: 0, upper: 0, pValue: 1 });
    expect(() => pairedBootstrap([1, 2], [1], { seed: 1 })).toThrow(/same queries, received 2 and 1 values/);
  });
});

describe('aggregateSeeds', () => {
  it('matches numpy mean/std and the Student-t interval', () => {
    const out = aggregateSeeds(fx.seedsA);
    expect(out.n).toBe(5);
    close(out.mean, fx.aggregateA.mean);
    close(out.std, fx.aggregateA.std);
    close(out.lower, fx.aggregateA.lower, T_REF);
    close(out.upper, fx.aggregateA.upper, T_REF);
  });

  it('hand cases: two seeds use t_{0.975,1} = 12.706; one seed has no spread', () => {
    // [1, 3]: mean 2, std √2, sem 1, half-width 12.7062047...
    const two = aggregateSeeds([1, 3]);
    close(two.std, Math.SQRT2);
    close(two.sem, 1);
    close(two.upper, 2 + Math.tan(Math.PI * 0.475), { atol: 1e-10, rtol: 1e-11 });
    expect(aggregateSeeds([0.5])).toEqual({ n: 1, mean: 0.5, std: undefined, sem: undefined, lower: undefined, upper: undefined, level: 0.95 });
    expect(() => aggregateSeeds([])).toThrow(/at least 1 values, received 0/);
  });
});

describe('pairedTTest', () => {
  it('matches the numpy reference', () => {
    const out = pairedTTest(fx.seedsA, fx.seedsB);
    close(out.t, fx.pairedT.t);
    expect(out.df).toBe(fx.pairedT.df);
    close(out.pValue, fx.pairedT.pValue, T_REF);
    close(out.lower, fx.pairedT.lower, T_REF);
    close(out.upper, fx.pairedT.upper, T_REF);
  });

  it('hand cases', () => {
    // d = [1, 2, 3]: mean 2, std 1, t = 2√3, df 2: p = 1 - 2√3/√(2 + 12) (df = 2 closed form)
    const out = pairedTTest([2, 4, 6], [1, 2, 3]);
    close(out.meanDifference, 2);
    close(out.stdDifference, 1);
    close(out.t, 2 * Math.sqrt(3));
    close(out.pValue, 1 - (2 * Math.sqrt(3)) / Math.sqrt(14), { atol: 1e-12, rtol: 1e-10 });
    // Constant nonzero difference: infinite t, p = 0; no difference at all: t = 0, p = 1.
    expect(pairedTTest([2, 3], [1, 2])).toMatchObject({ t: Infinity, pValue: 0 });
    expect(pairedTTest([2, 3], [2, 3])).toMatchObject({ t: 0, pValue: 1 });
    expect(() => pairedTTest([1], [1])).toThrow(/at least 2 values, received 1/);
    expect(() => pairedTTest([1, 2], [1, 2, 3])).toThrow(/must be paired, received 2 and 3 values/);
  });
});
