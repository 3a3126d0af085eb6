import { l2NormalizeRows } from '../linalg/matrix.js';
import { accuracyOf, checkWidths, classCountOf, majorityBaseline, readSplit, type LabelledEmbeddings } from './labelled.js';

export interface KnnProbeOptions {
  /** Neighbours that vote; default 20 (the weighted k-NN of Wu et al. 2018 / DINO uses 20). */
  k?: number;
}

export interface KnnProbeOutput {
  /** Test accuracy. */
  accuracy: number;
  /** Predicted class of each test row. */
  predictions: Int32Array;
  /** k actually used (min(k, number of training rows)). */
  k: number;
  /** Baseline: always answer the most frequent training class. */
  chance: number;
}

/**
 * k-nearest-neighbour probe on frozen embeddings: each test row takes the majority label
 * of its k most cosine-similar training rows (rows are L2-normalised, then dot products),
 * the usual non-parametric probe of self-supervised features (Wu et al. 2018; Caron et al.
 * 2021 use a similarity-weighted variant; this one is an unweighted majority vote).
 *
 * Rules, so that results are reproducible:
 * - neighbours are ordered by similarity, higher first; equal similarities by lower
 *   training index first;
 * - a tied vote goes to the tied class whose nearest member comes first in that order
 *   (i.e. the class of the closest neighbour among the tied classes).
 *
 * Runs in float64 JS: O(test x train x d); meant for probe-sized sets (tens of thousands).
 */
export function knnProbe(train: LabelledEmbeddings, test: LabelledEmbeddings, options: KnnProbeOptions = {}): KnnProbeOutput {
  const tr = readSplit(train, 'train');
  const te = readSplit(test, 'test');
  checkWidths(tr.x, te.x, 'train.embeddings', 'test.embeddings');
  const kOption = options.k ?? 20;
  if (!Number.isInteger(kOption) || kOption < 1) throw new Error(`knnProbe: k must be an integer >= 1, received ${kOption}`);
  const k = Math.min(kOption, tr.x.rows);
  const a = l2NormalizeRows(tr.x, 'train.embeddings');
  const b = l2NormalizeRows(te.x, 'test.embeddings');
  const d = a.cols;
  const classCount = classCountOf(tr.y, te.y);

  const predictions = new Int32Array(b.rows);
  const sims = new Float64Array(a.rows);
  const votes = new Int32Array(classCount);
  const firstAt = new Int32Array(classCount);
  for (let q = 0; q < b.rows; q++) {
    const qo = q * d;
    for (let i = 0; i < a.rows; i++) {
      let s = 0;
      const io = i * d;
      for (let j = 0; j < d; j++) s += a.data[io + j]! * b.data[qo + j]!;
      sims[i] = s;
    }
    const neighbours = topK(sims, k);
    votes.fill(0);
    firstAt.fill(k);
    neighbours.forEach((i, position) => {
      const y = tr.y[i]!;
      votes[y]!++;
      if (position < firstAt[y]!) firstAt[y] = position;
    });
    let best = -1;
    for (let c = 0; c < classCount; c++) {
      if (votes[c]! === 0) continue;
      if (best < 0 || votes[c]! > votes[best]! || (votes[c]! === votes[best]! && firstAt[c]! < firstAt[best]!)) best = c;
    }
    predictions[q] = best;
  }
  return { accuracy: accuracyOf(predictions, te.y), predictions, k, chance: majorityBaseline(tr.y, te.y) };
}

/** Indices of the k largest values, larger first, lower index first on equal values. */
export function topK(values: ArrayLike<number>, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (out.length === k && v <= values[out[k - 1]!]!) continue; // not strictly better than the k-th
    // Insert after every kept value >= v, so an earlier index wins a tie.
    let at = out.length;
    while (at > 0 && values[out[at - 1]!]! < v) at--;
    out.splice(at, 0, i);
    if (out.length > k) out.pop();
  }
  return out;
}
