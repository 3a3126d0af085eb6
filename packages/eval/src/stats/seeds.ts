import { studentTCdf, studentTQuantile } from './student-t.js';
import { checkLevel, checkValues, meanOf, sampleStd } from './summary.js';

export interface SeedAggregate {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); undefined for a single seed. */
  std: number | undefined;
  /** Standard error of the mean, std / sqrt(n); undefined for a single seed. */
  sem: number | undefined;
  /** mean ± t_{(1+level)/2, n-1} · sem; undefined for a single seed. */
  lower: number | undefined;
  upper: number | undefined;
  level: number;
}

/**
 * Aggregates one metric over training seeds: mean, sample std, and the Student-t confidence
 * interval of the mean, mean ± t_{(1+level)/2, n-1} · std / sqrt(n) (the usual interval for a
 * handful of seeds, assuming roughly normal seed-to-seed variation). With one seed the
 * spread is unknown and reported as undefined rather than 0.
 */
export function aggregateSeeds(values: ArrayLike<number>, options: { level?: number } = {}): SeedAggregate {
  const level = options.level ?? 0.95;
  checkLevel(level, 'aggregateSeeds');
  const x = checkValues(values, 'aggregateSeeds: values', 1);
  const n = x.length;
  const mean = meanOf(x);
  if (n === 1) return { n, mean, std: undefined, sem: undefined, lower: undefined, upper: undefined, level };
  const std = sampleStd(x);
  const sem = std / Math.sqrt(n);
  const half = studentTQuantile((1 + level) / 2, n - 1) * sem;
  return { n, mean, std, sem, lower: mean - half, upper: mean + half, level };
}

export interface PairedTTestOutput {
  n: number;
  /** Mean of a_i - b_i. */
  meanDifference: number;
  /** Sample std of the differences. */
  stdDifference: number;
  /** t = mean / (std / sqrt(n)); ±Infinity when every difference is the same nonzero value. */
  t: number;
  df: number;
  /** Two-sided p-value, 2 P(T_{n-1} >= |t|). */
  pValue: number;
  /** Student-t confidence interval of the mean difference. */
  lower: number;
  upper: number;
  level: number;
}

/**
 * Paired t-test between two configurations measured on the same units (the same seeds, or
 * the same queries): on d_i = a_i - b_i, t = mean(d) / (std(d) / sqrt(n)) with n - 1 degrees
 * of freedom, two-sided (Student 1908). Assumes the differences are roughly normal; for
 * per-query 0/1 hits prefer pairedBootstrap.
 */
export function pairedTTest(a: ArrayLike<number>, b: ArrayLike<number>, options: { level?: number } = {}): PairedTTestOutput {
  const level = options.level ?? 0.95;
  checkLevel(level, 'pairedTTest');
  const xa = checkValues(a, 'pairedTTest: a', 2);
  const xb = checkValues(b, 'pairedTTest: b', 2);
  if (xa.length !== xb.length) throw new Error(`pairedTTest: a and b must be paired, received ${xa.length} and ${xb.length} values`);
  const d = xa.map((v, i) => v - xb[i]!);
  const n = d.length;
  const meanDifference = meanOf(d);
  const stdDifference = sampleStd(d);
  const sem = stdDifference / Math.sqrt(n);
  const df = n - 1;
  let t: number;
  if (sem === 0) t = meanDifference === 0 ? 0 : meanDifference > 0 ? Infinity : -Infinity;
  else t = meanDifference / sem;
  const pValue = Number.isFinite(t) ? 2 * studentTCdf(-Math.abs(t), df) : 0;
  const half = studentTQuantile((1 + level) / 2, df) * sem;
  return { n, meanDifference, stdDifference, t, df, pValue, lower: meanDifference - half, upper: meanDifference + half, level };
}
