import * as tf from '@tensorflow/tfjs-core';
import { columnMeans, l2NormalizeRows, matrixToRows, type Matrix } from '../linalg/matrix.js';
import { checkPair, unitRows, type EmbeddingInput } from './sphere.js';

export interface ModalityGapOutput {
  /** ||c_a - c_b||: 0 when the modalities share a centroid, up to 2 for antipodal clusters. */
  gap: number;
  /** Δ = c_a - c_b, the gap vector [d] (from b's centroid to a's). */
  gapVector: number[];
  /** Norms of the two centroids: near 1 means a narrow cone (see coneEffect). */
  centroidNorms: [number, number];
}

/**
 * Modality gap (Liang et al. 2022, "Mind the Gap: Understanding the Modality Gap in
 * Multi-modal Contrastive Representation Learning", NeurIPS, sec. 4.1): with every embedding
 * L2-normalised, the gap is the Euclidean distance between the modality centroids,
 *   Δ = (1/n_a) Σ_i a_i/||a_i|| - (1/n_b) Σ_j b_j/||b_j||,   gap = ||Δ||.
 * `a` and `b` need the same width but not the same number of rows (pairing is not used).
 */
export function modalityGap(a: EmbeddingInput, b: EmbeddingInput): ModalityGapOutput {
  const ua = unitRows(a, 'modalityGap: a');
  const ub = unitRows(b, 'modalityGap: b');
  checkPair(ua, ub, 'modalityGap', false);
  return gapOf(ua, ub);
}

function gapOf(ua: Matrix, ub: Matrix): ModalityGapOutput {
  const ca = columnMeans(ua);
  const cb = columnMeans(ub);
  const delta = ca.map((v, j) => v - cb[j]!);
  return { gap: norm(delta), gapVector: Array.from(delta), centroidNorms: [norm(ca), norm(cb)] };
}

export interface GapShiftOutput {
  /** Shifted, re-normalised rows of a and b. */
  a: number[][];
  b: number[][];
  /** Δ used for the shift (from the unshifted, normalised inputs, or the one passed in). */
  gapVector: number[];
  /** Modality gap after the shift. */
  gap: number;
}

export interface GapShiftOptions {
  /**
   * Shift along this vector instead of the inputs' own Δ, e.g. a gap measured on another
   * dataset as in Liang et al.'s transfer experiment. Length d.
   */
  direction?: ArrayLike<number>;
}

/**
 * The gap-shift intervention of Liang et al. 2022 (sec. 4.2): move both modalities along the
 * gap vector and project back onto the sphere,
 *   a_i' = normalise(â_i - λΔ),   b_j' = normalise(b̂_j + λΔ),
 * where â, b̂ are the L2-normalised inputs and Δ = c_a - c_b (see modalityGap). λ = 0 leaves
 * the embeddings as they are; λ = 0.5 moves both centroids onto their midpoint before the
 * renormalisation, closing most of the gap; λ < 0 widens it. (The authors' notebook steps a
 * unit direction by ±δ/2, which is λ = δ / (2||Δ||) here.)
 */
export function gapShift(a: EmbeddingInput, b: EmbeddingInput, lambda: number, options: GapShiftOptions = {}): GapShiftOutput {
  const prepared = prepareShift(a, b, options, 'gapShift');
  const { sa, sb } = shiftBy(prepared, lambda, 'gapShift');
  return { a: matrixToRows(sa), b: matrixToRows(sb), gapVector: Array.from(prepared.delta), gap: gapOf(sa, sb).gap };
}

export interface GapShiftPoint<T> {
  lambda: number;
  /** Modality gap after the shift. */
  gap: number;
  /** What `evaluate` returned at this λ. */
  value: T;
}

/** The shifted embeddings handed to a gapShiftSweep callback, as float32 tensors [n, d]. */
export interface ShiftedEmbeddings {
  a: tf.Tensor2D;
  b: tf.Tensor2D;
  lambda: number;
}

/**
 * Runs `evaluate` (retrieval, a loss, zero-shot accuracy...) on the gap-shifted embeddings at
 * every λ in `lambdas`, in order, and returns one point per λ: the curve Liang et al. plot in
 * their Table 1 experiments. Δ is measured once on the unshifted inputs (or given as
 * options.direction). The tensors passed to `evaluate` are created here and disposed when
 * its (possibly async) result settles, so the callback must not keep them.
 */
export async function gapShiftSweep<T>(
  a: EmbeddingInput,
  b: EmbeddingInput,
  lambdas: ReadonlyArray<number>,
  evaluate: (shifted: ShiftedEmbeddings) => T | Promise<T>,
  options: GapShiftOptions = {},
): Promise<Array<GapShiftPoint<T>>> {
  if (lambdas.length === 0) throw new Error('gapShiftSweep: lambdas is empty; pass e.g. [-0.5, -0.25, 0, 0.25, 0.5]');
  const prepared = prepareShift(a, b, options, 'gapShiftSweep');
  const points: Array<GapShiftPoint<T>> = [];
  for (const lambda of lambdas) {
    const { sa, sb } = shiftBy(prepared, lambda, 'gapShiftSweep');
    const ta = tf.tensor2d(Float32Array.from(sa.data), [sa.rows, sa.cols]);
    const tb = tf.tensor2d(Float32Array.from(sb.data), [sb.rows, sb.cols]);
    try {
      const value = await evaluate({ a: ta, b: tb, lambda });
      points.push({ lambda, gap: gapOf(sa, sb).gap, value });
    } finally {
      tf.dispose([ta, tb]);
    }
  }
  return points;
}

interface PreparedShift {
  ua: Matrix;
  ub: Matrix;
  delta: Float64Array;
}

function prepareShift(a: EmbeddingInput, b: EmbeddingInput, options: GapShiftOptions, fn: string): PreparedShift {
  const ua = unitRows(a, `${fn}: a`);
  const ub = unitRows(b, `${fn}: b`);
  checkPair(ua, ub, fn, false);
  let delta: Float64Array;
  if (options.direction === undefined) {
    delta = Float64Array.from(gapOf(ua, ub).gapVector);
  } else {
    delta = Float64Array.from(options.direction);
    if (delta.length !== ua.cols) throw new Error(`${fn}: options.direction has length ${delta.length}, expected d = ${ua.cols}`);
    if (!delta.every(Number.isFinite)) throw new Error(`${fn}: options.direction must be finite`);
  }
  return { ua, ub, delta };
}

function shiftBy({ ua, ub, delta }: PreparedShift, lambda: number, fn: string): { sa: Matrix; sb: Matrix } {
  if (!Number.isFinite(lambda)) throw new Error(`${fn}: lambda must be finite, received ${lambda}`);
  const move = (m: Matrix, sign: number, name: string): Matrix => {
    const data = new Float64Array(m.data.length);
    for (let i = 0; i < m.rows; i++) {
      for (let j = 0; j < m.cols; j++) data[i * m.cols + j] = m.data[i * m.cols + j]! + sign * lambda * delta[j]!;
    }
    return l2NormalizeRows({ rows: m.rows, cols: m.cols, data }, `${fn}: shifted ${name} (lambda ${lambda})`);
  };
  return { sa: move(ua, -1, 'a'), sb: move(ub, +1, 'b') };
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! ** 2;
  return Math.sqrt(s);
}
