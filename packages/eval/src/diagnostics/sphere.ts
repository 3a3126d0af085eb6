import { Rng } from '@modalab/core';
import { l2NormalizeRows, toMatrix, type Matrix, type MatrixInput } from '../linalg/matrix.js';

/** Embeddings of one modality: a [n, d] tensor or n rows of d numbers. Read once, in float64. */
export type EmbeddingInput = MatrixInput;

/** The L2-normalised float64 rows of `x`, with `name` in any error. */
export function unitRows(x: EmbeddingInput, name: string): Matrix {
  const m = toMatrix(x, name);
  if (m.rows === 0 || m.cols === 0) throw new Error(`${name}: expected a non-empty [n, d] matrix, received ${m.rows} x ${m.cols}`);
  return l2NormalizeRows(m, name);
}

/** Throws unless a and b have the same width (and, when `paired`, the same number of rows). */
export function checkPair(a: Matrix, b: Matrix, fn: string, paired: boolean): void {
  if (a.cols !== b.cols) throw new Error(`${fn}: a and b must share the embedding width, received d = ${a.cols} and ${b.cols}`);
  if (paired && a.rows !== b.rows) {
    throw new Error(`${fn}: a and b must be paired row by row, received ${a.rows} and ${b.rows} rows`);
  }
}

/** A seeded subset of `size` rows without replacement (all rows, in order, when size >= rows). */
export function sampleRows(m: Matrix, size: number | undefined, seed: number, fn: string): Matrix {
  if (size === undefined || size >= m.rows) return m;
  if (!Number.isInteger(size) || size < 2) throw new Error(`${fn}: sample size must be an integer >= 2, received ${size}`);
  const order = new Rng(seed).shuffle(Array.from({ length: m.rows }, (_, i) => i)).slice(0, size).sort((i, j) => i - j);
  const data = new Float64Array(size * m.cols);
  order.forEach((row, k) => data.set(m.data.subarray(row * m.cols, (row + 1) * m.cols), k * m.cols));
  return { rows: size, cols: m.cols, data };
}

/** Row-wise concatenation of matrices of the same width. */
export function stackRows(parts: Matrix[]): Matrix {
  const cols = parts[0]!.cols;
  const rows = parts.reduce((s, p) => s + p.rows, 0);
  const data = new Float64Array(rows * cols);
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.data.length;
  }
  return { rows, cols, data };
}
