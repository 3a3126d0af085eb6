import type { VqaFusionConfigInput } from '../src/runner/vqa-fusion-config.js';

/**
 * vqa-fusion: a small VQA classifier on the built-in shapes-vqa scenes: ViT patch tokens and
 * question tokens fused by model.fusion.kind (concat-mlp, cross-attention or perceiver), answer
 * classification over the 16 answers. Evaluated per question type against question-only
 * baselines on test (seen colour-shape pairs) and heldOut (unseen pairs).
 */
export const vqaFusion: VqaFusionConfigInput = {
  description: 'VQA on shapes-vqa: ViT tokens + question tokens, fusion by model.fusion.kind (cross-attention by default); accuracy per question type vs question-only baselines on test and held-out colour-shape pairs. Sized for about 5 min on a 2-core CPU (a target: its full-mode time is not yet measured on an idle machine).',
  seed: 0,
  data: { seed: 0, trainScenes: 2000, testScenes: 400, heldOutScenes: 400, questionsPerScene: 4, imageSize: 32 },
  tokenizer: { vocabSize: 400, contextLength: 12 },
  model: {
    image: { kind: 'vit', imageSize: 32, patchSize: 4, width: 64, depth: 2, heads: 4, activation: 'quick-gelu', pool: 'mean' },
    text: { width: 64, depth: 1, heads: 4, activation: 'quick-gelu' },
    fusion: { kind: 'cross-attention', dim: 64, heads: 4, depth: 2, hidden: 128, latents: 8, selfLayers: 1, mlpRatio: 2, activation: 'gelu' },
  },
  train: { steps: 600, batchSize: 32, lr: 2e-3, warmupSteps: 30, weightDecay: 0.05, clipNorm: 1, logEvery: 10, checkpointEvery: 100, probeEvery: 50, probeScenes: 64 },
  eval: { batchSize: 128, resamples: 1000, examples: 8 },
};
