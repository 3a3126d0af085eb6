import { AdamW, DualEncoder, Rng, TextTransformer, TextTransformerConfigSchema, VisionTransformer, VitConfigSchema } from '@modalab/core';
import * as tf from '@tensorflow/tfjs-core';
import type { ClipMiniPlan } from './plan.js';

export interface ClipMiniResult {
  trainSamplesPerSec: number;
  inferSamplesPerSec: number;
  parameters: number;
  /** Median step times in ms, for the log. */
  trainMs: number;
  inferMs: number;
}

/** The clip-mini dual encoder of the plan (tools/reference/clip_mini.py builds the same in torch). */
export function buildClipMini(plan: ClipMiniPlan, seed = 0): DualEncoder {
  const rng = new Rng(seed);
  const { image: im, text: tx } = plan;
  const image = new VisionTransformer(
    VitConfigSchema.parse({ kind: 'vit', imageSize: im.size, patchSize: im.patch, width: im.width, depth: im.depth, heads: im.heads, mlpRatio: plan.mlpRatio, activation: 'gelu-tanh', pool: 'cls' }),
    rng.fork(),
  );
  const text = new TextTransformer(
    TextTransformerConfigSchema.parse({
      kind: 'text-transformer', vocabSize: tx.vocab, contextLength: tx.context, width: tx.width, depth: tx.depth, heads: tx.heads,
      mlpRatio: plan.mlpRatio, activation: 'gelu-tanh', causal: true, pool: 'eot',
    }),
    rng.fork(),
  );
  // The default loss is symmetric InfoNCE with a learnable, clamped logit scale (init 1/0.07).
  return new DualEncoder({ encoders: { image, text }, embedDim: plan.embedDim }, rng.fork());
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median ms of `fn` over `steps` calls after `warmup` untimed ones. */
export async function medianMs(fn: () => Promise<void>, warmup: number, steps: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return median(times);
}

export interface ClipMiniSteps {
  /** One AdamW step on the InfoNCE loss plus the scale clamp; reads the loss back. */
  train(): Promise<void>;
  /** Both towers' embeddings of the batch, read back. */
  infer(): Promise<void>;
  parameters: number;
  dispose(): void;
}

/** clip-mini with its optimizer and one random batch (speed does not depend on content). */
export function clipMiniSteps(plan: ClipMiniPlan): ClipMiniSteps {
  const model = buildClipMini(plan);
  const opt = new AdamW(model.namedVariables(), { weightDecay: plan.weightDecay });
  const rng = new Rng(1);
  const { batch: b, image: im, text: tx } = plan;
  const image = tf.tensor4d(Float32Array.from({ length: b * im.size * im.size * 3 }, () => rng.next()), [b, im.size, im.size, 3]);
  const ids = tf.tensor2d(Int32Array.from({ length: b * tx.context }, () => 1 + rng.int(tx.vocab - 1)), [b, tx.context], 'int32');
  const mask = tf.ones([b, tx.context]) as tf.Tensor2D;
  const batch = { image, text: { ids, mask } };
  return {
    async train() {
      const { loss, gradNorm } = opt.step(() => model.loss(batch).loss, plan.lr);
      model.afterStep();
      await loss.data();
      tf.dispose([loss, gradNorm]);
    },
    async infer() {
      const [a, t] = [model.encode('image', image), model.encode('text', batch.text)];
      await Promise.all([a.data(), t.data()]);
      tf.dispose([a, t]);
    },
    parameters: model.parameterCount(),
    dispose() {
      tf.dispose([image, ids, mask]);
      model.dispose();
      opt.dispose();
    },
  };
}

/** Training and inference throughput of clip-mini: the batch over the median step time. */
export async function clipMiniThroughput(plan: ClipMiniPlan): Promise<ClipMiniResult> {
  const steps = clipMiniSteps(plan);
  try {
    const trainMs = await medianMs(() => steps.train(), plan.warmup, plan.steps);
    const inferMs = await medianMs(() => steps.infer(), plan.warmup, plan.steps);
    return { trainSamplesPerSec: (1000 * plan.batch) / trainMs, inferSamplesPerSec: (1000 * plan.batch) / inferMs, parameters: steps.parameters, trainMs, inferMs };
  } finally {
    steps.dispose();
  }
}
