import type { DualEncoder } from '@modalab/core';
import * as tf from '@tensorflow/tfjs-core';

/** The tokenizer surface the runner needs (the data package's BpeTokenizer has it). */
export interface TextTokenizer {
  encodeBatch(texts: string[], contextLength: number): { ids: Int32Array; lengths: Int32Array };
}

/** Token ids and a 1/0 mask of real tokens, as the text tower expects. */
export function textBatch(tokenizer: TextTokenizer, texts: string[], contextLength: number): { ids: tf.Tensor2D; mask: tf.Tensor2D } {
  const { ids, lengths } = tokenizer.encodeBatch(texts, contextLength);
  const mask = new Float32Array(texts.length * contextLength);
  texts.forEach((_, b) => mask.fill(1, b * contextLength, b * contextLength + lengths[b]!));
  return {
    ids: tf.tensor2d(ids, [texts.length, contextLength], 'int32'),
    mask: tf.tensor2d(mask, [texts.length, contextLength]),
  };
}

/** Rows `indices` of an NHWC pixel array [N, S, S, 3] as one [B, S, S, 3] tensor. */
export function imageBatch(pixels: Float32Array, size: number, indices: readonly number[]): tf.Tensor4D {
  const per = size * size * 3;
  const out = new Float32Array(indices.length * per);
  indices.forEach((row, i) => out.set(pixels.subarray(row * per, (row + 1) * per), i * per));
  return tf.tensor4d(out, [indices.length, size, size, 3]);
}

/** L2-normalised image embeddings [N, E], computed in batches. */
export function embedImages(model: DualEncoder, pixels: Float32Array, size: number, indices: readonly number[], batchSize: number): tf.Tensor2D {
  const parts: tf.Tensor2D[] = [];
  for (let i = 0; i < indices.length; i += batchSize) {
    const batch = imageBatch(pixels, size, indices.slice(i, i + batchSize));
    parts.push(model.encode('image', batch));
    batch.dispose();
  }
  return concatAndDispose(parts);
}

/** L2-normalised text embeddings [N, E], computed in batches. */
export function embedTexts(model: DualEncoder, tokenizer: TextTokenizer, texts: readonly string[], contextLength: number, batchSize: number): tf.Tensor2D {
  const parts: tf.Tensor2D[] = [];
  for (let i = 0; i < texts.length; i += batchSize) {
    const batch = textBatch(tokenizer, texts.slice(i, i + batchSize), contextLength);
    parts.push(model.encode('text', batch));
    tf.dispose([batch.ids, batch.mask]);
  }
  return concatAndDispose(parts);
}

function concatAndDispose(parts: tf.Tensor2D[]): tf.Tensor2D {
  if (parts.length === 0) throw new Error('Nothing to embed: the item list is empty');
  const out = parts.length === 1 ? parts[0]! : (tf.concat(parts, 0) as tf.Tensor2D);
  if (parts.length > 1) tf.dispose(parts);
  return out;
}
