import { ActivationSchema, VitConfigSchema } from '@modalab/core';
import { z } from 'zod';
import { optimisationFields } from './train-schema.js';

export const VQA_FUSION_KINDS = ['concat-mlp', 'cross-attention', 'perceiver'] as const;
export type VqaFusionKind = (typeof VQA_FUSION_KINDS)[number];

/**
 * One flat section for every fusion kind, so a sweep changes `model.fusion.kind` alone and the
 * other kinds' fields stay valid; each field says which kinds read it. The runner maps it onto
 * core's ConcatMlp / CrossAttention / PerceiverResampler configs with the towers' widths as dims.
 */
const FusionSectionSchema = z
  .object({
    kind: z.enum(VQA_FUSION_KINDS).describe('concat-mlp: pooled image and question vectors; cross-attention: question tokens attend to image patches; perceiver: learned latents attend to both token sets'),
    dim: z.number().int().positive().default(64).describe('width of the fused stream (cross-attention, perceiver); concat-mlp: its output width'),
    heads: z.number().int().positive().default(4).describe('cross-attention, perceiver'),
    depth: z.number().int().positive().default(2).describe('stacked cross-attention blocks, or perceiver cross-attention layers; concat-mlp ignores it. 2 beat 1 for cross-attention at 600 steps (test 57% vs 52%)'),
    hidden: z.number().int().positive().default(128).describe('concat-mlp hidden width (2x the output, LLaVA-style)'),
    latents: z.number().int().positive().default(8).describe('perceiver: learned latent tokens; a handful is enough for a dozen question tokens + 65 patches'),
    selfLayers: z.number().int().nonnegative().default(0).describe('perceiver: latent self-attention blocks after each cross-attention; 0 is the Flamingo resampler, and cheaper'),
    mlpRatio: z.number().positive().default(2).describe('FFN width inside cross-attention / perceiver blocks, as a multiple of dim; 2 keeps them cheap'),
    activation: ActivationSchema.default('gelu'),
  })
  .strict()
  .refine((f) => f.kind === 'concat-mlp' || f.dim % f.heads === 0, { message: 'dim must be divisible by heads', path: ['heads'] });

/** The question tower: a bidirectional transformer over question tokens (vocabSize and contextLength come from the tokenizer section). */
const QuestionTowerSchema = z
  .object({
    width: z.number().int().positive(),
    depth: z.number().int().positive(),
    heads: z.number().int().positive(),
    mlpRatio: z.number().positive().default(4),
    activation: ActivationSchema.default('quick-gelu').describe('quick-gelu is the cheap GELU on wasm'),
  })
  .strict()
  .refine((t) => t.width % t.heads === 0, { message: 'width must be divisible by heads', path: ['heads'] });

export const VqaFusionConfigSchema = z
  .object({
    description: z.string().default(''),
    seed: z.number().int().nonnegative().default(0).describe('seeds weights and batch order; the dataset has its own data.seed so every model seed sees the same questions'),
    data: z
      .object({
        seed: z.number().int().default(0).describe('scene and question generation; fixed across model seeds so sweeps compare on identical test sets'),
        trainScenes: z.number().int().positive().default(2000),
        testScenes: z.number().int().positive().default(400).describe('same colour-shape pairs as train'),
        heldOutScenes: z.number().int().positive().default(400).describe('each scene holds a colour-shape pair never seen in training'),
        questionsPerScene: z.number().int().min(1).max(20).default(4),
        imageSize: z.number().int().min(16).max(256).default(32),
      })
      .strict(),
    tokenizer: z
      .object({
        vocabSize: z.number().int().min(260).default(400).describe('byte-level BPE trained on the training questions: at 400 every question word is one token (the merges stop at ~335); 300 splits words and doubles question length'),
        contextLength: z.number().int().min(3).default(12).describe('the longest question is 9 tokens with BOS and EOT'),
      })
      .strict(),
    model: z
      .object({
        image: z.object(VitConfigSchema.innerType().innerType().shape).strict().describe('its pool (cls or mean) is the pooled vector concat-mlp uses'),
        text: QuestionTowerSchema,
        fusion: FusionSectionSchema,
      })
      .strict(),
    train: z
      .object({
        ...optimisationFields({ weightDecay: 0.05, checkpointEvery: 100 }),
        batchSize: z.number().int().min(1).describe('scenes per step; each brings all its questions, so the image tower runs once per scene'),
        probeEvery: z.number().int().positive().default(50).describe('accuracy on a fixed sample of test and heldOut questions every this many steps'),
        probeScenes: z.number().int().positive().default(64).describe('scenes per split in the probe'),
      })
      .strict(),
    eval: z
      .object({
        batchSize: z.number().int().positive().default(128).describe('scenes per forward pass'),
        resamples: z.number().int().positive().default(1000).describe('bootstrap resamples of every 95% interval'),
        examples: z.number().int().nonnegative().default(8).describe('example scenes shown in the report, per split'),
      })
      .strict(),
  })
  .strict()
  .refine((c) => c.model.image.imageSize === c.data.imageSize, { message: 'model.image.imageSize must equal data.imageSize', path: ['model', 'image', 'imageSize'] });

export type VqaFusionConfig = z.infer<typeof VqaFusionConfigSchema>;
export type VqaFusionConfigInput = z.input<typeof VqaFusionConfigSchema>;
