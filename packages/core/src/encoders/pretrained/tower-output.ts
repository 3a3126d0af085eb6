import * as tf from '@tensorflow/tfjs-core';

/** How a tower turns its model's output into one vector per item. */
export type TowerPool = 'none' | 'mean';

export interface TowerOptions {
  /** 'mean' averages every axis between batch and features ([B, T, D] or [B, H, W, D] -> [B, D]); 'none' needs a [B, D] output. */
  pool?: TowerPool;
  /**
   * How many final blocks stay trainable (LiT-style, see lockExceptLast); 0, the default,
   * freezes the whole tower, as a pretrained tower usually is.
   */
  unlockedBlocks?: number;
}

/** outputDim from a model's declared output shape; the message says what to do when it cannot be known. */
export function featureDim(who: string, shape: readonly (number | null | undefined)[] | undefined, pool: TowerPool, override: number | undefined): number {
  if (override !== undefined) return override;
  if (shape === undefined || shape.length < 2) {
    throw new Error(`${who}: the model's output shape is ${shape === undefined ? 'unknown' : `[${shape.join(', ')}]`}; pass outputDim`);
  }
  if (shape.length > 2 && pool === 'none') {
    throw new Error(`${who}: the model outputs [${shape.map((d) => d ?? 'null').join(', ')}], not [B, D]; pass pool: 'mean' to average the middle axes`);
  }
  const d = shape[shape.length - 1];
  if (typeof d !== 'number' || d <= 0) throw new Error(`${who}: the model's feature axis is ${String(d)}; pass outputDim`);
  return d;
}

/** Checks a batch against the model's declared input shape (null and -1 match any size). */
export function checkInput(who: string, input: tf.Tensor, shape: readonly (number | null | undefined)[] | undefined): void {
  if (shape === undefined) return;
  const ok = input.rank === shape.length && shape.every((d, i) => d === null || d === undefined || d === -1 || d === input.shape[i]);
  if (!ok) {
    const want = shape.map((d, i) => (i === 0 ? 'B' : d === null || d === undefined || d === -1 ? '*' : d)).join(', ');
    throw new Error(`${who}: expected input [${want}], got [${input.shape.join(', ')}]`);
  }
}

/** [B, ..., D] -> [B, D] (mean over the middle axes when pooling), checking the feature width. */
export function toFeatures(who: string, y: tf.Tensor, pool: TowerPool, outputDim: number): tf.Tensor2D {
  let out = y;
  if (y.rank > 2) {
    if (pool === 'none') throw new Error(`${who}: the model returned [${y.shape.join(', ')}], not [B, D]; pass pool: 'mean'`);
    out = tf.mean(y, Array.from({ length: y.rank - 2 }, (_, i) => i + 1)); // [B, D]
  }
  if (out.rank !== 2 || out.shape[1] !== outputDim) {
    throw new Error(`${who}: expected output [B, ${outputDim}], got [${y.shape.join(', ')}]`);
  }
  return out as tf.Tensor2D;
}
