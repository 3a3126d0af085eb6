import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';
import type { ActivationKind } from './activations.js';
import { MultiHeadAttention } from './attention.js';
import { LayerNorm } from './layer-norm.js';
import { Mlp } from './mlp.js';
import { Module } from './module.js';

export interface TransformerBlockConfig {
  dim: number;
  heads: number;
  /** Hidden width of the MLP as a multiple of dim; 4 as in ViT and GPT-2. */
  mlpRatio: number;
  activation: ActivationKind;
  /** Total number of blocks in the stack, to scale residual-branch init by 1/sqrt(2 * depth) (GPT-2). */
  depth: number;
}

/** Pre-LN transformer block: x + attn(ln(x)), then x + mlp(ln(x)) (Xiong et al. 2020). */
export class TransformerBlock extends Module {
  readonly ln1: LayerNorm;
  readonly attn: MultiHeadAttention;
  readonly ln2: LayerNorm;
  readonly mlp: Mlp;

  constructor(readonly config: TransformerBlockConfig, rng: Rng) {
    super();
    const { dim, heads, mlpRatio, activation, depth } = config;
    const residualStd = 1 / Math.sqrt(dim) / Math.sqrt(2 * depth);
    this.ln1 = this.child('ln1', new LayerNorm(dim));
    this.attn = this.child('attn', new MultiHeadAttention({ dim, heads, outStd: residualStd }, rng));
    this.ln2 = this.child('ln2', new LayerNorm(dim));
    this.mlp = this.child('mlp', new Mlp(dim, Math.round(dim * mlpRatio), activation, rng, residualStd));
  }

  /** x: [B, T, D]; bias: additive attention bias (padding and/or causal). */
  apply(x: tf.Tensor3D, bias?: tf.Tensor): tf.Tensor3D {
    return tf.tidy(() => {
      const h = tf.add(x, this.attn.apply(this.ln1.apply(x) as tf.Tensor3D, bias ? { bias } : {})) as tf.Tensor3D;
      return tf.add(h, this.mlp.apply(this.ln2.apply(h))) as tf.Tensor3D;
    });
  }
}
