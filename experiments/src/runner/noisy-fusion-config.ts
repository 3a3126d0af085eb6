import { ActivationSchema } from '@modalab/core';
import { NoisyPairsOptionsSchema } from '@modalab/data';
import { z } from 'zod';
import { optimisationFields } from './train-schema.js';

export const REMEDIES = ['none', 'modality-dropout', 'ogm-ge', 'reweight'] as const;
export type Remedy = (typeof REMEDIES)[number];

// The dataset's own options (packages/data noisy-pairs) without its seed: the run's seed makes the data,
// so a sweep's seeds vary data and initialisation together. Its cross-field checks run again here so a
// bad combination fails at validation with its path, not at load time.
const NoisyPairsShape = NoisyPairsOptionsSchema.innerType().omit({ seed: true }).shape;
const DataSchema = z
  .object(NoisyPairsShape)
  .strict()
  .superRefine((d, ctx) => {
    const checked = NoisyPairsOptionsSchema.safeParse(d);
    if (!checked.success) for (const issue of checked.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  });

const TowerSchema = z
  .object({
    hidden: z.number().int().positive().default(64).describe('width of the hidden layer; 64 reads a 16 px grid of cells'),
    outputDim: z.number().int().positive().default(16).describe('features handed to the fusion'),
    activation: ActivationSchema.default('gelu'),
  })
  .strict();

// Fusion configs without `dims`: those are the towers' outputDim, filled in by the runner.
const FusionSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('concat-mlp'),
      hidden: z.number().int().positive().default(32),
      outputDim: z.number().int().positive().default(32),
      activation: ActivationSchema.default('gelu'),
    })
    .strict(),
  z.object({ kind: z.literal('gated'), outputDim: z.number().int().positive().default(32) }).strict(),
]);

export const NoisyFusionConfigSchema = z
  .object({
    description: z.string().default(''),
    seed: z.number().int().nonnegative().default(0).describe('seeds the dataset, the weights, the batch order and the remedy randomness'),
    data: DataSchema.default({}),
    model: z
      .object({
        // Image: flattened pixels [B, S*S*3]; text: a bag of token counts [B, vocab]. Both are MLPs so that
        // neither tower is handicapped by its architecture: the imbalance comes from the data alone.
        image: TowerSchema.default({}),
        text: TowerSchema.default({}),
        fusion: FusionSchema.default({ kind: 'concat-mlp' }),
      })
      .strict()
      .default({}),
    train: z
      .object({
        ...optimisationFields({ checkpointEvery: 100 }),
        batchSize: z.number().int().positive(),
        warmupSteps: z.number().int().nonnegative().default(0),
        weightDecay: z.number().nonnegative().default(0).describe('0: a decayed, unused tower would look collapsed for the wrong reason'),
        remedy: z.enum(REMEDIES).default('none').describe('what fights modality collapse; see the report for each one\'s paper'),
        dropout: z
          .object({
            // 0.3 each, as ModDrop drops every modality alike (no oracle of which one dominates). Measured on the
            // shipped setting: image 0.5 / text 0 cost 3 points of fused accuracy for the same text-alone accuracy.
            image: z.number().min(0).max(1).default(0.3).describe('drop probability of the image features per sample'),
            text: z.number().min(0).max(1).default(0.3).describe('drop probability of the text features per sample'),
          })
          .strict()
          .default({})
          .describe('modality-dropout only (ModDrop, Neverova et al. 2016); each sample keeps at least one modality'),
        ogmGe: z
          .object({
            // Measured on the shipped setting (one seed): alpha 0.1 changes little, 1 costs 13 points of fused accuracy.
            alpha: z.number().nonnegative().default(0.5).describe('modulation strength; 0.1 to 1 in Peng et al. 2022'),
            noise: z.boolean().default(true).describe('the GE part: Gaussian noise with each gradient\'s std'),
          })
          .strict()
          .default({}),
        reweight: z
          .object({
            weight: z.number().nonnegative().default(1).describe('weight of each modality\'s auxiliary unimodal loss beside the fused loss'),
            balance: z.boolean().default(true).describe('scale each auxiliary weight by its unimodal loss over the mean unimodal loss (no gradient): the lagging modality weighs more'),
          })
          .strict()
          .default({}),
      })
      .strict(),
    eval: z
      .object({
        permutationRepeats: z.number().int().positive().default(5).describe('shuffles averaged per modality for the permutation drop'),
        bootstrapResamples: z.number().int().min(100).default(1000),
        probe: z.boolean().default(true).describe('a linear probe per tower on frozen features: did the tower learn, even if the head ignores it?'),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.train.remedy === 'modality-dropout') {
      const p = c.train.dropout;
      if (p.image === 1 && p.text === 1) ctx.addIssue({ code: 'custom', path: ['train', 'dropout'], message: 'both modalities have drop probability 1; at least one must be below 1' });
    }
    if (c.train.warmupSteps >= c.train.steps) ctx.addIssue({ code: 'custom', path: ['train', 'warmupSteps'], message: `warmupSteps ${c.train.warmupSteps} must be below steps ${c.train.steps}` });
  });

export type NoisyFusionConfig = z.infer<typeof NoisyFusionConfigSchema>;
export type NoisyFusionConfigInput = z.input<typeof NoisyFusionConfigSchema>;
