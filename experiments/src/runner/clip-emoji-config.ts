import { TextTransformerConfigSchema, VitConfigSchema } from '@modalab/core';
import { DataPolicySchema, ImageAugmentSchema, TIKTOKEN_ENCODINGS } from '@modalab/data';
import { z } from 'zod';
import { optimisationFields } from './train-schema.js';

// The text tower's vocabSize and contextLength come from the tokenizer section, so they are
// omitted here; the vit's imageSize must equal data.imageSize (checked below).
const TextTowerSchema = z.object(TextTransformerConfigSchema.innerType().innerType().shape).omit({ vocabSize: true, contextLength: true }).strict();

export const ClipEmojiConfigSchema = z
  .object({
    description: z.string().default(''),
    seed: z.number().int().nonnegative().default(0).describe('seeds weights, data order and the held-out split'),
    data: z
      .object({
        dataset: z.string().min(1).default('emoji').describe("'emoji' (built in), or the path of your JSONL/CSV manifest or images/+captions/ folder"),
        policy: DataPolicySchema.default({ mode: 'skip' }).describe('bad items of your dataset: strict fails on the first; skip reports each in data-report.json and aborts past the limits'),
        trainStyle: z.enum(['google', 'twitter']).default('google'),
        otherStyle: z.enum(['google', 'twitter']).default('twitter').describe('never trained on: the cross-style test'),
        imageSize: z.number().int().positive().default(32),
        heldOutFraction: z.number().gt(0).lt(1).default(0.15).describe('concepts never seen in training'),
        maxConcepts: z.number().int().positive().optional().describe('subsample concepts (tests and smoke runs)'),
        captions: z
          .enum(['name', 'any', 'name+tags'])
          .optional()
          .describe("training text: the name (first caption); any one caption; or the name followed by 0-2 random other captions. Default: name+tags for emoji, any for your data"),
        augment: z
          .union([ImageAugmentSchema, z.literal(false)])
          .default({})
          .describe('random resized crop + colour jitter on training images; false turns it off. 1,600 images are memorised in a few epochs without it'),
      })
      .strict()
      .refine((d) => d.trainStyle !== d.otherStyle, { message: 'otherStyle must differ from trainStyle', path: ['otherStyle'] }),
    tokenizer: z
      .object({
        kind: z.enum(['bpe', ...TIKTOKEN_ENCODINGS]).default('bpe').describe('bpe: trained on the training captions; or a pretrained tiktoken vocabulary shipped in js-tiktoken (large embedding tables: cl100k has 100k tokens)'),
        vocabSize: z.number().int().min(260).default(1000).describe('bpe only: 256 bytes + specials + merges; 1000 covers emoji vocabulary'),
        contextLength: z.number().int().min(3).default(16),
      })
      .strict(),
    model: z
      .object({
        embedDim: z.number().int().positive().default(64),
        image: z.object(VitConfigSchema.innerType().innerType().shape).strict(),
        text: TextTowerSchema,
        logitScaleInit: z.number().positive().default(1 / 0.07).describe('CLIP init'),
        learnTemperature: z.boolean().default(true).describe('false fixes the InfoNCE temperature at 1/logitScaleInit (temperature studies)'),
        loss: z.enum(['infonce', 'siglip', 'infonce+uniformity']).default('infonce').describe('the contrastive objective: CLIP InfoNCE, SigLIP sigmoid, or InfoNCE + uniformity'),
        uniformityWeight: z.number().min(0).default(0.1).describe("weight of the uniformity term for 'infonce+uniformity'"),
      })
      .strict(),
    train: z
      .object({
        ...optimisationFields(),
        batchSize: z.number().int().min(2).describe('InfoNCE needs negatives: at least 2'),
        probeEvery: z.number().int().positive().default(25).describe('geometry of a fixed probe batch (gap, alignment, uniformity, RankMe) every this many steps'),
        probeSize: z.number().int().min(2).default(256).describe('training concepts in the probe batch'),
      })
      .strict(),
    eval: z
      .object({
        ks: z.array(z.number().int().positive()).nonempty().default([1, 5, 10]),
        batchSize: z.number().int().positive().default(256),
      })
      .strict(),
  })
  .strict()
  .refine((c) => c.model.image.imageSize === c.data.imageSize, { message: 'model.image.imageSize must equal data.imageSize', path: ['model', 'image', 'imageSize'] });

export type ClipEmojiConfig = z.infer<typeof ClipEmojiConfigSchema>;
export type ClipEmojiConfigInput = z.input<typeof ClipEmojiConfigSchema>;
