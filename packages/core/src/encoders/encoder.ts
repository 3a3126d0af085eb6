import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../layers/module.js';

/** Token ids with a 1/0 float mask of real tokens; the tokenizer puts EOT on the last real one. */
export interface TextInput {
  ids: tf.Tensor2D; // [B, T] int32
  mask: tf.Tensor2D; // [B, T] float32
}

export interface ModalityInputs {
  image: tf.Tensor4D; // [B, H, W, C] in [0, 1] or normalised
  text: TextInput;
}
export type Modality = keyof ModalityInputs;

/** A tower that maps one modality's batch to one feature vector per item: [B, outputDim]. */
export interface Encoder<I> extends Module {
  readonly outputDim: number;
  apply(input: I): tf.Tensor2D;
}
