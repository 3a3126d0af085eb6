import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint, saveCheckpoint } from '../../checkpoint/checkpoint.js';
import { CheckpointError } from '../../checkpoint/format.js';
import { Rng } from '../../random/rng.js';
import type { Encoder } from '../encoder.js';
import { createEncoder, EncoderConfigSchema, type EncoderConfig } from '../registry.js';
import { lockExceptLast } from './lock.js';

/** Marks a checkpoint as a standalone encoder (meta.kind), so a Trainer checkpoint is not mistaken for one. */
export const SAVED_ENCODER_KIND = 'modalab-encoder';

export interface LoadEncoderOptions {
  /** Final blocks left trainable (LiT-style, see lockExceptLast); 0, the default, freezes the tower; 'all' leaves every parameter trainable (resuming training). */
  unlockedBlocks?: number | 'all';
}

/**
 * Saves an encoder as a data-only checkpoint: every parameter by its dotted name, and the
 * registry config in meta so loadEncoder can rebuild it. The config is validated first.
 */
export async function saveEncoder(file: string, encoder: Encoder<never>, config: EncoderConfig): Promise<void> {
  const parsed = EncoderConfigSchema.safeParse(config);
  if (!parsed.success) throw new Error(`saveEncoder(${file}): config is not a registered encoder config: ${parsed.error.message}`);
  const tensors = Object.fromEntries(encoder.namedVariables());
  await saveCheckpoint(file, { tensors, meta: { kind: SAVED_ENCODER_KIND, encoder: parsed.data } });
}

/**
 * Rebuilds an encoder saved by saveEncoder (createEncoder from its config) and assigns its
 * weights. Refuses, naming the file and the parameter, any missing, extra or mis-shaped tensor.
 */
export async function loadEncoder<I = never>(file: string, options: LoadEncoderOptions = {}): Promise<Encoder<I>> {
  const decoded = await loadCheckpoint(file);
  const fail = (reason: string): never => {
    throw new CheckpointError(file, reason);
  };
  if (decoded.meta['kind'] !== SAVED_ENCODER_KIND) fail(`meta.kind is ${JSON.stringify(decoded.meta['kind'])}, expected '${SAVED_ENCODER_KIND}' (save it with saveEncoder)`);
  const parsed = EncoderConfigSchema.safeParse(decoded.meta['encoder']);
  if (!parsed.success) fail(`meta.encoder is not a valid encoder config: ${parsed.error.message}`);
  const encoder = createEncoder(parsed.data!, new Rng(0)); // the initial values are overwritten below
  try {
    const params = encoder.namedVariables();
    for (const [name, v] of params) {
      const t = decoded.tensors[name];
      if (t === undefined) fail(`parameter '${name}' of the ${parsed.data!.kind} encoder is missing`);
      if (t!.shape.join(',') !== v.shape.join(',')) fail(`parameter '${name}' has shape [${t!.shape.join(', ')}] but the ${parsed.data!.kind} encoder expects [${v.shape.join(', ')}]`);
      if (t!.dtype !== v.dtype) fail(`parameter '${name}' has dtype ${t!.dtype} but the encoder expects ${v.dtype}`);
    }
    const extra = Object.keys(decoded.tensors).filter((n) => !params.has(n));
    if (extra.length > 0) fail(`tensors ${extra.map((n) => `'${n}'`).join(', ')} are not parameters of the ${parsed.data!.kind} encoder (a different config?)`);
    for (const [name, v] of params) {
      const t = decoded.tensors[name]!;
      tf.tidy(() => v.assign(tf.tensor(t.values, t.shape, t.dtype)));
    }
    if (options.unlockedBlocks !== 'all') lockExceptLast(encoder, options.unlockedBlocks ?? 0);
    return encoder as Encoder<I>;
  } catch (e) {
    encoder.dispose();
    throw e;
  }
}
