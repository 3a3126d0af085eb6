import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Rng } from '../../random/rng.js';

export const FrameSamplingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('uniform') }).strict().describe('centre of each of k equal segments (TSN test-time sampling)'),
  z.object({ kind: z.literal('head-tail') }).strict().describe('the first ceil(k/2) and the last floor(k/2) consecutive frames'),
  z.object({ kind: z.literal('random'), seed: z.number().int() }).strict().describe('one random frame per equal segment (TSN training sampling); vary the seed per epoch'),
]);
export type FrameSampling = z.infer<typeof FrameSamplingSchema>;

/**
 * Chooses `count` distinct frame indices, sorted ascending, from a clip of `frameCount` frames
 * (segment-based as TSN, Wang et al. 2016). A pure function: the same arguments give the same
 * indices. Asking for more frames than the clip has is an error, not a silent repeat.
 */
export function sampleFrames(frameCount: number, count: number, sampling: FrameSampling): number[] {
  for (const [name, v] of Object.entries({ frameCount, count })) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`sampleFrames: ${name} must be a positive integer, got ${v}`);
  }
  if (count > frameCount) {
    throw new Error(`sampleFrames: asked for ${count} frames from a clip of ${frameCount}; lower the count or drop clips shorter than ${count} frames`);
  }
  const start = (i: number) => Math.floor((i * frameCount) / count); // segment i is [start(i), start(i + 1))
  const s = FrameSamplingSchema.parse(sampling);
  switch (s.kind) {
    case 'uniform':
      return Array.from({ length: count }, (_, i) => Math.floor((start(i) + start(i + 1) - 1) / 2));
    case 'head-tail': {
      const head = Math.ceil(count / 2);
      return Array.from({ length: count }, (_, i) => (i < head ? i : frameCount - (count - i)));
    }
    case 'random': {
      const rng = new Rng(s.seed);
      return Array.from({ length: count }, (_, i) => start(i) + rng.int(start(i + 1) - start(i)));
    }
  }
}

/** Picks frames along the time axis: video [B, T, H, W, C] -> [B, indices.length, H, W, C]. */
export function gatherFrames(video: tf.Tensor5D, indices: readonly number[]): tf.Tensor5D {
  const t = video.shape[1];
  const bad = indices.find((i) => !Number.isInteger(i) || i < 0 || i >= t);
  if (bad !== undefined) throw new Error(`gatherFrames: index ${bad} out of range for ${t} frames`);
  return tf.tidy(() => tf.gather(video, tf.tensor1d(Array.from(indices), 'int32'), 1) as tf.Tensor5D);
}
