import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { rankRetrieval, retrievalPerQuery } from './rank-retrieval.js';

/** |a-b| <= abs + rel*|b|; NaN and Infinity never pass. */
function expectClose(actual: number, expected: number, abs = 1e-6, rel = 1e-6): void {
  expect(Number.isFinite(actual), `actual ${actual} is not finite`).toBe(true);
  expect(Math.abs(actual - expected), `actual ${actual}, expected ${expected}`).toBeLessThanOrEqual(abs + rel * Math.abs(expected));
}

/** Queries = the score matrix itself, gallery = identity, so scores[q][g] = S[q][g] exactly. */
function scoresAsInputs(S: number[][]): { queries: tf.Tensor2D; gallery: tf.Tensor2D } {
  return { queries: tf.tensor2d(S), gallery: tf.eye(S[0]!.length) as tf.Tensor2D };
}

interface ApFixture {
  queries: number[][];
  gallery: number[][];
  positives: number[][];
  averagePrecision: number[];
  map: number;
  bestRank: number[];
}

describe('mean average precision', () => {
  it('3x3 by hand: one positive per query, so AP = 1/rank and mAP = MRR', () => {
    const S = [
      [0.9, 0.1, 0.2], // rank 1 -> AP 1
      [0.8, 0.3, 0.5], // rank 3 -> AP 1/3
      [0.4, 0.4, 0.4], // rank 3 (ties pessimistic) -> AP 1/3
    ];
    const { queries, gallery } = scoresAsInputs(S);
    const r = rankRetrieval(queries, gallery, [[0], [1], [2]]);
    expectClose(r.map, (1 + 1 / 3 + 1 / 3) / 3); // 5/9
    expectClose(r.map, r.mrr);
    tf.dispose([queries, gallery]);
  });

  it('5x5 by hand with several positives: AP = (1/P) sum_i i / (i + n_i)', () => {
    const S = [
      [0.1, 0.9, 0.8, 0.3, 0.2],
      [0.5, 0.5, 0.7, 0.1, 0.0],
      [0.6, 0.6, 0.6, 0.6, 0.6],
      [0.2, 0.3, 0.1, 0.95, 0.4],
      [-0.5, 0.2, 0.3, 0.1, -0.2],
    ];
    const positives = [[2, 3], [0, 1], [4], [3], [0, 4, 1]];
    // q0: positives 0.8, 0.3; negatives 0.1, 0.9, 0.2. n = [1 (0.9), 1 (0.9)]
    //     AP = (1/2 + 2/3) / 2 = 7/12
    // q1: positives 0.5, 0.5 (tied with each other); negatives 0.7, 0.1, 0.0. n = [1, 1]
    //     AP = (1/2 + 2/3) / 2 = 7/12
    // q2: positive 0.6 tied by four negatives: n = [4], AP = 1/5
    // q3: positive is the max: AP = 1
    // q4: positives 0.2, -0.2, -0.5; negatives 0.3, 0.1. n = [1, 2, 2]
    //     AP = (1/2 + 2/4 + 3/5) / 3 = 1.6/3 = 8/15
    // mAP = (7/12 + 7/12 + 1/5 + 1 + 8/15) / 5 = (35 + 6 + 30 + 16)/30 / 5 = 2.9/5 = 0.58
    const { queries, gallery } = scoresAsInputs(S);
    const per = retrievalPerQuery(queries, gallery, positives);
    const expected = [7 / 12, 7 / 12, 1 / 5, 1, 8 / 15];
    expected.forEach((ap, q) => expectClose(per.averagePrecision[q]!, ap));
    expect(Array.from(per.bestRank)).toEqual([2, 2, 5, 1, 2]);
    expectClose(rankRetrieval(queries, gallery, positives).map, 0.58);
    // Chunking does not change it.
    expectClose(rankRetrieval(queries, gallery, positives, { chunkSize: 2 }).map, 0.58);
    tf.dispose([queries, gallery]);
  });

  it('a positive ranked last among all items gives precision P/G at that positive', () => {
    // G = 4, positives {0, 3}: scores 1.0 (rank 1) and 0.0 (rank 4): AP = (1/1 + 2/4)/2 = 0.75
    const { queries, gallery } = scoresAsInputs([[1.0, 0.5, 0.4, 0.0]]);
    expectClose(rankRetrieval(queries, gallery, [[0, 3]]).map, 0.75);
    tf.dispose([queries, gallery]);
  });

  it('matches sklearn average_precision_score on tie-free random data (fixture)', () => {
    // tools/reference/eval_reference.py retrieval_fixture(): 40 queries, 60 gallery items,
    // d = 8, 1-5 positives per query, AP per query by sklearn.metrics.average_precision_score
    // on float64 scores; the data are redrawn until no two scores in a row are within 1e-5.
    const fx = JSON.parse(readFileSync(new URL('./fixtures/average-precision.json', import.meta.url), 'utf8')) as ApFixture;
    const queries = tf.tensor2d(fx.queries);
    const gallery = tf.tensor2d(fx.gallery);
    const per = retrievalPerQuery(queries, gallery, fx.positives, 7);
    expect(Array.from(per.bestRank)).toEqual(fx.bestRank);
    // float32 scores with the same order give the same AP up to float rounding of i/(i+n).
    fx.averagePrecision.forEach((ap, q) => expectClose(per.averagePrecision[q]!, ap, 1e-9, 1e-9));
    expectClose(rankRetrieval(queries, gallery, fx.positives).map, fx.map, 1e-9, 1e-9);
    tf.dispose([queries, gallery]);
  });

  it('leaks no tensors', () => {
    const { queries, gallery } = scoresAsInputs([[0.3, 0.2, 0.1], [0.1, 0.2, 0.3]]);
    retrievalPerQuery(queries, gallery, [[0, 2], [1]]);
    const before = tf.memory().numTensors;
    retrievalPerQuery(queries, gallery, [[0, 2], [1]], 1);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([queries, gallery]);
  });
});
