import { Rng } from '@modalab/core';
import * as tf from '@tensorflow/tfjs-core';
import { median } from './clip-mini.js';
import type { RetrievalPlan } from './plan.js';

function unitRows(rng: Rng, n: number, d: number): tf.Tensor2D {
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[r * d + j]! ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < d; j++) x[r * d + j]! *= inv;
  }
  return tf.tensor2d(x, [n, d]);
}

/**
 * Exact top-k cosine search of unit-norm queries [Q, D] against a gallery stored in row chunks
 * [chunk, D]: one similarity block per chunk (a transposed matmul), its k best per row, and a
 * final top-k over the per-chunk candidates. Returns gallery indices [Q, k], best first.
 */
export function searchTopK(queries: tf.Tensor2D, chunks: tf.Tensor2D[], k: number): tf.Tensor2D {
  return tf.tidy(() => {
    const values: tf.Tensor[] = [];
    const indices: tf.Tensor[] = [];
    let offset = 0;
    for (const chunk of chunks) {
      const [v, i] = tf.tidy(() => {
        const scores = tf.matMul(queries, chunk, false, true); // [Q, chunk]
        const top = tf.topk(scores, Math.min(k, chunk.shape[0]));
        return [top.values, tf.add(top.indices, tf.scalar(offset, 'int32'))];
      });
      values.push(v!);
      indices.push(i!);
      offset += chunk.shape[0];
    }
    const best = tf.topk(tf.concat(values, 1), k); // [Q, k] over all candidates
    const candidates = tf.concat(indices, 1); // [Q, C]
    // A flat gather, not gather(..., axis 1, batchDims 1): tfjs-backend-wasm 4.22 returns wrong
    // rows for batchDims > 0 (cpu is right).
    const [q, c] = candidates.shape as [number, number];
    const flat = tf.add(best.indices, tf.mul(tf.reshape(tf.range(0, q, 1, 'int32'), [q, 1]), tf.scalar(c, 'int32'))); // [Q, k]
    const all: tf.Tensor1D = tf.reshape(candidates, [q * c]);
    return tf.gather(all, flat) as tf.Tensor as tf.Tensor2D; // [Q, k]
  });
}

/**
 * Checks `found` [Q][k] against a full sort in float64 JS: rank by rank, the similarity of the
 * found row must equal the true k-th best similarity (indices may swap where two gallery rows
 * are closer than float32 rounding, so scores are compared, not indices).
 */
function checkAgainstFullSort(queries: Float32Array, gallery: Float32Array, d: number, found: number[][]): void {
  const n = gallery.length / d;
  found.forEach((ids, q) => {
    const scores = Array.from({ length: n }, (_, g) => {
      let s = 0;
      for (let j = 0; j < d; j++) s += queries[q * d + j]! * gallery[g * d + j]!;
      return s;
    });
    const best = [...scores].sort((a, b) => b - a).slice(0, ids.length);
    ids.forEach((id, r) => {
      if (!(Math.abs(scores[id]! - best[r]!) <= 1e-5)) {
        throw new Error(`retrieval bench: query ${q}, rank ${r + 1}: found gallery row ${id} (similarity ${scores[id]}) but the full sort's is ${best[r]}`);
      }
    });
  });
}

/**
 * Queries per second of exact top-k retrieval (tools/reference/retrieval_bench.py is the numpy
 * side). The search is checked once against a full sort on a few queries before timing.
 */
export async function retrievalQueriesPerSec(plan: RetrievalPlan): Promise<number> {
  const rng = new Rng(0);
  const chunks: tf.Tensor2D[] = [];
  for (let start = 0; start < plan.gallery; start += plan.chunk) chunks.push(unitRows(rng, Math.min(plan.chunk, plan.gallery - start), plan.dim));
  const queries = unitRows(rng, plan.queries, plan.dim);
  try {
    const probe = tf.slice(queries, [0, 0], [Math.min(3, plan.queries), plan.dim]) as tf.Tensor2D;
    const found = searchTopK(probe, chunks, plan.k);
    const gallery = tf.concat(chunks, 0);
    try {
      checkAgainstFullSort(probe.dataSync() as Float32Array, gallery.dataSync() as Float32Array, plan.dim, found.arraySync());
    } finally {
      tf.dispose([probe, found, gallery]);
    }
    const search = async () => {
      const ids = searchTopK(queries, chunks, plan.k);
      await ids.data();
      ids.dispose();
    };
    await search();
    const times: number[] = [];
    for (let r = 0; r < plan.repeats; r++) {
      const start = performance.now();
      await search();
      times.push(performance.now() - start);
    }
    return plan.queries / (median(times) / 1000);
  } finally {
    tf.dispose([...chunks, queries]);
  }
}
