import { z } from 'zod';

/**
 * The optimisation fields every runner's `train` section shares (AdamW with warmup + cosine,
 * global-norm clipping, log and checkpoint intervals); spread into the section, then add or
 * override the experiment's own.
 */
export function optimisationFields(defaults: { weightDecay?: number; checkpointEvery?: number } = {}) {
  return {
    steps: z.number().int().positive(),
    lr: z.number().positive(),
    warmupSteps: z.number().int().nonnegative(),
    weightDecay: z.number().nonnegative().default(defaults.weightDecay ?? 0.1),
    clipNorm: z.number().positive().optional(),
    logEvery: z.number().int().positive().default(10),
    checkpointEvery: z.number().int().positive().default(defaults.checkpointEvery ?? 50),
  };
}
