import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../layers/module.js';

/** Token ids with a 1/0 float mask of real tokens; the tokenizer puts EOT on the last real one. */
export interface TextInput {
  ids: tf.Tensor2D; // [B, T] int32
  mask: tf.Tensor2D; // [B, T] float32
}

/** A waveform [B, samples] at the front end's sample rate, or a log-mel spectrogram [B, frames, mels]: the rank tells which. */
export type AudioInput = tf.Tensor2D | tf.Tensor3D;

/** Sampled frames [B, T, H, W, C] (see sampleFrames, gatherFrames). */
export type VideoInput = tf.Tensor5D;

export interface ModalityInputs {
  image: tf.Tensor4D; // [B, H, W, C] in [0, 1] or normalised
  text: TextInput;
  // Optional so that image-text batches (DualEncoder.loss) stay valid; make them required once
  // DualEncoder takes Pick<ModalityInputs, 'image' | 'text'>.
  audio?: AudioInput;
  video?: VideoInput;
}
export type Modality = keyof ModalityInputs;

/** A tower that maps one modality's batch to one feature vector per item: [B, outputDim]. */
export interface Encoder<I> extends Module {
  readonly outputDim: number;
  apply(input: I): tf.Tensor2D;
}
