import { Rng } from '@modalab/core';
import { checkLevel, checkValues, meanOf, quantileSorted } from './summary.js';

/** A scalar metric of a set of per-query values (mean recall, median rank, MRR...). */
export type Statistic = (sample: Float64Array) => number;

export interface BootstrapOptions {
  /** Seed of the resampling; required, so a reported interval can be reproduced. */
  seed: number;
  /** The metric; default the mean (e.g. per-query hits 0/1 -> recall@K). */
  statistic?: Statistic;
  /** Number of resamples B; default 2000 (percentile endpoints stabilise around 1-2k, Efron & Tibshirani ch. 13). */
  resamples?: number;
  /** Coverage of the interval; default 0.95. */
  level?: number;
}

export interface ConfidenceInterval {
  /** The statistic on the original values. */
  estimate: number;
  lower: number;
  upper: number;
  level: number;
}

export interface BootstrapOutput extends ConfidenceInterval {
  resamples: number;
  method: 'percentile';
}

/**
 * Bootstrap confidence interval of a scalar metric of per-query values, by the percentile
 * method (Efron & Tibshirani 1993, An Introduction to the Bootstrap, ch. 13): draw B
 * resamples of the n values with replacement (indices from @modalab/core's seeded Rng, one
 * rng.int(n) per draw, resample by resample), compute the statistic on each, and take the
 * (1 - level)/2 and (1 + level)/2 quantiles of those B numbers (linear interpolation, numpy's
 * default). Queries are assumed exchangeable; for five captions per image, pass per-image
 * values so that the captions of one image are resampled together.
 */
export function bootstrapCi(values: ArrayLike<number>, options: BootstrapOptions): BootstrapOutput {
  const x = checkValues(values, 'bootstrapCi: values', 1);
  const { statistic, resamples, level, rng } = resolve(options, 'bootstrapCi');
  const n = x.length;
  const stats = new Float64Array(resamples);
  const sample = new Float64Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) sample[i] = x[rng.int(n)]!;
    stats[r] = statistic(sample);
  }
  return { estimate: statistic(x), ...percentileInterval(stats, level, 'bootstrapCi'), level, resamples, method: 'percentile' };
}

export interface PairedBootstrapOutput extends BootstrapOutput {
  /**
   * Two-sided bootstrap p-value for "no difference": 2·(1 + #{δ* on the far side of 0}) / (B + 1),
   * capped at 1, where the far side is the smaller of #{δ* <= 0} and #{δ* >= 0}.
   */
  pValue: number;
}

/**
 * Paired bootstrap of the difference statistic(a) - statistic(b) between two configurations
 * scored on the same queries (Koehn 2004; Efron & Tibshirani ch. 16): each resample draws
 * query indices with replacement and applies them to both, so the per-query correlation is
 * kept. Percentile interval of the B differences, plus a two-sided p-value (see pValue).
 * estimate is the difference on the original values.
 */
export function pairedBootstrap(a: ArrayLike<number>, b: ArrayLike<number>, options: BootstrapOptions): PairedBootstrapOutput {
  const xa = checkValues(a, 'pairedBootstrap: a', 1);
  const xb = checkValues(b, 'pairedBootstrap: b', 1);
  if (xa.length !== xb.length) throw new Error(`pairedBootstrap: a and b must score the same queries, received ${xa.length} and ${xb.length} values`);
  const { statistic, resamples, level, rng } = resolve(options, 'pairedBootstrap');
  const n = xa.length;
  const diffs = new Float64Array(resamples);
  const sa = new Float64Array(n);
  const sb = new Float64Array(n);
  let atOrBelow = 0;
  let atOrAbove = 0;
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) {
      const k = rng.int(n);
      sa[i] = xa[k]!;
      sb[i] = xb[k]!;
    }
    const d = statistic(sa) - statistic(sb);
    diffs[r] = d;
    if (d <= 0) atOrBelow++;
    if (d >= 0) atOrAbove++;
  }
  const pValue = Math.min(1, (2 * (1 + Math.min(atOrBelow, atOrAbove))) / (resamples + 1));
  return {
    estimate: statistic(xa) - statistic(xb),
    ...percentileInterval(diffs, level, 'pairedBootstrap'),
    level,
    resamples,
    method: 'percentile',
    pValue,
  };
}

function resolve(options: BootstrapOptions, fn: string): { statistic: Statistic; resamples: number; level: number; rng: Rng } {
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) throw new Error(`${fn}: resamples must be an integer >= 1, received ${resamples}`);
  checkLevel(level, fn);
  if (options.seed === undefined) throw new Error(`${fn}: options.seed is required so the interval is reproducible`);
  return { statistic: options.statistic ?? meanOf, resamples, level, rng: new Rng(options.seed) };
}

function percentileInterval(stats: Float64Array, level: number, fn: string): { lower: number; upper: number } {
  stats.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new Error(`${fn}: the statistic returned ${v} on resample ${i}; it must be finite`);
  });
  stats.sort();
  return { lower: quantileSorted(stats, (1 - level) / 2), upper: quantileSorted(stats, (1 + level) / 2) };
}
