import { z } from 'zod';
import type { Rng } from '../random/rng.js';
import type { Encoder } from './encoder.js';
import { TextTransformer, TextTransformerConfigSchema } from './text-transformer.js';
import { VisionTransformer, VitConfigSchema } from './vit.js';

export const EncoderConfigSchema = z.union([VitConfigSchema, TextTransformerConfigSchema]);
export type EncoderConfig = z.infer<typeof EncoderConfigSchema>;
export type EncoderKind = EncoderConfig['kind'];

type Builder<K extends EncoderKind> = (config: Extract<EncoderConfig, { kind: K }>, rng: Rng) => Encoder<never>;

const ENCODERS = {
  vit: (config, rng) => new VisionTransformer(config, rng),
  'text-transformer': (config, rng) => new TextTransformer(config, rng),
} satisfies { [K in EncoderKind]: Builder<K> };

/** Builds an encoder from its config; an unknown kind lists the registered ones. */
export function createEncoder(config: EncoderConfig, rng: Rng): Encoder<never> {
  const kind = (config as { kind?: unknown }).kind;
  const builder = (ENCODERS as Record<string, Builder<EncoderKind>>)[String(kind)];
  if (!builder) throw new Error(`Unknown encoder '${String(kind)}'. Registered: ${Object.keys(ENCODERS).join(', ')}`);
  return builder(config as never, rng);
}

export const ENCODER_KINDS = Object.keys(ENCODERS) as EncoderKind[];
