import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

export interface AttentionConfig {
  dim: number;
  heads: number;
  /** Width of the attended sequence for cross-attention; defaults to dim (self-attention). */
  contextDim?: number;
  /** Std of the output projection init; GPT-2 scales it down with depth. */
  outStd?: number;
}

/** Large negative instead of -Infinity so a fully masked row gives a uniform softmax, not NaN. */
export const MASKED = -1e9;

/** Additive bias [B, 1, 1, T] that hides padding: mask is [B, T] with 1 for real tokens, 0 for padding. */
export function keyPaddingBias(mask: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => tf.reshape(tf.mul(tf.sub(1, tf.cast(mask, 'float32')), MASKED), [mask.shape[0], 1, 1, mask.shape[1]]));
}

/** Additive bias [1, 1, T, T] that hides future positions (decoder-style attention). */
export function causalBias(t: number): tf.Tensor4D {
  return tf.tidy(() => {
    const lower = tf.linalg.bandPart(tf.ones([t, t]), -1, 0);
    return tf.reshape(tf.mul(tf.sub(1, lower), MASKED), [1, 1, t, t]);
  });
}

/**
 * Multi-head scaled dot-product attention (Vaswani et al. 2017). Self-attention when no
 * context is given (one fused qkv projection), cross-attention otherwise.
 */
export class MultiHeadAttention extends Module {
  readonly headDim: number;
  private readonly qkv: Linear | undefined;
  private readonly q: Linear | undefined;
  private readonly kv: Linear | undefined;
  readonly out: Linear;

  constructor(readonly config: AttentionConfig, rng: Rng) {
    super();
    const { dim, heads } = config;
    if (!Number.isInteger(heads) || heads <= 0 || dim % heads !== 0) {
      throw new Error(`MultiHeadAttention: dim (${dim}) must be divisible by heads (${heads})`);
    }
    this.headDim = dim / heads;
    if (config.contextDim === undefined) {
      this.qkv = this.child('qkv', new Linear({ inFeatures: dim, outFeatures: 3 * dim }, rng));
    } else {
      this.q = this.child('q', new Linear({ inFeatures: dim, outFeatures: dim }, rng));
      this.kv = this.child('kv', new Linear({ inFeatures: config.contextDim, outFeatures: 2 * dim }, rng));
    }
    this.out = this.child('out', new Linear({ inFeatures: dim, outFeatures: dim, ...(config.outStd === undefined ? {} : { initStd: config.outStd }) }, rng));
  }

  /** [B, T, D] -> [B, H, T, Dh] */
  private splitHeads(x: tf.Tensor): tf.Tensor {
    const [b, t] = x.shape as [number, number, number];
    return tf.transpose(tf.reshape(x, [b, t, this.config.heads, this.headDim]), [0, 2, 1, 3]);
  }

  /**
   * x: [B, Tq, D]; context: [B, Tk, contextDim] for cross-attention; bias: additive, broadcastable
   * to [B, H, Tq, Tk] (see keyPaddingBias, causalBias). Returns [B, Tq, D].
   */
  apply(x: tf.Tensor3D, options: { context?: tf.Tensor3D; bias?: tf.Tensor } = {}): tf.Tensor3D {
    const { dim } = this.config;
    if (x.rank !== 3 || x.shape[2] !== dim) {
      throw new Error(`MultiHeadAttention: x must be [B, T, ${dim}], got [${x.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const [b, tq] = x.shape;
      let q: tf.Tensor, k: tf.Tensor, v: tf.Tensor;
      if (this.qkv) {
        if (options.context) throw new Error('MultiHeadAttention: built for self-attention (no contextDim) but given a context');
        [q, k, v] = tf.split(this.qkv.apply(x), 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor]; // 3 x [B, T, D]
      } else {
        const context = options.context;
        if (!context) throw new Error('MultiHeadAttention: built for cross-attention (contextDim set) but no context given');
        if (context.shape[0] !== b) throw new Error(`MultiHeadAttention: context batch ${context.shape[0]} != x batch ${b}`);
        q = this.q!.apply(x);
        [k, v] = tf.split(this.kv!.apply(context), 2, -1) as [tf.Tensor, tf.Tensor];
      }
      const qh = tf.mul(this.splitHeads(q), 1 / Math.sqrt(this.headDim)); // [B, H, Tq, Dh]
      const kh = this.splitHeads(k); // [B, H, Tk, Dh]
      const vh = this.splitHeads(v); // [B, H, Tk, Dh]
      let scores = tf.matMul(qh, kh, false, true); // [B, H, Tq, Tk]
      if (options.bias) scores = tf.add(scores, options.bias);
      const attn = tf.softmax(scores, -1); // [B, H, Tq, Tk]
      const ctx = tf.matMul(attn, vh); // [B, H, Tq, Dh]
      const merged = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [b, tq, dim]); // [B, Tq, D]
      return this.out.apply(merged) as tf.Tensor3D;
    });
  }
}
