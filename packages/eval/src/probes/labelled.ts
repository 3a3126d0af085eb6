import { toMatrix, type Matrix, type MatrixInput } from '../linalg/matrix.js';

/** Frozen embeddings of one split with their integer class labels 0..C-1, row by row. */
export interface LabelledEmbeddings {
  embeddings: MatrixInput;
  labels: ArrayLike<number>;
}

export interface LabelledMatrix {
  x: Matrix;
  y: Int32Array;
}

/** Reads a split into float64, checking labels are integers >= 0 and one per row. */
export function readSplit(split: LabelledEmbeddings, name: string): LabelledMatrix {
  const x = toMatrix(split.embeddings, `${name}.embeddings`);
  if (x.rows === 0 || x.cols === 0) throw new Error(`${name}.embeddings: expected a non-empty [n, d] matrix, received ${x.rows} x ${x.cols}`);
  if (split.labels.length !== x.rows) {
    throw new Error(`${name}.labels has ${split.labels.length} entries but ${name}.embeddings has ${x.rows} rows`);
  }
  const y = new Int32Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    const label = split.labels[i]!;
    if (!Number.isInteger(label) || label < 0) throw new Error(`${name}.labels[${i}] is ${label}, expected an integer class index >= 0`);
    y[i] = label;
  }
  return { x, y };
}

export function checkWidths(a: Matrix, b: Matrix, aName: string, bName: string): void {
  if (a.cols !== b.cols) throw new Error(`${aName} and ${bName} must share the embedding width, received d = ${a.cols} and ${b.cols}`);
}

/** Fraction of predictions equal to the labels. */
export function accuracyOf(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) hits++;
  return hits / labels.length;
}

/**
 * The no-learning baseline: test accuracy of always answering the most frequent training
 * class (the smallest index on a tie).
 */
export function majorityBaseline(trainLabels: Int32Array, testLabels: Int32Array): number {
  const counts = new Map<number, number>();
  for (const y of trainLabels) counts.set(y, (counts.get(y) ?? 0) + 1);
  let best = -1;
  let bestCount = -1;
  for (const [y, c] of [...counts].sort((a, b) => a[0] - b[0])) {
    if (c > bestCount) {
      best = y;
      bestCount = c;
    }
  }
  let hits = 0;
  for (const y of testLabels) if (y === best) hits++;
  return hits / testLabels.length;
}

/** 1 + the largest label over the given splits. */
export function classCountOf(...labelSets: Int32Array[]): number {
  let max = -1;
  for (const ys of labelSets) for (const y of ys) max = Math.max(max, y);
  return max + 1;
}
