import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

export const EMOJI_STYLES = ['google', 'twitter'] as const;
export type EmojiStyle = (typeof EMOJI_STYLES)[number];

export const EmojiOptionsSchema = z
  .object({
    // 32 px: the size the reference CLIP runs train at; the source PNGs are 64 px, so up to 64 is a downscale.
    imageSize: z.number().int().min(1).max(256).default(32),
    // Both styles by default: training on one and testing on the other measures style transfer.
    styles: z
      .array(z.enum(EMOJI_STYLES))
      .min(1)
      .refine((s) => new Set(s).size === s.length, { message: 'styles must not repeat' })
      .default([...EMOJI_STYLES]),
    // 15%: about 280 held-out concepts, enough for a retrieval score whose noise is a few points.
    heldOutFraction: z.number().min(0).lt(1).default(0.15),
    // The split and nothing else depends on it.
    seed: z.number().int().default(0),
    // Default: $MODALAB_CACHE_DIR, else ~/.cache/modalab.
    cacheDir: z.string().min(1).optional(),
  })
  .strict();

export type EmojiOptions = z.input<typeof EmojiOptionsSchema>;
export type EmojiConfig = z.output<typeof EmojiOptionsSchema>;

export function defaultCacheDir(): string {
  const fromEnv = process.env['MODALAB_CACHE_DIR'];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(homedir(), '.cache', 'modalab');
}
