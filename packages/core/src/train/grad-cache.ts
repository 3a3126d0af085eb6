import * as tf from '@tensorflow/tfjs-core';
import { splitBatch } from './split-batch.js';

export interface GradCacheOptions<B> {
  /** Number of chunks k; peak activation memory is that of one chunk. */
  chunks: number;
  /** The embeddings of one chunk by modality, [b_i, E] each, as a differentiable function of the towers. */
  embed: (chunk: B) => Record<string, tf.Tensor2D>;
  /** The loss of the whole batch's embeddings; it may own parameters (a temperature), which get exact gradients too. */
  loss: (embeddings: Record<string, tf.Tensor2D>) => tf.Scalar;
  /** How to cut a batch into chunks; default splitBatch (every tensor along axis 0). */
  split?: (batch: B, chunks: number) => B[];
}

export interface GradCacheOutput {
  loss: tf.Scalar;
  /** Keyed by tf.Variable name, as tf.variableGrads returns them (feed to optimizer.applyGradients). */
  grads: tf.NamedTensorMap;
}

function tensorsOf(x: unknown): tf.Tensor[] {
  if (x instanceof tf.Tensor) return [x];
  if (x !== null && typeof x === 'object') return Object.values(x).flatMap(tensorsOf);
  return [];
}

function accumulate(into: tf.NamedTensorMap, grads: tf.NamedTensorMap): void {
  for (const [name, g] of Object.entries(grads)) {
    const prev = into[name];
    if (prev === undefined) {
      into[name] = g;
    } else {
      into[name] = tf.add(prev, g);
      tf.dispose([prev, g]);
    }
  }
}

/**
 * GradCache (Gao et al. 2021, "Scaling Deep Contrastive Learning Batch Size under Memory
 * Limited Setup"): exact full-batch gradients of a contrastive loss with the memory of one
 * chunk. 1) embed every chunk without a tape, 2) compute the loss and d loss / d embeddings on
 * the full batch, 3) re-embed each chunk with a tape and backpropagate the cached embedding
 * gradients through it (the surrogate sum(e * stop_grad(de)) has exactly J^T de as its gradient).
 * The towers must be deterministic between the two passes (no dropout draws in between).
 */
export function gradCacheGradients<B>(batch: B, variables: readonly tf.Variable[], options: GradCacheOptions<B>): GradCacheOutput {
  const params = variables.filter((v) => v.trainable);
  const chunks = (options.split ?? splitBatch)(batch, options.chunks);
  try {
    // 1) Embeddings of every chunk, no tape: only [B, E] per modality is kept.
    const parts = chunks.map((c) => tf.tidy(() => options.embed(c)));
    const names = Object.keys(parts[0] ?? {}).sort();
    const sizes = parts.map((p) => p[names[0]!]!.shape[0]);
    const full = Object.fromEntries(names.map((m) => [m, tf.tidy(() => tf.variable(tf.concat(parts.map((p) => p[m]!), 0), true))])) as Record<string, tf.Variable>;
    tf.dispose(parts.flatMap((p) => Object.values(p)));
    // 2) The loss and its gradients w.r.t. the embeddings (wrapped as variables) and the loss's own parameters.
    const embVars = names.map((m) => full[m]!);
    const { value, grads: lossGrads } = tf.variableGrads(() => options.loss(full as Record<string, tf.Tensor2D>), [...params, ...embVars]);
    const embGrads = names.map((m) => lossGrads[full[m]!.name]!);
    const grads: tf.NamedTensorMap = {};
    for (const p of params) if (lossGrads[p.name] !== undefined) grads[p.name] = lossGrads[p.name]!;
    // 3) Each chunk again, with a tape, pulling back its rows of the cached gradients.
    let start = 0;
    chunks.forEach((chunk, i) => {
      const size = sizes[i]!;
      const rows = embGrads.map((g) => tf.slice(g, [start, 0], [size, g.shape[1]!]));
      const { value: surrogate, grads: chunkGrads } = tf.variableGrads(() => {
        const e = options.embed(chunk);
        return tf.addN(names.map((m, j) => tf.sum(tf.mul(e[m]!, rows[j]!)))) as tf.Scalar;
      }, params);
      surrogate.dispose();
      tf.dispose(rows);
      accumulate(grads, chunkGrads);
      start += size;
    });
    tf.dispose([...embGrads, ...embVars]);
    return { loss: value, grads };
  } finally {
    // The chunks are ours; a custom split may hand back the batch's own tensors, which are not.
    const owned = new Set(tensorsOf(batch).map((t) => t.id));
    tf.dispose(chunks.flatMap((c) => tensorsOf(c)).filter((t) => !owned.has(t.id)));
  }
}
