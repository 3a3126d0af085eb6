import { AstConfigSchema, TextTransformerConfigSchema, VitConfigSchema } from '@modalab/core';
import { ImageAugmentSchema } from '@modalab/data';
import { z } from 'zod';
import { optimisationFields } from './train-schema.js';

// Sizes that follow from other sections are omitted from the towers: the text tower's vocabSize
// and contextLength come from the tokenizer, the audio tower's front end and maxFrames from the
// audio section (its log-mel is computed once per clip, outside the model).
const TextTowerSchema = z.object(TextTransformerConfigSchema.innerType().innerType().shape).omit({ vocabSize: true, contextLength: true }).strict();
const AudioTowerSchema = z
  .object(AstConfigSchema.innerType().innerType().innerType().shape)
  .omit({ frontEnd: true, maxFrames: true })
  .strict();

const AudioAugmentSchema = z
  .object({
    gainDb: z.tuple([z.number(), z.number()]).default([-6, 6]).describe('random gain in dB; exact on the log-mel (an added constant, floored as the front end floors)'),
    timeShift: z.number().min(0).max(1).default(0.1).describe('the clip starts up to this fraction of the window later, silence before it (randomTimeShift at hop resolution)'),
    specAugment: z
      .object({
        timeMasks: z.number().int().nonnegative().default(2),
        maxTimeWidth: z.number().int().nonnegative().default(10).describe('frames (10 ms each): a syllable or so'),
        freqMasks: z.number().int().nonnegative().default(2),
        maxFreqWidth: z.number().int().nonnegative().default(6).describe('mel bins'),
      })
      .strict()
      .default({})
      .describe('SpecAugment masks (Park et al. 2019) on the normalised log-mel'),
  })
  .strict();

export const EmojiBindConfigSchema = z
  .object({
    description: z.string().default(''),
    seed: z.number().int().nonnegative().default(0).describe('seeds weights, data order, augmentation and the held-out split'),
    data: z
      .object({
        style: z.enum(['google', 'twitter']).default('google').describe('the drawing style of the images'),
        imageSize: z.number().int().positive().default(32),
        heldOutFraction: z.number().gt(0).lt(1).default(0.15).describe('concepts never seen in training, in any modality'),
        concepts: z.number().int().min(8).optional().describe('a seeded subset of the emoji (tests and smoke runs): only their clips are synthesised'),
        captions: z.enum(['name', 'name+tags']).default('name+tags').describe("image-text training text: the name, or the name followed by 0-2 random tags (as clip-emoji; tags kept it from memorising names). With 'disjoint' pairing a clip's text is the name it speaks"),
        pairing: z
          .enum(['shared', 'disjoint'])
          .default('disjoint')
          .describe("'disjoint' (ImageBind): the image-text and audio-text pairs of a step come from two independent draws of concepts, so no image and clip are ever in one item; 'shared': one draw gives each item all three"),
        augment: z.union([ImageAugmentSchema, z.literal(false)]).default({}).describe('random resized crop + colour jitter on training images, as clip-emoji; false turns it off'),
        audioAugment: z.union([AudioAugmentSchema, z.literal(false)]).default({}).describe('gain, time shift and SpecAugment on training clips; false turns it off'),
      })
      .strict(),
    audio: z
      .object({
        sampleRate: z.number().int().min(4000).max(48_000).default(16_000).describe('16 kHz as AST; espeak-ng output (22,050 Hz) is resampled by the loader'),
        seconds: z.number().positive().default(2.5).describe('every clip is padded or cut to this window; the longest emoji names take about 3 s'),
        nMels: z.number().int().positive().default(64),
        nFft: z.number().int().min(2).default(400).describe('25 ms at 16 kHz'),
        hopLength: z.number().int().positive().default(160).describe('10 ms at 16 kHz'),
      })
      .strict(),
    tokenizer: z
      .object({
        vocabSize: z.number().int().min(260).default(1000).describe('BPE trained on the training captions: 256 bytes + specials + merges'),
        contextLength: z.number().int().min(3).default(16),
      })
      .strict(),
    model: z
      .object({
        embedDim: z.number().int().positive().default(64),
        image: z.object(VitConfigSchema.innerType().innerType().shape).strict(),
        text: TextTowerSchema,
        audio: AudioTowerSchema,
        logitScaleInit: z.number().positive().default(1 / 0.07).describe('CLIP init; one temperature shared by both trained pairs'),
        learnTemperature: z.boolean().default(true),
      })
      .strict(),
    train: z
      .object({
        ...optimisationFields(),
        batchSize: z.number().int().min(2).describe('concepts per pair per step; InfoNCE needs negatives: at least 2'),
        probeEvery: z.number().int().positive().default(50).describe('geometry and audio->image recall of a fixed probe set of training concepts every this many steps'),
        probeSize: z.number().int().min(2).default(256).describe('training concepts in the probe set'),
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
  .refine((c) => c.model.image.imageSize === c.data.imageSize, { message: 'model.image.imageSize must equal data.imageSize', path: ['model', 'image', 'imageSize'] })
  .refine((c) => c.audio.nMels % c.model.audio.patchMel === 0, { message: 'audio.nMels must be a multiple of model.audio.patchMel', path: ['model', 'audio', 'patchMel'] })
  .refine((c) => c.model.audio.width % c.model.audio.heads === 0, { message: 'width must be divisible by heads', path: ['model', 'audio', 'heads'] });

export type EmojiBindConfig = z.infer<typeof EmojiBindConfigSchema>;
export type EmojiBindConfigInput = z.input<typeof EmojiBindConfigSchema>;
