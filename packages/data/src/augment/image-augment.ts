import type { Rng } from '@modalab/core';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';

export const ImageAugmentSchema = z
  .object({
    scale: z
      .tuple([z.number().gt(0), z.number().gt(0)])
      .default([0.6, 1])
      .describe('area of the crop as a fraction of the image; 0.6-1 keeps small emoji recognisable'),
    ratio: z.tuple([z.number().gt(0), z.number().gt(0)]).default([3 / 4, 4 / 3]).describe('aspect ratio range of the crop, as in Inception/CLIP'),
    translate: z.number().min(0).max(1).default(0.15).describe('the crop may start this fraction outside the image (filled with fill), so objects also move off-centre'),
    brightness: z.number().min(0).max(1).default(0.2).describe('multiply by a factor in [1-b, 1+b]'),
    contrast: z.number().min(0).max(1).default(0.2).describe('scale the distance to the per-image mean by [1-c, 1+c]'),
    saturation: z.number().min(0).max(1).default(0.2).describe('scale the distance to grey by [1-s, 1+s]'),
    fill: z.number().min(0).max(1).default(1).describe('value outside the image; 1 = the white emoji background'),
    flip: z.number().min(0).max(1).default(0).describe('probability of a horizontal flip; 0 by default: a flip changes meaning for arrows, hands and anything that "moves left"'),
  })
  .strict();
export type ImageAugmentConfig = z.infer<typeof ImageAugmentSchema>;

function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.next();
}

/**
 * Random resized crop (Szegedy et al. 2015, as used by CLIP) and colour jitter on a batch of
 * NHWC images in [0, 1]. All randomness comes from rng, so a seeded run sees the same crops.
 * Runs as tensor ops (cropAndResize, broadcast arithmetic) on any backend; output is clipped
 * to [0, 1].
 */
export function augmentImages(images: tf.Tensor4D, config: ImageAugmentConfig, rng: Rng): tf.Tensor4D {
  const [b, h, w] = images.shape;
  const boxes: number[] = [];
  const factors: number[][] = [[], [], []];
  const flips: number[] = [];
  for (let i = 0; i < b; i++) {
    const area = uniform(rng, config.scale[0], config.scale[1]);
    const logRatio = uniform(rng, Math.log(config.ratio[0]), Math.log(config.ratio[1]));
    const ratio = Math.exp(logRatio);
    const ch = Math.min(1, Math.sqrt(area / ratio)); // crop height, as a fraction of the image
    const cw = Math.min(1, Math.sqrt(area * ratio));
    const t = config.translate;
    const y0 = uniform(rng, -t, 1 - ch + t);
    const x0 = uniform(rng, -t, 1 - cw + t);
    boxes.push(y0, x0, y0 + ch, x0 + cw);
    factors[0]!.push(uniform(rng, 1 - config.brightness, 1 + config.brightness));
    factors[1]!.push(uniform(rng, 1 - config.contrast, 1 + config.contrast));
    factors[2]!.push(uniform(rng, 1 - config.saturation, 1 + config.saturation));
    // Drawn only when enabled, so configs without flips keep their random stream.
    flips.push(config.flip > 0 && rng.next() < config.flip ? 1 : 0);
  }
  return tf.tidy(() => {
    const boxT = tf.tensor2d(boxes, [b, 4]);
    const idx = tf.range(0, b, 1, 'int32') as tf.Tensor1D;
    // Box corners map to the first and last pixel centres, so [0, 0, 1, 1] is the identity.
    let x: tf.Tensor = tf.image.cropAndResize(images, boxT, idx, [h, w], 'bilinear', config.fill); // [B, H, W, 3]
    const per = (v: number[]) => tf.tensor4d(v, [b, 1, 1, 1]);
    x = tf.mul(x, per(factors[0]!));
    const mean = tf.mean(x, [1, 2, 3], true);
    x = tf.add(mean, tf.mul(tf.sub(x, mean), per(factors[1]!)));
    const grey = tf.mean(x, 3, true);
    x = tf.add(grey, tf.mul(tf.sub(x, grey), per(factors[2]!)));
    if (flips.some((f) => f === 1)) {
      const mirrored = tf.image.flipLeftRight(x as tf.Tensor4D);
      x = tf.where(tf.cast(tf.broadcastTo(per(flips), x.shape), 'bool'), mirrored, x);
    }
    return tf.clipByValue(x, 0, 1) as tf.Tensor4D;
  });
}
