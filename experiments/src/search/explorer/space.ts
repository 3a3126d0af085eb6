import { Rng } from '@modalab/core';
import { gapShiftSweep, pca, rankRetrieval, umap } from '@modalab/eval';
import type { IndexRow, IndexStore } from '../store.js';

export type Projection = 'pca' | 'umap';
export const PROJECTIONS: readonly Projection[] = ['pca', 'umap'];
export const SPACE_KS = [1, 5, 10] as const;
/** λ values the server scores with @modalab/eval, so the page's live numbers can be checked against them. */
export const REFERENCE_LAMBDAS = [-0.5, 0, 0.25, 0.5, 1] as const;

export interface RecallPair {
  'text->image': Record<number, number>;
  'image->text': Record<number, number>;
}

/** A sample of image-text pairs of an index: vectors, a 2-D view, and reference retrieval. */
export interface SpaceSample {
  n: number;
  dim: number;
  groups: string[];
  captions: string[];
  labels: string[];
  /** Content hash of each image (its thumbnail). */
  thumbs: string[];
  /** Unit vectors, row i of each is pair i. */
  image: number[][];
  text: number[][];
  projection: {
    method: Projection;
    axisTitles: [string, string];
    image: number[][];
    text: number[][];
    /** PCA only: lets the page project gap-shifted vectors live. */
    pca?: { mean: number[]; components: number[][] };
  };
  /** Recall@K (pessimistic ties, as rankRetrieval) and the gap at fixed λ, computed here with @modalab/eval. */
  reference: Array<{ lambda: number; gap: number; recall: RecallPair }>;
}

/**
 * Picks up to `n` items with both an image and a text row (the first caption), seeded, and
 * projects their embeddings together (PCA or UMAP from @modalab/eval).
 */
export async function spaceSample(store: IndexStore, options: { n: number; method: Projection; seed?: number }): Promise<SpaceSample> {
  const rows = await store.rows({ where: `modality IN ('image', 'text')` });
  const images = new Map<string, IndexRow>();
  const texts = new Map<string, IndexRow>();
  for (const r of [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const into = r.modality === 'image' ? images : texts;
    if (!into.has(r.group)) into.set(r.group, r);
  }
  const paired = [...images.keys()].filter((g) => texts.has(g)).sort();
  if (paired.length < 3) throw new Error(`The index has ${paired.length} items with both an image and a text; the map and the gap slider need at least 3`);
  const groups = new Rng(options.seed ?? 0).shuffle(paired).slice(0, options.n);
  const image = groups.map((g) => Array.from(images.get(g)!.vector));
  const text = groups.map((g) => Array.from(texts.get(g)!.vector));
  const both = [...image, ...text];
  const n = groups.length;
  let projection: SpaceSample['projection'];
  if (options.method === 'pca') {
    const p = pca(both, { components: 2 });
    const pct = (i: number) => `PC${i + 1} (${(100 * p.explainedVarianceRatio[i]!).toFixed(1)}%)`;
    projection = { method: 'pca', axisTitles: [pct(0), pct(1)], image: p.projected.slice(0, n), text: p.projected.slice(n), pca: { mean: p.mean, components: p.components } };
  } else {
    const u = umap(both, { seed: options.seed ?? 0, nNeighbors: Math.min(15, 2 * n - 1) });
    projection = { method: 'umap', axisTitles: ['UMAP 1', 'UMAP 2'], image: u.embedding.slice(0, n), text: u.embedding.slice(n) };
  }
  return {
    n,
    dim: image[0]!.length,
    groups,
    captions: groups.map((g) => texts.get(g)!.text),
    labels: groups.map((g) => images.get(g)!.label),
    thumbs: groups.map((g) => images.get(g)!.hash),
    image,
    text,
    projection,
    reference: await referenceRecall(image, text),
  };
}

/** Recall@1/5/10 both ways after shifting images by -λΔ and texts by +λΔ (Δ = image centroid - text centroid). */
export async function referenceRecall(image: number[][], text: number[][], lambdas: readonly number[] = REFERENCE_LAMBDAS): Promise<SpaceSample['reference']> {
  const positives = image.map((_, i) => [i]);
  const ks = SPACE_KS.filter((k) => k <= image.length);
  const points = await gapShiftSweep(image, text, lambdas, ({ a, b }) => ({
    'text->image': rankRetrieval(b, a, positives, { ks: [...ks] }).recall,
    'image->text': rankRetrieval(a, b, positives, { ks: [...ks] }).recall,
  }));
  return points.map((p) => ({ lambda: p.lambda, gap: p.gap, recall: p.value }));
}
