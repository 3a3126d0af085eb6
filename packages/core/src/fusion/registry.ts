import { z } from 'zod';
import type { Rng } from '../random/rng.js';
import { ConcatMlpConfigSchema, ConcatMlpFusion } from './concat-mlp.js';
import { CrossAttentionFusion, CrossAttentionFusionConfigSchema } from './cross-attention.js';
import { DeepSetConfigSchema, DeepSetFusion } from './deep-set.js';
import type { Fusion } from './fusion.js';
import { GatedCrossAttention, GatedCrossAttentionConfigSchema } from './gated-cross-attention.js';
import { GatedFusion, GatedFusionConfigSchema } from './gated.js';
import { PerceiverResampler, PerceiverResamplerConfigSchema } from './perceiver-resampler.js';

export const FusionConfigSchema = z.union([
  ConcatMlpConfigSchema,
  GatedFusionConfigSchema,
  DeepSetConfigSchema,
  CrossAttentionFusionConfigSchema,
  PerceiverResamplerConfigSchema,
  GatedCrossAttentionConfigSchema,
]);
export type FusionConfig = z.infer<typeof FusionConfigSchema>;
export type FusionKind = FusionConfig['kind'];

type Builder<K extends FusionKind> = (config: Extract<FusionConfig, { kind: K }>, rng: Rng) => Fusion;

const FUSIONS = {
  'concat-mlp': (config, rng) => new ConcatMlpFusion(config, rng),
  gated: (config, rng) => new GatedFusion(config, rng),
  'deep-set': (config, rng) => new DeepSetFusion(config, rng),
  'cross-attention': (config, rng) => new CrossAttentionFusion(config, rng),
  'perceiver-resampler': (config, rng) => new PerceiverResampler(config, rng),
  'gated-cross-attention': (config, rng) => new GatedCrossAttention(config, rng),
} satisfies { [K in FusionKind]: Builder<K> };

/** Builds a fusion module from its (parsed) config; an unknown kind lists the registered ones. */
export function createFusion(config: FusionConfig, rng: Rng): Fusion {
  const kind = (config as { kind?: unknown }).kind;
  const builder = (FUSIONS as Record<string, Builder<FusionKind>>)[String(kind)];
  if (!builder) throw new Error(`Unknown fusion '${String(kind)}'. Registered: ${Object.keys(FUSIONS).join(', ')}`);
  return builder(config as never, rng);
}

export const FUSION_KINDS = Object.keys(FUSIONS) as FusionKind[];
