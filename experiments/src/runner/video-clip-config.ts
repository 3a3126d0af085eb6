import { TemporalConfigSchema, TextTransformerConfigSchema, VitConfigSchema } from '@modalab/core';
import { z } from 'zod';
import { optimisationFields } from './train-schema.js';

// The text tower's vocabSize and contextLength come from the tokenizer section.
const TextTowerSchema = z.object(TextTransformerConfigSchema.innerType().innerType().shape).omit({ vocabSize: true, contextLength: true }).strict();

// Only a ViT per frame: the convnet's global average pool discards where the sprite is, and
// where it is, frame after frame, is what "moves left" means. imageSize must equal data.frameSize.
const FrameTowerSchema = z.object(VitConfigSchema.innerType().innerType().shape).strict();

export const VideoClipConfigSchema = z
  .object({
    description: z.string().default(''),
    seed: z.number().int().nonnegative().default(0).describe('seeds weights, batch order, the chosen emoji and their held-out split'),
    data: z
      .object({
        frames: z.number().int().min(8).max(16).default(8).describe('frames per clip (the dataset renders 8-16); 8 show the direction at the lowest cost'),
        frameSize: z.number().int().min(8).max(128).default(32).describe('square frame side in pixels'),
        spriteSize: z.number().int().min(4).max(128).default(16).describe('half the frame: room to travel a sprite width either way'),
        style: z.enum(['google', 'twitter']).default('google'),
        concepts: z.number().int().min(2).default(125).describe('emoji drawn (seeded); 125 x 4 pairs = 1,000 clips, 98 MB of frames at 8 x 32 px'),
        pairsPerConcept: z
          .number()
          .int()
          .min(1)
          .max(4)
          .default(4)
          .describe('time-reversed motion pairs per emoji (left/right, up/down, turns, grow/shrink); all 4 make motion, not the emoji, what tells captions apart'),
        heldOutFraction: z.number().gt(0).lt(1).default(0.15).describe('emoji never seen in training: their clips are the test split'),
        normalize: z
          .boolean()
          .default(true)
          .describe('standardise each channel by the training frames\' mean and std: a frame is ~95% white, and on raw pixels the clips\' frame features barely differ and InfoNCE stalls at ln(batch)'),
      })
      .strict()
      .refine((d) => d.spriteSize <= d.frameSize, { message: 'data.spriteSize must be at most data.frameSize', path: ['spriteSize'] }),
    tokenizer: z
      .object({
        vocabSize: z.number().int().min(260).default(1000).describe('BPE trained on the training captions: 256 bytes + specials + merges'),
        contextLength: z.number().int().min(3).default(32).describe('long enough for "a smiling face with open mouth turns anticlockwise": a cut caption loses its verb'),
      })
      .strict(),
    model: z
      .object({
        embedDim: z.number().int().positive().default(64),
        frame: FrameTowerSchema.describe('the per-frame image encoder, shared across frames'),
        temporal: TemporalConfigSchema.default({ kind: 'transformer' }).describe("mean (order-blind), transformer or perceiver; give only kind to let a sweep switch it"),
        text: TextTowerSchema,
        logitScaleInit: z.number().positive().default(1 / 0.07).describe('CLIP init'),
        learnTemperature: z.boolean().default(true),
      })
      .strict(),
    train: z
      .object({
        ...optimisationFields(),
        batchSize: z.number().int().min(2).describe('clips per step; InfoNCE needs negatives'),
        pairedBatches: z
          .boolean()
          .default(true)
          .describe('a batch is whole reversed pairs, so each clip meets its time-reversed twin as a negative: the signal that makes order matter'),
        probeEvery: z.number().int().positive().default(50).describe('geometry and reversed-pair accuracy of a fixed batch of training clips'),
        probeSize: z.number().int().min(2).default(64).describe('training clips in the probe batch (whole pairs)'),
      })
      .strict(),
    eval: z
      .object({
        ks: z.array(z.number().int().positive()).nonempty().default([1, 5, 10]),
        batchSize: z.number().int().positive().default(64).describe('clips per forward pass (x frames images)'),
        examples: z.number().int().nonnegative().default(12).describe('held-out clips shown with their top texts'),
      })
      .strict(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.model.frame.imageSize !== c.data.frameSize) {
      ctx.addIssue({ code: 'custom', path: ['model', 'frame', 'imageSize'], message: `model.frame.imageSize ${c.model.frame.imageSize} must equal data.frameSize ${c.data.frameSize}` });
    }
    const t = c.model.temporal;
    if (t.kind !== 'mean' && c.model.frame.width % t.heads !== 0) {
      ctx.addIssue({ code: 'custom', path: ['model', 'temporal', 'heads'], message: `model.temporal.heads ${t.heads} must divide the frame feature width model.frame.width ${c.model.frame.width}` });
    }
    if (c.train.pairedBatches && c.train.batchSize % 2 !== 0) {
      ctx.addIssue({ code: 'custom', path: ['train', 'batchSize'], message: `train.batchSize ${c.train.batchSize} must be even with train.pairedBatches (whole reversed pairs)` });
    }
    if (c.train.probeSize % 2 !== 0) {
      ctx.addIssue({ code: 'custom', path: ['train', 'probeSize'], message: `train.probeSize ${c.train.probeSize} must be even (whole reversed pairs)` });
    }
  });

export type VideoClipConfig = z.infer<typeof VideoClipConfigSchema>;
export type VideoClipConfigInput = z.input<typeof VideoClipConfigSchema>;
