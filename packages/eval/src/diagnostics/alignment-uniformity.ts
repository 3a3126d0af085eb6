import type { Matrix } from '../linalg/matrix.js';
import { checkPair, sampleRows, stackRows, unitRows, type EmbeddingInput } from './sphere.js';

export interface AlignmentOptions {
  /** Exponent α; default 2, the value Wang & Isola use throughout. */
  alpha?: number;
}

/**
 * Alignment (Wang & Isola 2020, "Understanding Contrastive Representation Learning through
 * Alignment and Uniformity on the Hypersphere", ICML, eq. 4): the expected distance between
 * the normalised embeddings of a positive pair,
 *   L_align = (1/n) Σ_i ||f(a_i) - f(b_i)||^α,   f(x) = x/||x||.
 * Row i of `a` and row i of `b` are a pair (an image and its caption). 0 for identical
 * modalities; lower is better aligned; at most 2^α.
 */
export function alignment(a: EmbeddingInput, b: EmbeddingInput, options: AlignmentOptions = {}): number {
  const alpha = options.alpha ?? 2;
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new Error(`alignment: alpha must be a positive number, received ${alpha}`);
  const ua = unitRows(a, 'alignment: a');
  const ub = unitRows(b, 'alignment: b');
  checkPair(ua, ub, 'alignment', true);
  let total = 0;
  for (let i = 0; i < ua.rows; i++) {
    let sq = 0;
    for (let j = 0; j < ua.cols; j++) sq += (ua.data[i * ua.cols + j]! - ub.data[i * ub.cols + j]!) ** 2;
    total += alpha === 2 ? sq : Math.sqrt(sq) ** alpha;
  }
  return total / ua.rows;
}

export interface UniformityOptions {
  /** Temperature t of the Gaussian potential; default 2, Wang & Isola's choice. At most 150 (float64 range). */
  t?: number;
  /**
   * Use a seeded random subset of at most this many embeddings (the cost is O(n² d)); by
   * default all of them. Wang & Isola compute it per batch, i.e. on a sample too.
   */
  sampleSize?: number;
  /** Seed for the subset; default 0. */
  seed?: number;
}

/**
 * Uniformity (Wang & Isola 2020, eq. 5): the log of the mean Gaussian potential over distinct
 * pairs of normalised embeddings,
 *   L_unif = log( (2 / (n(n-1))) Σ_{i<j} exp(-t ||f(x_i) - f(x_j)||²) ),
 * as their reference code computes it (torch.pdist: all pairs i<j of the batch). Lower (more
 * negative) is more uniform; 0 when every embedding points the same way; for n points evenly
 * spread on a circle it is log((1/(n-1)) Σ_{m=1}^{n-1} exp(-2t(1 - cos(2πm/n)))).
 */
export function uniformity(x: EmbeddingInput, options: UniformityOptions = {}): number {
  return uniformityOf(unitRows(x, 'uniformity: x'), options, 'uniformity');
}

/**
 * Joint uniformity of two modalities: uniformity of the union of their normalised embeddings
 * (all pairs, within and across modalities), the quantity that a modality gap inflates. The
 * sample option, if set, applies to each modality separately before the union.
 */
export function jointUniformity(a: EmbeddingInput, b: EmbeddingInput, options: UniformityOptions = {}): number {
  const ua = unitRows(a, 'jointUniformity: a');
  const ub = unitRows(b, 'jointUniformity: b');
  checkPair(ua, ub, 'jointUniformity', false);
  const seed = options.seed ?? 0;
  const union = stackRows([
    sampleRows(ua, options.sampleSize, seed, 'jointUniformity'),
    sampleRows(ub, options.sampleSize, seed + 1, 'jointUniformity'),
  ]);
  return uniformityOf(union, { ...options, sampleSize: undefined }, 'jointUniformity');
}

function uniformityOf(u: Matrix, options: UniformityOptions, fn: string): number {
  const t = options.t ?? 2;
  if (!(t > 0 && t <= 150)) throw new Error(`${fn}: t must be in (0, 150], received ${t}`);
  const m = sampleRows(u, options.sampleSize, options.seed ?? 0, fn);
  if (m.rows < 2) throw new Error(`${fn}: needs at least 2 embeddings, received ${m.rows}`);
  const { rows, cols, data } = m;
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const oi = i * cols;
    for (let k = i + 1; k < rows; k++) {
      const ok = k * cols;
      let sq = 0;
      for (let j = 0; j < cols; j++) {
        const d = data[oi + j]! - data[ok + j]!;
        sq += d * d;
      }
      total += Math.exp(-t * sq);
    }
  }
  return Math.log(total / ((rows * (rows - 1)) / 2));
}
