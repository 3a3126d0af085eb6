import { alignment, jointUniformity, uniformity, type UniformityOptions } from './alignment-uniformity.js';
import { coneEffect } from './cone-effect.js';
import { modalityGap } from './modality-gap.js';
import { rankMe } from './rank-me.js';
import { unitRows, type EmbeddingInput } from './sphere.js';

export interface ModalityGeometry {
  n: number;
  dim: number;
  /** Mean pairwise cosine (coneEffect). */
  cone: number;
  /** Wang & Isola uniformity (uniformity). */
  uniformity: number;
  /** Effective rank of the raw embeddings (rankMe). */
  rankMe: number;
}

export interface PairGeometry {
  /** Modality gap ||c_a - c_b|| (modalityGap). */
  gap: number;
  /** Alignment of row-paired embeddings; undefined when the row counts differ (not paired). */
  alignment: number | undefined;
  /** Uniformity of the union of both modalities (jointUniformity). */
  jointUniformity: number;
}

export interface EmbeddingGeometryOutput {
  /** Per modality, keys in sorted order. */
  modalities: Record<string, ModalityGeometry>;
  /** Per unordered pair of modalities, keyed 'a|b' with a < b in sort order. */
  pairs: Record<string, PairGeometry>;
}

export interface EmbeddingGeometryOptions {
  /** Passed to uniformity and jointUniformity (t, sampleSize, seed). */
  uniformity?: UniformityOptions;
  /** Exponent for alignment; default 2. */
  alpha?: number;
}

/**
 * Every geometry diagnostic for a record of embeddings per modality (e.g. { image, text }),
 * walking the keys in sorted order: per modality the cone effect, uniformity and RankMe; per
 * pair the modality gap, alignment (when the rows are paired) and joint uniformity. See each
 * function for its definition and paper.
 */
export function embeddingGeometry(
  embeddings: Readonly<Record<string, EmbeddingInput>>,
  options: EmbeddingGeometryOptions = {},
): EmbeddingGeometryOutput {
  const names = Object.keys(embeddings).sort();
  if (names.length === 0) throw new Error('embeddingGeometry: embeddings is empty; pass e.g. { image, text }');
  const modalities: Record<string, ModalityGeometry> = {};
  const pairs: Record<string, PairGeometry> = {};
  for (const name of names) {
    const x = embeddings[name]!;
    const u = unitRows(x, `embeddingGeometry: embeddings.${name}`);
    modalities[name] = {
      n: u.rows,
      dim: u.cols,
      cone: coneEffect(u),
      uniformity: uniformity(u, options.uniformity),
      rankMe: rankMe(x).rankMe,
    };
  }
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const a = embeddings[names[i]!]!;
      const b = embeddings[names[j]!]!;
      const paired = modalities[names[i]!]!.n === modalities[names[j]!]!.n;
      pairs[`${names[i]}|${names[j]}`] = {
        gap: modalityGap(a, b).gap,
        alignment: paired ? alignment(a, b, { alpha: options.alpha ?? 2 }) : undefined,
        jointUniformity: jointUniformity(a, b, options.uniformity),
      };
    }
  }
  return { modalities, pairs };
}
