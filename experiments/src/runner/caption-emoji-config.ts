import { CaptionDecoderConfigSchema, VitConfigSchema } from '@modalab/core';
import { ImageAugmentSchema } from '@modalab/data';
import { z } from 'zod';
import { optimisationFields } from './train-schema.js';

// The decoder's vocabSize and contextLength come from the tokenizer section and its contextDim
// from the image tower's width, so they are omitted here.
const DecoderSchema = z
  .object(CaptionDecoderConfigSchema.innerType().shape)
  .omit({ kind: true, vocabSize: true, contextLength: true, contextDim: true })
  .strict()
  .refine((c) => c.width % c.heads === 0, { message: 'width must be divisible by heads', path: ['heads'] });

export const CaptionEmojiConfigSchema = z
  .object({
    description: z.string().default(''),
    seed: z.number().int().nonnegative().default(0).describe('seeds weights, data order, captions drawn, augmentation and the held-out split'),
    data: z
      .object({
        style: z.enum(['google', 'twitter']).default('google').describe('the drawing style trained and evaluated on'),
        imageSize: z.number().int().positive().default(32),
        heldOutFraction: z.number().gt(0).lt(1).default(0.15).describe('concepts never seen in training (~287 of 1,911 at 0.15)'),
        maxConcepts: z.number().int().min(4).optional().describe('subsample concepts (tests and smoke runs)'),
        captions: z
          .enum(['name', 'any', 'mixed'])
          .default('mixed')
          .describe("the target of a training step: the emoji's name; any one of its captions (mostly one-word tags); or the name half of the time, else another caption"),
        pixelMean: z.number().default(0.5).describe('the model sees (x - pixelMean) / pixelStd; augmentation and the pixel-NN baseline see raw [0, 1] pixels'),
        pixelStd: z
          .number()
          .positive()
          .default(0.25)
          .describe('with raw [0, 1] pixels (mostly white) the ViT tokens barely differed between images and the decoder ignored the image'),
        augment: z
          .union([ImageAugmentSchema, z.literal(false)])
          .default({})
          .describe('random resized crop + colour jitter on training images; false turns it off (1,600 images are memorised in a few epochs without it)'),
      })
      .strict(),
    tokenizer: z
      .object({
        vocabSize: z.number().int().min(260).default(1000).describe('BPE trained on the training captions: 256 bytes + specials + merges'),
        contextLength: z.number().int().min(3).default(16).describe('BOS + caption + EOT; the longest emoji name is 11 words'),
      })
      .strict(),
    model: z
      .object({
        image: z.object(VitConfigSchema.innerType().innerType().shape).strict().describe('a ViT whose every token (class token + patches) the decoder attends to'),
        decoder: DecoderSchema,
      })
      .strict(),
    train: z
      .object({
        ...optimisationFields(),
        batchSize: z.number().int().positive(),
        probeEvery: z.number().int().positive().default(50).describe('teacher-forced loss and token accuracy on held-out and training concepts every this many steps'),
        probeSize: z.number().int().min(2).default(128).describe('concepts per probe set (each with all its captions)'),
      })
      .strict(),
    eval: z
      .object({
        beamSize: z.number().int().min(1).default(3).describe('3: beam search gains little over greedy past 3 on short captions'),
        lengthPenalty: z.number().min(0).default(0).describe('beam score log p / length^alpha; 0 ranks by log p, which favours short captions'),
        batchSize: z.number().int().positive().default(128),
        bootstrapResamples: z.number().int().min(100).default(1000).describe('resamples of images for the 95% intervals'),
        examples: z.number().int().min(1).default(12).describe('held-out images shown in the report'),
      })
      .strict(),
  })
  .strict()
  .refine((c) => c.model.image.imageSize === c.data.imageSize, { message: 'model.image.imageSize must equal data.imageSize', path: ['model', 'image', 'imageSize'] });

export type CaptionEmojiConfig = z.infer<typeof CaptionEmojiConfigSchema>;
export type CaptionEmojiConfigInput = z.input<typeof CaptionEmojiConfigSchema>;
