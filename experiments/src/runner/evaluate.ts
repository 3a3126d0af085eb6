import { bestPositiveRanks, bootstrapCi, type EmbeddingGeometryOutput, rankRetrieval, type RetrievalResult } from '@modalab/eval';
import type * as tf from '@tensorflow/tfjs-core';

export type Direction = 'image->text' | 'text->image';
/** Retrieval with a 95% bootstrap interval (over queries) for each recall@K. */
export type RetrievalWithCi = RetrievalResult & { recallCi: Record<number, { lower: number; upper: number }> };
export type SplitResults = Record<Direction, RetrievalWithCi>;

/** Seeded percentile bootstrap over queries: how much R@K would move with another sample of concepts. */
function withIntervals(result: RetrievalResult, queries: tf.Tensor2D, gallery: tf.Tensor2D, positives: number[][], seed: number): RetrievalWithCi {
  const ranks = bestPositiveRanks(queries, gallery, positives);
  const recallCi: RetrievalWithCi['recallCi'] = {};
  for (const k of Object.keys(result.recall).map(Number)) {
    const hits = Array.from(ranks, (r) => (r <= k ? 1 : 0));
    const ci = bootstrapCi(hits, { seed, resamples: 1000 });
    recallCi[k] = { lower: ci.lower, upper: ci.upper };
  }
  return { ...result, recallCi };
}

/**
 * Retrieval both ways between images [N, E] and texts [M, E]. textOwner[j] is the image row
 * that text j describes; an image may own several texts (all count as its positives).
 */
export function retrievalBothWays(images: tf.Tensor2D, texts: tf.Tensor2D, textOwner: readonly number[], ks: number[]): SplitResults {
  const imageToText: number[][] = Array.from({ length: images.shape[0] }, () => []);
  textOwner.forEach((owner, j) => imageToText[owner]!.push(j));
  const textToImage = textOwner.map((owner) => [owner]);
  return {
    'image->text': withIntervals(rankRetrieval(images, texts, imageToText, { ks }), images, texts, imageToText, 1),
    'text->image': withIntervals(rankRetrieval(texts, images, textToImage, { ks }), texts, images, textToImage, 2),
  };
}

/** Flat summary keys: "<split>/<direction>/R@K", ".../medianRank", ".../chance/R@K", ... */
export function flattenResults(split: string, results: SplitResults): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [dir, r] of Object.entries(results)) {
    const p = `${split}/${dir}`;
    for (const [k, v] of Object.entries(r.recall)) out[`${p}/R@${k}`] = v;
    for (const [k, ci] of Object.entries(r.recallCi)) {
      out[`${p}/R@${k}/ci95/lower`] = ci.lower;
      out[`${p}/R@${k}/ci95/upper`] = ci.upper;
    }
    out[`${p}/medianRank`] = r.medianRank;
    out[`${p}/meanRank`] = r.meanRank;
    out[`${p}/MRR`] = r.mrr;
    if (r.map !== undefined) out[`${p}/mAP`] = r.map;
    out[`${p}/count`] = r.n;
    out[`${p}/galleryCount`] = r.galleryCount;
    for (const [k, v] of Object.entries(r.chance.recall)) out[`${p}/chance/R@${k}`] = v;
    out[`${p}/chance/medianRank`] = r.chance.medianRank;
  }
  return out;
}

/** A plain-text table of recall with chance beside each number, for the terminal. */
export function formatResults(all: Record<string, SplitResults>): string {
  const lines: string[] = [];
  for (const [split, results] of Object.entries(all)) {
    for (const [dir, r] of Object.entries(results)) {
      const ks = Object.keys(r.recall).map(Number).sort((a, b) => a - b);
      const recall = ks
        .map((k) => `R@${k} ${(100 * r.recall[k]!).toFixed(1)}% [${(100 * r.recallCi[k]!.lower).toFixed(1)}, ${(100 * r.recallCi[k]!.upper).toFixed(1)}] (chance ${(100 * r.chance.recall[k]!).toFixed(1)}%)`)
        .join('  ');
      lines.push(
        `${`${split} ${dir}`.padEnd(34)} ${recall}  median rank ${r.medianRank} (chance ${r.chance.medianRank.toFixed(1)})  [${r.n} queries, ${r.galleryCount} candidates]`,
      );
    }
  }
  return lines.join('\n');
}

/** Flat summary keys of embeddingGeometry: "<prefix>/<modality>/{cone,uniformity,rankMe}", "<prefix>/<a>-<b>/{gap,alignment,jointUniformity}". */
export function flattenGeometry(g: EmbeddingGeometryOutput, prefix = 'test/geometry'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [m, v] of Object.entries(g.modalities)) {
    out[`${prefix}/${m}/cone`] = v.cone;
    out[`${prefix}/${m}/uniformity`] = v.uniformity;
    out[`${prefix}/${m}/rankMe`] = v.rankMe;
  }
  for (const [pair, v] of Object.entries(g.pairs)) {
    const key = pair.replace('|', '-');
    out[`${prefix}/${key}/gap`] = v.gap;
    if (v.alignment !== undefined) out[`${prefix}/${key}/alignment`] = v.alignment;
    out[`${prefix}/${key}/jointUniformity`] = v.jointUniformity;
  }
  return out;
}
