import type * as tf from '@tensorflow/tfjs-core';

/**
 * A dense row-major float64 matrix. The diagnostics, PCA and the eigen-solver work on this
 * plain form in JS so that their sums and rotations are float64 whatever the tensor backend.
 */
export interface Matrix {
  rows: number;
  cols: number;
  /** Row-major: element (i, j) is data[i * cols + j]. */
  data: Float64Array;
}

/** What the diagnostics accept: a rank-2 tensor, or rows of numbers (nested arrays or typed arrays). */
export type MatrixInput = tf.Tensor2D | ReadonlyArray<ArrayLike<number>> | Matrix;

function isTensor(x: unknown): x is tf.Tensor {
  return typeof x === 'object' && x !== null && 'dataSync' in x && 'shape' in x && 'rank' in x;
}

function isMatrix(x: unknown): x is Matrix {
  return typeof x === 'object' && x !== null && 'data' in x && 'rows' in x && 'cols' in x && !isTensor(x);
}

/**
 * Copies `x` into a float64 Matrix, checking it is 2-D, rectangular and finite. `name` is the
 * argument name used in errors. A tensor is read synchronously once (not meant for a step loop).
 */
export function toMatrix(x: MatrixInput, name: string): Matrix {
  let rows: number;
  let cols: number;
  let data: Float64Array;
  if (isTensor(x)) {
    if (x.rank !== 2) throw new Error(`${name}: expected a rank-2 tensor [n, d], received shape [${x.shape}]`);
    [rows, cols] = x.shape as [number, number];
    data = Float64Array.from(x.dataSync());
  } else if (isMatrix(x)) {
    if (x.data.length !== x.rows * x.cols) {
      throw new Error(`${name}: Matrix data has ${x.data.length} values but rows x cols is ${x.rows} x ${x.cols}`);
    }
    ({ rows, cols } = x);
    data = Float64Array.from(x.data);
  } else {
    if (!Array.isArray(x)) throw new Error(`${name}: expected a tf.Tensor2D or an array of rows, received ${typeof x}`);
    rows = x.length;
    cols = rows === 0 ? 0 : x[0]!.length;
    data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const row = x[i]!;
      if (row.length !== cols) throw new Error(`${name}[${i}] has ${row.length} columns but ${name}[0] has ${cols}`);
      for (let j = 0; j < cols; j++) data[i * cols + j] = row[j]!;
    }
  }
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k]!)) {
      throw new Error(`${name}[${Math.floor(k / cols)}][${k % cols}] is ${data[k]}; embeddings must be finite`);
    }
  }
  return { rows, cols, data };
}

/** Rows of a Matrix as plain number arrays (for JSON, plots and tests). */
export function matrixToRows(m: Matrix): number[][] {
  return Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
}

/** Each row divided by its L2 norm. A zero row is an error: it has no direction on the sphere. */
export function l2NormalizeRows(m: Matrix, name: string): Matrix {
  const out = new Float64Array(m.data.length);
  for (let i = 0; i < m.rows; i++) {
    let sq = 0;
    for (let j = 0; j < m.cols; j++) sq += m.data[i * m.cols + j]! ** 2;
    if (sq === 0) throw new Error(`${name}[${i}] is a zero vector and cannot be L2-normalised`);
    const inv = 1 / Math.sqrt(sq);
    for (let j = 0; j < m.cols; j++) out[i * m.cols + j] = m.data[i * m.cols + j]! * inv;
  }
  return { rows: m.rows, cols: m.cols, data: out };
}

/** Column means, [cols]. */
export function columnMeans(m: Matrix): Float64Array {
  const mean = new Float64Array(m.cols);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) mean[j]! += m.data[i * m.cols + j]!;
  for (let j = 0; j < m.cols; j++) mean[j]! /= m.rows;
  return mean;
}

/**
 * AᵀA ([cols, cols]) when `side` is 'cols', AAᵀ ([rows, rows]) when 'rows'. Symmetric by
 * construction (the lower triangle is copied), so the eigen-solver's symmetry check passes.
 */
export function gram(m: Matrix, side: 'rows' | 'cols'): Matrix {
  const { rows, cols, data } = m;
  if (side === 'rows') {
    const g = new Float64Array(rows * rows);
    for (let i = 0; i < rows; i++) {
      for (let k = i; k < rows; k++) {
        let s = 0;
        for (let j = 0; j < cols; j++) s += data[i * cols + j]! * data[k * cols + j]!;
        g[i * rows + k] = s;
        g[k * rows + i] = s;
      }
    }
    return { rows, cols: rows, data: g };
  }
  const g = new Float64Array(cols * cols);
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    for (let a = 0; a < cols; a++) {
      const xa = data[off + a]!;
      if (xa === 0) continue;
      const rowA = a * cols;
      for (let b = a; b < cols; b++) g[rowA + b]! += xa * data[off + b]!;
    }
  }
  for (let a = 0; a < cols; a++) for (let b = a + 1; b < cols; b++) g[b * cols + a] = g[a * cols + b]!;
  return { rows: cols, cols, data: g };
}
