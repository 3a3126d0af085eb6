import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';

/** Per modality, one flag per sample: true = kept. */
export type ModalityKeep = Record<string, boolean[]>;

/**
 * Modality dropout (as in Neverova et al. 2016, ModDrop): drops each modality of each sample
 * with its probability, independently, and redraws a sample whose every modality was dropped,
 * so each sample keeps at least one. The redraw conditions on "not all dropped", so the
 * realised rate of m is p_m (1 - prod_{n != m} p_n) / (1 - prod_n p_n), close to p_m when the
 * product is small. Modalities are visited in sorted order so the draw does not depend on
 * the record's key order.
 */
export function sampleModalityDropout(probabilities: Readonly<Record<string, number>>, batchSize: number, rng: Rng): ModalityKeep {
  const names = Object.keys(probabilities).sort();
  if (names.length === 0) throw new Error('sampleModalityDropout: probabilities must name at least one modality, got none');
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`sampleModalityDropout: batchSize must be a positive integer, got ${batchSize}`);
  for (const m of names) {
    const p = probabilities[m]!;
    if (!(p >= 0 && p <= 1)) throw new Error(`sampleModalityDropout: probability of '${m}' must be in [0, 1], got ${p}`);
  }
  if (names.every((m) => probabilities[m] === 1)) {
    throw new Error(`sampleModalityDropout: every modality has drop probability 1 (${names.join(', ')}); at least one must be below 1`);
  }
  const keep: ModalityKeep = Object.fromEntries(names.map((m) => [m, new Array<boolean>(batchSize)]));
  for (let i = 0; i < batchSize; i++) {
    for (;;) {
      let any = false;
      for (const m of names) {
        const kept = rng.next() >= probabilities[m]!;
        keep[m]![i] = kept;
        any ||= kept;
      }
      if (any) break;
    }
  }
  return keep;
}

/**
 * Zeroes the rows of dropped samples of each modality in keep ([B, D] or [B, T, D]); modalities
 * not in keep pass through. Returns new tensors; the caller disposes them.
 */
export function applyModalityDropout<T extends tf.Tensor>(inputs: Readonly<Record<string, T>>, keep: ModalityKeep): Record<string, T> {
  return tf.tidy(() => {
    const out: Record<string, T> = {};
    for (const [m, x] of Object.entries(inputs)) {
      const flags = keep[m];
      if (flags === undefined) {
        out[m] = tf.clone(x);
        continue;
      }
      if (flags.length !== x.shape[0]) throw new Error(`applyModalityDropout: keep flags of '${m}' have length ${flags.length} but its batch is ${x.shape[0]}`);
      const shape = [flags.length, ...x.shape.slice(1).map(() => 1)];
      out[m] = tf.mul(x, tf.tensor(flags.map((k) => (k ? 1 : 0)), shape, 'float32')) as T;
    }
    return out;
  });
}
