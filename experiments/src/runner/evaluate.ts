import { rankRetrieval, type RetrievalResult } from '@modalab/eval';
import type * as tf from '@tensorflow/tfjs-core';

export type Direction = 'image->text' | 'text->image';
export type SplitResults = Record<Direction, RetrievalResult>;

/**
 * Retrieval both ways between images [N, E] and texts [M, E]. textOwner[j] is the image row
 * that text j describes; an image may own several texts (all count as its positives).
 */
export function retrievalBothWays(images: tf.Tensor2D, texts: tf.Tensor2D, textOwner: readonly number[], ks: number[]): SplitResults {
  const imageToText: number[][] = Array.from({ length: images.shape[0] }, () => []);
  textOwner.forEach((owner, j) => imageToText[owner]!.push(j));
  const textToImage = textOwner.map((owner) => [owner]);
  return {
    'image->text': rankRetrieval(images, texts, imageToText, { ks }),
    'text->image': rankRetrieval(texts, images, textToImage, { ks }),
  };
}

/** Flat summary keys: "<split>/<direction>/R@K", ".../medianRank", ".../chance/R@K", ... */
export function flattenResults(split: string, results: SplitResults): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [dir, r] of Object.entries(results)) {
    const p = `${split}/${dir}`;
    for (const [k, v] of Object.entries(r.recall)) out[`${p}/R@${k}`] = v;
    out[`${p}/medianRank`] = r.medianRank;
    out[`${p}/meanRank`] = r.meanRank;
    out[`${p}/MRR`] = r.mrr;
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
        .map((k) => `R@${k} ${(100 * r.recall[k]!).toFixed(1)}% (chance ${(100 * r.chance.recall[k]!).toFixed(1)}%)`)
        .join('  ');
      lines.push(
        `${`${split} ${dir}`.padEnd(34)} ${recall}  median rank ${r.medianRank} (chance ${r.chance.medianRank.toFixed(1)})  [${r.n} queries, ${r.galleryCount} candidates]`,
      );
    }
  }
  return lines.join('\n');
}
