import { rankMe, type RankMeOptions } from '../diagnostics/rank-me.js';
import type { EmbeddingInput } from '../diagnostics/sphere.js';

export interface FusionInputRankOutput {
  /** Per modality (sorted keys): RankMe of its [n, D_m] fusion input, and that value over its ceiling min(n, D_m). */
  modalities: Record<string, { rankMe: number; normalizedRankMe: number; maxRank: number }>;
}

/**
 * RankMe (Garrido et al. 2023; see rankMe) of each modality's input to the fusion, e.g. the
 * tower features of model.features(batch). A modality whose tower the fusion ignores gets no
 * training signal and keeps a random-projection spectrum, or its features collapse onto a few
 * directions; a tower the model uses develops a spectrum shaped by the task. The value is
 * reported beside the causal measures (permutation, ablation), and normalised by its ceiling
 * min(n, D_m) so towers of different widths can be compared.
 */
export function fusionInputRank(features: Readonly<Record<string, EmbeddingInput>>, options: RankMeOptions = {}): FusionInputRankOutput {
  const names = Object.keys(features).sort();
  if (names.length === 0) throw new Error('fusionInputRank: features is empty; pass { image: [n, D], text: [n, D] }');
  const modalities: FusionInputRankOutput['modalities'] = {};
  for (const m of names) {
    const { rankMe: r, singularValues } = rankMe(features[m]!, options);
    const maxRank = singularValues.length;
    modalities[m] = { rankMe: r, normalizedRankMe: r / maxRank, maxRank };
  }
  return { modalities };
}
