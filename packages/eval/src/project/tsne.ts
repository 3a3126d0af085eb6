import { Rng } from '@modalab/core';
import { toMatrix, type Matrix, type MatrixInput } from '../linalg/matrix.js';

export interface TsneOptions {
  /** Seed of the initial layout; required, so a plot can be reproduced. */
  seed: number;
  /** Effective number of neighbours; default 30 (van der Maaten & Hinton 2008 suggest 5-50). Must be < n. */
  perplexity?: number;
  /** Output dimensions; default 2 (a scatter plot). */
  dims?: number;
  /** Gradient-descent iterations; default 1000 (the paper's setting). */
  iterations?: number;
  /**
   * Step size; default max(n / exaggeration / 4, 50), scikit-learn's 'auto' (Belkina et al.
   * 2019): a fixed 200 overshoots on small sets during early exaggeration.
   */
  learningRate?: number;
  /** P multiplier during the early phase; default 12 (scikit-learn; the paper used 4). */
  exaggeration?: number;
  /** Length of the early-exaggeration phase; default 250 iterations (scikit-learn). */
  exaggerationIterations?: number;
}

export interface TsneOutput {
  /** The layout, [n, dims], centred. */
  embedding: number[][];
  /** KL(P || Q) of the final layout (without exaggeration). */
  kl: number;
  /** Precision beta_i = 1 / (2 sigma_i^2) found for each point by the perplexity search. */
  betas: Float64Array;
}

/**
 * Exact t-SNE (van der Maaten & Hinton 2008, JMLR 9): O(n^2) per iteration, meant for up to
 * a few thousand points.
 *
 * 1. Conditional affinities p_{j|i} = exp(-beta_i d_ij^2) / sum_k exp(-beta_i d_ik^2), with
 *    beta_i found by bisection so that the entropy of P_i equals log(perplexity) (sec. 2).
 * 2. Joint p_ij = (p_{j|i} + p_{i|j}) / 2n (sec. 3.1), multiplied by `exaggeration` in the
 *    early phase (sec. 3.4).
 * 3. Student-t similarities q_ij = (1 + |y_i - y_j|^2)^-1 / Z and the gradient
 *    dC/dy_i = 4 sum_j (p_ij - q_ij)(y_i - y_j)(1 + |y_i - y_j|^2)^-1 (eq. 5).
 * 4. Gradient descent with momentum 0.5 then 0.8 (after 250 iterations) and the per-parameter
 *    adaptive gains of Jacobs (1988) used by the reference tsne.py; the layout is re-centred
 *    each step.
 *
 * The initial layout is N(0, 1e-4) drawn from `seed` (sec. 3.4); everything else is
 * deterministic, so equal seeds give equal layouts. Runs in float64 JS.
 */
export function tsne(x: MatrixInput, options: TsneOptions): TsneOutput {
  const m = toMatrix(x, 'x');
  const n = m.rows;
  const perplexity = options.perplexity ?? 30;
  const dims = options.dims ?? 2;
  const iterations = options.iterations ?? 1000;
  const exaggeration = options.exaggeration ?? 12;
  const learningRate = options.learningRate ?? Math.max(n / exaggeration / 4, 50);
  const exaggerationIterations = options.exaggerationIterations ?? 250;
  if (!Number.isFinite(options.seed)) throw new Error(`tsne: seed must be a finite number, received ${options.seed}`);
  if (n < 2) throw new Error(`tsne: need at least 2 points, received ${n}`);
  if (!(perplexity > 0) || perplexity >= n) {
    throw new Error(`tsne: perplexity must be in (0, n) = (0, ${n}), received ${perplexity}; lower it for small sets`);
  }
  if (!Number.isInteger(dims) || dims < 1) throw new Error(`tsne: dims must be an integer >= 1, received ${dims}`);
  if (!Number.isInteger(iterations) || iterations < 0) throw new Error(`tsne: iterations must be an integer >= 0, received ${iterations}`);
  if (!(learningRate > 0)) throw new Error(`tsne: learningRate must be > 0, received ${learningRate}`);

  // 1-2. Affinities.
  const d2 = squaredDistances(m);
  const { p: conditional, betas } = conditionalAffinities(d2, n, perplexity);
  const p = new Float64Array(n * n); // [n, n], symmetric, sums to 1
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) p[i * n + j] = Math.max((conditional[i * n + j]! + conditional[j * n + i]!) / (2 * n), 1e-12);
    p[i * n + i] = 0;
  }

  // 3-4. Optimise the layout.
  const rng = new Rng(options.seed);
  const y = Float64Array.from({ length: n * dims }, () => 1e-2 * rng.normal()); // std 1e-2: variance 1e-4
  const update = new Float64Array(n * dims);
  const gains = new Float64Array(n * dims).fill(1);
  const grad = new Float64Array(n * dims);
  const num = new Float64Array(n * n);
  for (let it = 0; it < iterations; it++) {
    const scale = it < exaggerationIterations ? exaggeration : 1;
    const momentum = it < 250 ? 0.5 : 0.8;
    const z = studentT(y, n, dims, num);
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        const w = num[i * n + j]!;
        const coeff = 4 * (scale * p[i * n + j]! - w / z) * w;
        for (let k = 0; k < dims; k++) grad[i * dims + k]! += coeff * (y[i * dims + k]! - y[j * dims + k]!);
      }
    }
    for (let k = 0; k < n * dims; k++) {
      const sameSign = grad[k]! > 0 === update[k]! > 0;
      gains[k] = Math.max(sameSign ? gains[k]! * 0.8 : gains[k]! + 0.2, 0.01);
      update[k] = momentum * update[k]! - learningRate * gains[k]! * grad[k]!;
      y[k]! += update[k]!;
    }
    recentre(y, n, dims);
  }

  const z = studentT(y, n, dims, num);
  let kl = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const pij = p[i * n + j]!;
      kl += pij * Math.log(pij / Math.max(num[i * n + j]! / z, 1e-300));
    }
  }
  const embedding = Array.from({ length: n }, (_, i) => Array.from(y.subarray(i * dims, (i + 1) * dims)));
  return { embedding, kl, betas };
}

/**
 * Row-normalised Gaussian affinities with each row's precision beta_i found by bisection on
 * the entropy (natural log) H(P_i) = log(perplexity), to |H - log perplexity| < 1e-10 or 100
 * halvings, as in the reference tsne.py x2p (which stops at 1e-5 and 50). `d2` is the [n, n]
 * matrix of squared distances.
 */
export function conditionalAffinities(d2: Float64Array, n: number, perplexity: number): { p: Float64Array; betas: Float64Array } {
  const target = Math.log(perplexity);
  const p = new Float64Array(n * n);
  const betas = new Float64Array(n);
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let beta = 1;
    let lo = 0;
    let hi = Number.POSITIVE_INFINITY;
    // Distances are shifted by the row's smallest off-diagonal one so exp() cannot underflow
    // to an all-zero row; the shift cancels in the normalisation.
    let dMin = Number.POSITIVE_INFINITY;
    for (let j = 0; j < n; j++) if (j !== i) dMin = Math.min(dMin, d2[i * n + j]!);
    for (let step = 0; step < 100; step++) {
      let sum = 0;
      let weighted = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) {
          row[j] = 0;
          continue;
        }
        const shifted = d2[i * n + j]! - dMin;
        const v = Math.exp(-beta * shifted);
        row[j] = v;
        sum += v;
        weighted += v * shifted;
      }
      // H = log(sum) + beta * E[shifted distance]
      const entropy = Math.log(sum) + (beta * weighted) / sum;
      for (let j = 0; j < n; j++) p[i * n + j] = row[j]! / sum;
      betas[i] = beta; // the precision these affinities were computed with
      const diff = entropy - target;
      if (Math.abs(diff) < 1e-10) break;
      if (diff > 0) {
        // Too flat: sharpen.
        lo = beta;
        beta = hi === Number.POSITIVE_INFINITY ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = (beta + lo) / 2;
      }
    }
  }
  return { p, betas };
}

function squaredDistances(m: Matrix): Float64Array {
  const { rows: n, cols: d, data } = m;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (data[i * d + k]! - data[j * d + k]!) ** 2;
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}

/** Fills num[i, j] = (1 + |y_i - y_j|^2)^-1 (0 on the diagonal); returns their sum Z. */
function studentT(y: Float64Array, n: number, dims: number, num: Float64Array): number {
  let z = 0;
  for (let i = 0; i < n; i++) {
    num[i * n + i] = 0;
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let k = 0; k < dims; k++) s += (y[i * dims + k]! - y[j * dims + k]!) ** 2;
      const w = 1 / (1 + s);
      num[i * n + j] = w;
      num[j * n + i] = w;
      z += 2 * w;
    }
  }
  return z;
}

function recentre(y: Float64Array, n: number, dims: number): void {
  for (let k = 0; k < dims; k++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += y[i * dims + k]! / n;
    for (let i = 0; i < n; i++) y[i * dims + k]! -= mean;
  }
}
