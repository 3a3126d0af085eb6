import { createContrastiveLoss, DualEncoder, Rng, TextTransformer, TextTransformerConfigSchema, VisionTransformer, VitConfigSchema } from '@modalab/core';
import type { ClipEmojiConfig } from './clip-emoji-config.js';

/** Builds the dual encoder of a config; weights are a pure function of the seed. */
export function buildDualEncoder(config: ClipEmojiConfig, vocabSize: number): DualEncoder {
  const rng = new Rng(config.seed);
  const image = new VisionTransformer(VitConfigSchema.parse(config.model.image), rng.fork());
  const text = new TextTransformer(
    TextTransformerConfigSchema.parse({ ...config.model.text, vocabSize, contextLength: config.tokenizer.contextLength }),
    rng.fork(),
  );
  return new DualEncoder(
    {
      encoders: { image, text },
      embedDim: config.model.embedDim,
      loss: createContrastiveLoss({
        kind: config.model.loss,
        logitScale: { init: config.model.logitScaleInit, learnable: config.model.learnTemperature },
        uniformityWeight: config.model.uniformityWeight,
      }),
    },
    rng.fork(),
  );
}
