import * as tf from '@tensorflow/tfjs-core';

/** sqrt(sum of squares) over every element of every gradient, as one scalar (no read-back). */
export function globalNorm(grads: readonly tf.Tensor[]): tf.Scalar {
  if (grads.length === 0) throw new Error('globalNorm: needs at least one gradient, got none');
  return tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

/**
 * The factor min(1, maxNorm / (norm + 1e-6)) that scales gradients to a global L2 norm of at
 * most maxNorm (Pascanu et al. 2013); computed in-graph so clipping never forces a sync.
 */
export function clipScale(norm: tf.Scalar, maxNorm: number): tf.Scalar {
  if (!(maxNorm > 0)) throw new Error(`clipScale: maxNorm must be > 0, got ${maxNorm}`);
  return tf.tidy(() => tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6))) as tf.Scalar);
}

export interface ClippedGradients {
  grads: tf.Tensor[];
  /** The global norm before clipping. */
  norm: tf.Scalar;
}

/** Gradients rescaled to a global norm of at most maxNorm (undefined = unchanged copies), and the norm before. */
export function clipByGlobalNorm(grads: readonly tf.Tensor[], maxNorm: number | undefined): ClippedGradients {
  return tf.tidy(() => {
    const norm = globalNorm(grads);
    if (maxNorm === undefined) return { grads: grads.map((g) => tf.clone(g)), norm };
    const scale = clipScale(norm, maxNorm);
    return { grads: grads.map((g) => tf.mul(g, scale)), norm };
  });
}

/** Global gradient norm of each group of parameters, grouped by the first part of their dotted name ("image", "text"...). */
export function groupGradNorms(grads: tf.NamedTensorMap, names: ReadonlyMap<string, string>, depth = 1): Record<string, tf.Scalar> {
  return tf.tidy(() => {
    const groups = new Map<string, tf.Tensor[]>();
    for (const [varName, g] of Object.entries(grads)) {
      const path = names.get(varName);
      if (path === undefined) continue;
      const key = path.split('.').slice(0, depth).join('.');
      const list = groups.get(key) ?? [];
      list.push(g);
      groups.set(key, list);
    }
    const out: Record<string, tf.Scalar> = {};
    for (const [key, gs] of [...groups].sort(([a], [b]) => a.localeCompare(b))) out[key] = globalNorm(gs);
    return out;
  });
}
