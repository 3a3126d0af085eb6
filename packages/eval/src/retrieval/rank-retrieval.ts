import * as tf from '@tensorflow/tfjs-core';
import { chanceBestRank, chanceRecallAtK } from './chance.js';
import { mean, median } from './rank-stats.js';

export interface RankRetrievalOptions {
  /** Cut-offs for recall@K; default [1, 5, 10], the usual CLIP retrieval table. */
  ks?: number[];
  /**
   * Queries scored per block. Default: as many as keep one [chunk, G] score block near
   * 4M floats (16 MB), so a 100k gallery still fits while a small one runs in one block.
   */
  chunkSize?: number;
}

export interface RetrievalResult {
  /** Number of queries. */
  n: number;
  galleryCount: number;
  /** recall[K]: fraction of queries with a positive in the top K. */
  recall: Record<number, number>;
  /** Median and mean of each query's best-positive rank (1-based). */
  medianRank: number;
  meanRank: number;
  /** Mean reciprocal rank of the best positive. */
  mrr: number;
  /**
   * Mean average precision over all positives of each query (ties pessimistic, see
   * retrievalPerQuery). Equals mrr when every query has exactly one positive. Always set by
   * rankRetrieval; optional in this type only so that hand-built results written before it
   * existed (plot and report test fixtures) stay valid.
   */
  map?: number;
  /** The same numbers for a uniformly random ranking (exact expectations, see chance.ts). */
  chance: { recall: Record<number, number>; medianRank: number };
}

const DEFAULT_KS = [1, 5, 10];
const SCORE_BLOCK_ELEMENTS = 1 << 22;

/**
 * Ranks `gallery` for every row of `queries` by dot product (inputs are already
 * L2-normalised, so this is cosine similarity) and scores the rank of each query's best
 * positive, as in CLIP's retrieval evaluation (Radford et al. 2021, sec. 3.1; Karpathy
 * splits report R@1/5/10 the same way).
 *
 * Ties are counted against the query (pessimistic): a gallery item that is not a positive
 * and scores exactly as high as the best positive is ranked ahead of it. So
 * rank = 1 + #{negatives j : s_j >= max_p s_p}. A constant model therefore gets rank G-p+1,
 * not a lucky 1. NaN scores are an error (they come from NaN or infinite embeddings).
 *
 * `positives[q]` lists the gallery indices that count as a correct answer for query q
 * (at least one, no duplicates).
 */
export function rankRetrieval(
  queries: tf.Tensor2D,
  gallery: tf.Tensor2D,
  positives: number[][],
  options: RankRetrievalOptions = {},
): RetrievalResult & { map: number } {
  const { bestRank: ranks, averagePrecision } = retrievalPerQuery(queries, gallery, positives, options.chunkSize);
  const galleryCount = gallery.shape[0];
  const ks = checkKs(options.ks ?? DEFAULT_KS);

  const recall: Record<number, number> = {};
  const chanceRecall: Record<number, number> = {};
  for (const k of ks) {
    let hits = 0;
    for (const r of ranks) if (r <= k) hits++;
    recall[k] = hits / ranks.length;
    chanceRecall[k] = mean(positives.map((p) => chanceRecallAtK(galleryCount, p.length, k)));
  }
  return {
    n: ranks.length,
    galleryCount,
    recall,
    medianRank: median(ranks),
    meanRank: mean(ranks),
    mrr: mean(Array.from(ranks, (r) => 1 / r)),
    map: mean(averagePrecision),
    chance: {
      recall: chanceRecall,
      medianRank: median(positives.map((p) => chanceBestRank(galleryCount, p.length))),
    },
  };
}

/** Pessimistic 1-based rank of each query's best positive (see rankRetrieval). */
export function bestPositiveRanks(
  queries: tf.Tensor2D,
  gallery: tf.Tensor2D,
  positives: number[][],
  chunkSize?: number,
): Float64Array {
  return retrievalPerQuery(queries, gallery, positives, chunkSize).bestRank;
}

export interface RetrievalPerQueryOutput {
  /** Pessimistic 1-based rank of each query's best positive. */
  bestRank: Float64Array;
  /** Average precision of each query over all of its positives. */
  averagePrecision: Float64Array;
}

/**
 * Per-query best-positive rank and average precision (for bootstrap intervals of R@K, MRR
 * and mAP). With the positives of a query sorted by score, best first, and
 * n_i = #{negatives j : s_j >= s_(i)}, the i-th positive sits at rank i + n_i when ties are
 * counted against the query (negatives tied with a positive are ranked ahead of it), so
 *
 *   AP = (1/P) * sum_i i / (i + n_i)
 *
 * which is the area under the precision-recall curve as in scikit-learn's
 * average_precision_score when no scores tie (sklearn treats tied scores as one threshold,
 * which lies between our pessimistic value and the optimistic one). Positives tied with
 * each other give equal n_i, so their order does not matter. rank of the best positive is
 * 1 + n_1, the same number as bestPositiveRanks.
 */
export function retrievalPerQuery(
  queries: tf.Tensor2D,
  gallery: tf.Tensor2D,
  positives: number[][],
  chunkSize?: number,
): RetrievalPerQueryOutput {
  checkInputs(queries, gallery, positives);
  const [queryCount, dim] = queries.shape;
  const galleryCount = gallery.shape[0];
  const chunk = chunkSize ?? Math.max(1, Math.floor(SCORE_BLOCK_ELEMENTS / galleryCount));
  if (!Number.isInteger(chunk) || chunk < 1) {
    throw new Error(`rankRetrieval: chunkSize must be an integer >= 1, received ${chunkSize}`);
  }

  // Transposed once, outside the loop: wasm's matmul takes its fast (XNNPACK) path only
  // without transpose flags.
  const galleryT = tf.transpose(gallery); // [D, G]
  const bestRank = new Float64Array(queryCount);
  const averagePrecision = new Float64Array(queryCount);
  try {
    for (let start = 0; start < queryCount; start += chunk) {
      const rows = Math.min(chunk, queryCount - start);
      const { indices, valid } = positiveIndexBlock(positives, start, rows);
      const width = valid.length / rows;
      const { negAhead, nan: nanCount } = tf.tidy(() => {
        const q = tf.slice(queries, [start, 0], [rows, dim]); // [c, D]
        const scores = tf.matMul(q, galleryT); // [c, G]
        const posIdx = tf.tensor3d(indices, [rows, width, 2], 'int32'); // [c, P, 2]
        const posValid = tf.tensor2d(valid, [rows, width]); // [c, P], 0 on padding
        const posScores = tf.gatherND(scores, posIdx) as tf.Tensor2D; // [c, P]
        // For each positive column j: #{gallery items scoring >= it} ([c] per column; a loop
        // over P keeps memory at one [c, G] block instead of [c, P, G]).
        const columns: tf.Tensor1D[] = [];
        for (let j = 0; j < width; j++) {
          const s = tf.slice(posScores, [0, j], [rows, 1]); // [c, 1]
          columns.push(tf.sum(tf.cast(tf.greaterEqual(scores, s), 'float32'), 1)); // [c]
        }
        const atLeast = tf.stack(columns, 1); // [c, P]
        // #{real positives scoring >= positive j}: [c, P, 1] vs [c, 1, P], small.
        const posGe = tf.cast(tf.greaterEqual(tf.expandDims(posScores, 1), tf.expandDims(posScores, 2)), 'float32'); // [c, P(j), P(k)]: s_k >= s_j
        const positivesAtLeast = tf.sum(tf.mul(posGe, tf.expandDims(posValid, 1)), 2); // [c, P]
        const negAhead = tf.sub(atLeast, positivesAtLeast); // [c, P]: n_j
        const nan = tf.sum(tf.cast(tf.isNaN(scores), 'float32'));
        return { negAhead, nan };
      });
      const nan = nanCount.dataSync()[0]!;
      const values = negAhead.dataSync();
      negAhead.dispose();
      nanCount.dispose();
      if (nan > 0) {
        throw new Error(
          `rankRetrieval: ${nan} similarity scores are NaN for query rows ${start}..${start + rows - 1}; ` +
            'check queries and gallery for NaN or infinite values',
        );
      }
      for (let r = 0; r < rows; r++) {
        const count = positives[start + r]!.length;
        const n = Array.from(values.subarray(r * width, r * width + count)).sort((a, b) => a - b);
        let ap = 0;
        n.forEach((ahead, i) => (ap += (i + 1) / (i + 1 + ahead)));
        bestRank[start + r] = 1 + n[0]!;
        averagePrecision[start + r] = ap / count;
      }
    }
  } finally {
    galleryT.dispose();
  }
  return { bestRank, averagePrecision };
}

/**
 * [row, col] gather indices for a block of queries, padded to the longest positive list by
 * repeating each query's first positive; `valid` marks the real entries.
 */
function positiveIndexBlock(positives: number[][], start: number, rows: number): { indices: Int32Array; valid: Float32Array } {
  let width = 1;
  for (let r = 0; r < rows; r++) width = Math.max(width, positives[start + r]!.length);
  const indices = new Int32Array(rows * width * 2);
  const valid = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const list = positives[start + r]!;
    for (let j = 0; j < width; j++) {
      const at = r * width + j;
      indices[2 * at] = r;
      indices[2 * at + 1] = list[j] ?? list[0]!;
      valid[at] = j < list.length ? 1 : 0;
    }
  }
  return { indices, valid };
}

function checkInputs(queries: tf.Tensor2D, gallery: tf.Tensor2D, positives: number[][]): void {
  if (queries.rank !== 2 || gallery.rank !== 2) {
    throw new Error(`rankRetrieval: queries and gallery must be 2-D, received shapes [${queries.shape}] and [${gallery.shape}]`);
  }
  const [queryCount, dim] = queries.shape;
  const [galleryCount, galleryDim] = gallery.shape;
  if (dim !== galleryDim) {
    throw new Error(`rankRetrieval: queries [${queries.shape}] and gallery [${gallery.shape}] differ in embedding size`);
  }
  if (queryCount === 0 || galleryCount === 0) {
    throw new Error(`rankRetrieval: need at least one query and one gallery item, received ${queryCount} and ${galleryCount}`);
  }
  if (queries.dtype !== 'float32' || gallery.dtype !== 'float32') {
    throw new Error(`rankRetrieval: queries and gallery must be float32, received ${queries.dtype} and ${gallery.dtype}`);
  }
  if (positives.length !== queryCount) {
    throw new Error(`rankRetrieval: positives has ${positives.length} lists but there are ${queryCount} queries`);
  }
  positives.forEach((list, q) => {
    if (list.length === 0) throw new Error(`rankRetrieval: positives[${q}] is empty; every query needs a correct answer`);
    const seen = new Set<number>();
    for (const g of list) {
      if (!Number.isInteger(g) || g < 0 || g >= galleryCount) {
        throw new Error(`rankRetrieval: positives[${q}] contains ${g}, expected an integer in [0, ${galleryCount})`);
      }
      if (seen.has(g)) throw new Error(`rankRetrieval: positives[${q}] lists gallery index ${g} twice`);
      seen.add(g);
    }
  });
}

function checkKs(ks: number[]): number[] {
  if (ks.length === 0) throw new Error('rankRetrieval: ks is empty');
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1) throw new Error(`rankRetrieval: ks must hold integers >= 1, received ${k}`);
  }
  return [...new Set(ks)].sort((a, b) => a - b);
}
