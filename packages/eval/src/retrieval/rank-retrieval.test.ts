import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { bestPositiveRanks, rankRetrieval } from './rank-retrieval.js';
import { similarityMatrix } from './similarity-matrix.js';

/** |a-b| <= abs + rel*|b|; NaN and Infinity never pass. */
function expectClose(actual: number, expected: number, abs = 1e-6, rel = 1e-6): void {
  expect(Number.isFinite(actual), `actual ${actual} is not finite`).toBe(true);
  expect(Math.abs(actual - expected), `actual ${actual}, expected ${expected}`).toBeLessThanOrEqual(abs + rel * Math.abs(expected));
}

function expectRecordClose(actual: Record<number, number>, expected: Record<number, number>): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [k, v] of Object.entries(expected)) expectClose(actual[Number(k)]!, v);
}

/** Queries = the score matrix itself, gallery = identity, so scores[q][g] = S[q][g] exactly. */
function scoresAsInputs(S: number[][]): { queries: tf.Tensor2D; gallery: tf.Tensor2D } {
  const G = S[0]!.length;
  return { queries: tf.tensor2d(S), gallery: tf.eye(G) as tf.Tensor2D };
}

describe('rankRetrieval', () => {
  it('3x3 by hand, with a pessimistic tie', () => {
    const S = [
      [0.9, 0.1, 0.2], // positive 0 is the max          -> rank 1
      [0.8, 0.3, 0.5], // positive 1; 0.8, 0.5 beat it    -> rank 3
      [0.4, 0.4, 0.4], // positive 2; both others tie it -> rank 3 (ties count against)
    ];
    const { queries, gallery } = scoresAsInputs(S);
    const r = rankRetrieval(queries, gallery, [[0], [1], [2]], { ks: [1, 2, 3] });
    // ranks [1, 3, 3]
    expect(r.n).toBe(3);
    expect(r.galleryCount).toBe(3);
    expectRecordClose(r.recall, { 1: 1 / 3, 2: 1 / 3, 3: 1 });
    expectClose(r.medianRank, 3);
    expectClose(r.meanRank, 7 / 3);
    expectClose(r.mrr, (1 + 1 / 3 + 1 / 3) / 3);
    // chance, G=3, p=1: R@K = K/3; best rank (3+1)/(1+1) = 2
    expectRecordClose(r.chance.recall, { 1: 1 / 3, 2: 2 / 3, 3: 1 });
    expectClose(r.chance.medianRank, 2);
    tf.dispose([queries, gallery]);
  });

  it('5x5 by hand, with several positives per query', () => {
    const S = [
      [0.1, 0.9, 0.8, 0.3, 0.2], // pos {2,3}: best 0.8; negative 0.9 beats it          -> rank 2
      [0.5, 0.5, 0.7, 0.1, 0.0], // pos {0,1}: tied positives don't hurt; 0.7 beats     -> rank 2
      [0.6, 0.6, 0.6, 0.6, 0.6], // pos {4}: four negatives tie it                      -> rank 5
      [0.2, 0.3, 0.1, 0.95, 0.4], // pos {3}: the max                                   -> rank 1
      [-0.5, 0.2, 0.3, 0.1, -0.2], // pos {0,4,1}: best 0.2 (index 1); 0.3 beats it     -> rank 2
    ];
    const positives = [[2, 3], [0, 1], [4], [3], [0, 4, 1]];
    const { queries, gallery } = scoresAsInputs(S);
    const r = rankRetrieval(queries, gallery, positives, { ks: [5, 1, 2] });
    // ranks [2, 2, 5, 1, 2] -> sorted [1, 2, 2, 2, 5]
    expectRecordClose(r.recall, { 1: 1 / 5, 2: 4 / 5, 5: 1 });
    expectClose(r.medianRank, 2);
    expectClose(r.meanRank, 12 / 5);
    expectClose(r.mrr, (0.5 + 0.5 + 0.2 + 1 + 0.5) / 5);
    // chance, G=5, p = [2, 2, 1, 1, 3]:
    //   R@1 = p/5                 -> [.4, .4, .2, .2, .6], mean 0.36
    //   R@2 = 1 - C(5-p, 2)/10    -> [.7, .7, .4, .4, .9], mean 0.62
    //   R@5 = 1
    //   best rank 6/(p+1)         -> [2, 2, 3, 3, 1.5], median 2
    expectRecordClose(r.chance.recall, { 1: 0.36, 2: 0.62, 5: 1 });
    expectClose(r.chance.medianRank, 2);
    tf.dispose([queries, gallery]);
  });

  it('defaults to K = 1, 5, 10', () => {
    const { queries, gallery } = scoresAsInputs([[1, 0]]);
    const r = rankRetrieval(queries, gallery, [[0]]);
    expect(Object.keys(r.recall).map(Number)).toEqual([1, 5, 10]);
    expect(r.chance.recall[10]).toBe(1);
    tf.dispose([queries, gallery]);
  });

  it('chunked equals unchunked and a plain JS reference on random data', () => {
    const Q = 257;
    const G = 300;
    const queries = tf.tidy(() => unitRows(tf.randomNormal([Q, 16], 0, 1, 'float32', 1)));
    const gallery = tf.tidy(() => unitRows(tf.randomNormal([G, 16], 0, 1, 'float32', 2)));
    // 1 to 3 positives per query, deterministic
    const positives = Array.from({ length: Q }, (_, q) => Array.from({ length: 1 + (q % 3) }, (_, j) => (q * 7 + j * 101) % G));

    const chunked = bestPositiveRanks(queries, gallery, positives, 64);
    const whole = bestPositiveRanks(queries, gallery, positives, Q);
    expect(Array.from(chunked)).toEqual(Array.from(whole));

    const scores = similarityMatrix(queries, gallery);
    const reference = positives.map((pos, q) => {
      const row = scores[q]!;
      const best = Math.max(...pos.map((g) => row[g]!));
      return 1 + row.filter((s, g) => !pos.includes(g) && s >= best).length;
    });
    expect(Array.from(whole)).toEqual(reference);

    const a = rankRetrieval(queries, gallery, positives, { chunkSize: 64 });
    const b = rankRetrieval(queries, gallery, positives);
    expect(a).toEqual(b);
    tf.dispose([queries, gallery]);
  });

  it('leaks no tensors', () => {
    const queries = tf.tidy(() => unitRows(tf.randomNormal([20, 8], 0, 1, 'float32', 3)));
    const gallery = tf.tidy(() => unitRows(tf.randomNormal([30, 8], 0, 1, 'float32', 4)));
    const positives = Array.from({ length: 20 }, (_, q) => [q, q + 5]);
    rankRetrieval(queries, gallery, positives, { chunkSize: 7 }); // warm-up
    const before = tf.memory().numTensors;
    rankRetrieval(queries, gallery, positives, { chunkSize: 7 });
    similarityMatrix(queries, gallery);
    expect(tf.memory().numTensors).toBe(before);
    // An error mid-loop must not leak either.
    const bad = tf.tensor2d([[Number.NaN, 0]]);
    const eye = tf.eye(2) as tf.Tensor2D;
    const withBad = tf.memory().numTensors;
    expect(() => rankRetrieval(bad, eye, [[0]])).toThrow(/NaN/);
    expect(tf.memory().numTensors).toBe(withBad);
    tf.dispose([queries, gallery, bad, eye]);
  });

  it('rejects NaN scores and malformed positives', () => {
    const eye = tf.eye(3) as tf.Tensor2D;
    const nan = tf.tensor2d([[0.1, 0.2, 0.3], [0.1, Number.NaN, 0.3]]);
    expect(() => rankRetrieval(nan, eye, [[0], [1]])).toThrow(/3 similarity scores are NaN for query rows 0\.\.1/); // NaN * 0 is NaN: the whole row
    const inf = tf.tensor2d([[Number.POSITIVE_INFINITY, 0, 0]]);
    expect(() => rankRetrieval(inf, eye, [[0]])).toThrow(/NaN/); // inf * 0 = NaN
    const ok = tf.tensor2d([[1, 0, 0]]);
    expect(() => rankRetrieval(ok, eye, [])).toThrow(/positives has 0 lists but there are 1 queries/);
    expect(() => rankRetrieval(ok, eye, [[]])).toThrow(/positives\[0\] is empty/);
    expect(() => rankRetrieval(ok, eye, [[3]])).toThrow(/positives\[0\] contains 3, expected an integer in \[0, 3\)/);
    expect(() => rankRetrieval(ok, eye, [[1, 1]])).toThrow(/lists gallery index 1 twice/);
    expect(() => rankRetrieval(ok, eye, [[0]], { ks: [0] })).toThrow(/ks must hold integers >= 1, received 0/);
    expect(() => rankRetrieval(ok, eye, [[0]], { chunkSize: 0 })).toThrow(/chunkSize must be an integer >= 1, received 0/);
    const wide = tf.zeros([1, 4]) as tf.Tensor2D;
    expect(() => rankRetrieval(wide, eye, [[0]])).toThrow(/differ in embedding size/);
    tf.dispose([eye, nan, inf, ok, wide]);
  });
});

describe('similarityMatrix', () => {
  it('returns dot products as nested arrays', () => {
    const a = tf.tensor2d([[1, 0], [0.6, 0.8]]);
    const b = tf.tensor2d([[0, 1], [1, 0], [0.6, 0.8]]);
    const m = similarityMatrix(a, b);
    const expected = [[0, 1, 0.6], [0.8, 0.6, 1]];
    expect(m.length).toBe(2);
    m.forEach((row, i) => row.forEach((v, j) => expectClose(v, expected[i]![j]!)));
    expect(() => similarityMatrix(a, tf.tensor2d([[1, 2, 3]]))).toThrow(/expected \[n, D\] and \[m, D\]/);
    tf.dispose([a, b]);
  });
});

function unitRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.norm(x, 'euclidean', 1, true));
}
