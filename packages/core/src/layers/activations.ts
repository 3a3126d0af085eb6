import * as tf from '@tensorflow/tfjs-core';
import { fusedGeluTanh } from '../backend/native/gelu.js';

export type ActivationKind = 'gelu' | 'gelu-tanh' | 'quick-gelu' | 'relu';

/** GELU with the tanh approximation (Hendrycks & Gimpel 2016), as in GPT-2 and the tfjs-layers default. */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  const fused = fusedGeluTanh(x);
  if (fused !== undefined) return fused;
  return tf.tidy(() => {
    const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(x, tf.mul(x, x)))));
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
  });
}

/** Exact GELU: x * Phi(x), through erf. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

/**
 * x * sigmoid(1.702 x), the GELU approximation of the original CLIP. On wasm it costs about
 * a sixth of tanh-GELU (no cube, one transcendental), which matters when GELU dominates a step.
 */
export function quickGelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(1.702, x))));
}

export const ACTIVATIONS = {
  gelu,
  'gelu-tanh': geluTanh,
  'quick-gelu': quickGelu,
  relu: (x: tf.Tensor) => tf.relu(x),
} satisfies Record<ActivationKind, (x: tf.Tensor) => tf.Tensor>;

export function activation(kind: ActivationKind): (x: tf.Tensor) => tf.Tensor {
  const fn = (ACTIVATIONS as Record<string, (x: tf.Tensor) => tf.Tensor>)[kind];
  if (!fn) throw new Error(`Unknown activation '${kind}'. Registered: ${Object.keys(ACTIVATIONS).join(', ')}`);
  return fn;
}
