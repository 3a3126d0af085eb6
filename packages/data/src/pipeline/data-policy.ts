import { z } from 'zod';

/**
 * What a run does with a bad item. `strict`: the first one fails the run with its file and reason (for
 * curated data, where a bad item is a bug). `skip`: each bad item is reported once and left out, but the
 * run aborts when the data looks broken rather than merely dirty.
 */
export const DataPolicySchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('strict') }).strict(),
  z
    .object({
      mode: z.literal('skip'),
      maxConsecutiveBad: z
        .number()
        .int()
        .min(0)
        .default(20)
        .describe('abort after more than this many bad items in a row: a moved folder or a dead mount shows up as a run of failures'),
      maxBadFraction: z
        .number()
        .min(0)
        .max(1)
        .default(0.05)
        .describe('abort when more than this fraction of the items seen is bad: 5% is dirty data, more is a broken export'),
      minItemsForFraction: z
        .number()
        .int()
        .min(1)
        .default(100)
        .describe('the fraction is checked once this many items were seen (and always at the end), so 1 bad of the first 3 does not abort'),
    })
    .strict(),
]);
export type DataPolicyInput = z.input<typeof DataPolicySchema>;
export type DataPolicy = z.output<typeof DataPolicySchema>;
