import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { keyPaddingBias } from '../layers/attention.js';
import type { Module } from '../layers/module.js';

/** One tensor per modality: an embedding [B, D_m] or a token sequence [B, T_m, D_m]. */
export type FusionInputs = Readonly<Record<string, tf.Tensor>>;
/** Optional [B, T_m] masks (1 real token, 0 padding) for token-sequence inputs. */
export type FusionMasks = Readonly<Record<string, tf.Tensor>>;

/** A module that merges a record of modalities into one tensor; modalities are walked in sorted key order. */
export interface Fusion extends Module {
  readonly outputDim: number;
  apply(inputs: FusionInputs, masks?: FusionMasks): tf.Tensor;
}

const positiveInt = z.number().int().positive();

/** Feature width per modality, e.g. { image: 64, text: 32 }; the keys are the modalities the module expects. */
export const ModalityDimsSchema = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'a modality name is a letter then letters, digits, _ or - (it becomes part of parameter names)'), positiveInt)
  .refine((d) => Object.keys(d).length > 0, { message: 'dims must name at least one modality' });

/** Sorted keys: the order every fusion walks modalities in, so results never depend on object insertion order. */
export function sortedModalities(dims: Readonly<Record<string, number>>): string[] {
  return Object.keys(dims).sort();
}

export interface ShapeRule {
  /** Accepted ranks: 2 for [B, D_m], 3 for [B, T_m, D_m]. */
  ranks: readonly (2 | 3)[];
}

/**
 * Checks that inputs hold exactly the configured modalities with the configured widths and one
 * batch size, and that each mask is [B, T_m]; returns the batch size. Errors name the modality.
 */
export function checkInputs(
  who: string,
  dims: Readonly<Record<string, number>>,
  inputs: FusionInputs,
  masks: FusionMasks | undefined,
  rule: ShapeRule,
): number {
  const expected = sortedModalities(dims);
  const given = Object.keys(inputs).sort();
  for (const m of expected) {
    if (inputs[m] === undefined) throw new Error(`${who}: missing modality '${m}' (expected: ${expected.join(', ')}; got: ${given.join(', ') || 'none'})`);
  }
  for (const m of given) {
    if (dims[m] === undefined) throw new Error(`${who}: unexpected modality '${m}' (configured: ${expected.join(', ')})`);
  }
  let batch: number | undefined;
  let first = '';
  for (const m of expected) {
    const x = inputs[m]!;
    const d = dims[m]!;
    const want = rule.ranks.map((r) => (r === 2 ? `[B, ${d}]` : `[B, T, ${d}]`)).join(' or ');
    if (!rule.ranks.includes(x.rank as 2 | 3) || x.shape[x.rank - 1] !== d) {
      throw new Error(`${who}: modality '${m}' must be ${want}, got [${x.shape.join(', ')}]`);
    }
    if (batch === undefined) {
      batch = x.shape[0]!;
      first = m;
    } else if (x.shape[0] !== batch) {
      throw new Error(`${who}: modality '${m}' has batch ${x.shape[0]} but '${first}' has ${batch}`);
    }
  }
  for (const [m, mask] of Object.entries(masks ?? {})) {
    const x = inputs[m];
    if (x === undefined) throw new Error(`${who}: mask given for unknown modality '${m}' (inputs: ${given.join(', ')})`);
    const t = x.rank === 3 ? x.shape[1]! : 1;
    if (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== t) {
      throw new Error(`${who}: mask of '${m}' must be [${batch}, ${t}], got [${mask.shape.join(', ')}]`);
    }
  }
  return batch!;
}

/** [B, D] -> [B, 1, D]; sequences pass through, so embeddings and token sequences share one code path. */
export function asSequence(x: tf.Tensor): tf.Tensor3D {
  return (x.rank === 2 ? tf.expandDims(x, 1) : x) as tf.Tensor3D;
}

/** The mask of a modality, or all ones when none was given: [B, T_m]. */
export function maskOf(x: tf.Tensor3D, mask: tf.Tensor | undefined): tf.Tensor2D {
  return (mask === undefined ? tf.ones([x.shape[0], x.shape[1]]) : tf.cast(mask, 'float32')) as tf.Tensor2D;
}

/** Additive attention bias [B, 1, 1, T] from a mask, or undefined when nothing is padded (saves an add). */
export function paddingBias(mask: tf.Tensor | undefined): tf.Tensor4D | undefined {
  return mask === undefined ? undefined : keyPaddingBias(tf.cast(mask, 'float32') as tf.Tensor2D);
}
