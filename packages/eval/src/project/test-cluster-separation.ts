import { Rng } from '@modalab/core';
import { expect } from 'vitest';

/** `perCluster` points around each of `clusters` centres 10 apart on separate axes, noise std 1, in d dims. */
export function blobs(clusters: number, perCluster: number, d: number, seed: number): { x: number[][]; labels: number[] } {
  const rng = new Rng(seed);
  const x: number[][] = [];
  const labels: number[] = [];
  for (let c = 0; c < clusters; c++) {
    for (let i = 0; i < perCluster; i++) {
      x.push(Array.from({ length: d }, (_, j) => (j === c ? 10 : 0) + rng.normal()));
      labels.push(c);
    }
  }
  return { x, labels };
}

/**
 * Asserts a 2-D layout keeps labelled clusters apart: every point's nearest neighbour has its
 * label, and the smallest gap between centroids exceeds 2x the largest RMS cluster radius.
 */
export function expectClustersSeparated(embedding: number[][], labels: readonly number[]): void {
  embedding.forEach((yi, i) => {
    let best = -1;
    let bestD = Number.POSITIVE_INFINITY;
    embedding.forEach((yj, j) => {
      if (i === j) return;
      const d = (yi[0]! - yj[0]!) ** 2 + (yi[1]! - yj[1]!) ** 2;
      if (d < bestD) [best, bestD] = [j, d];
    });
    expect(labels[best]).toBe(labels[i]);
  });
  const classes = [...new Set(labels)];
  const centroids = classes.map((c) => {
    const pts = embedding.filter((_, i) => labels[i] === c);
    return [0, 1].map((k) => pts.reduce((s, p) => s + p[k]!, 0) / pts.length);
  });
  const radius = Math.max(
    ...classes.map((c, ci) => {
      const pts = embedding.filter((_, i) => labels[i] === c);
      return Math.sqrt(pts.reduce((s, p) => s + (p[0]! - centroids[ci]![0]!) ** 2 + (p[1]! - centroids[ci]![1]!) ** 2, 0) / pts.length);
    }),
  );
  let minGap = Number.POSITIVE_INFINITY;
  for (let a = 0; a < classes.length; a++) {
    for (let b = a + 1; b < classes.length; b++) minGap = Math.min(minGap, Math.hypot(centroids[a]![0]! - centroids[b]![0]!, centroids[a]![1]! - centroids[b]![1]!));
  }
  expect(minGap).toBeGreaterThan(2 * radius);
}
