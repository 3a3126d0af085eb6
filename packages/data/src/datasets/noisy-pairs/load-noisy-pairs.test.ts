import { describe, expect, it } from 'vitest';
import { loadNoisyPairs, NOISY_PAIRS_CELL, NOISY_PAIRS_SPLITS, type NoisyPairsModality, type NoisyPairsSplit } from './load-noisy-pairs.js';

// 2,000 to fit the centroids: with fewer, the filler tokens' sampling noise in a noisy-text centroid costs a few points.
const small = { trainSize: 2000, testSize: 600, conflictSize: 200, seed: 5 } as const;

/** Position-free features: the mean cell of an image ([cell, cell, 3]) or the bag of tokens of a text. */
function features(split: NoisyPairsSplit, m: NoisyPairsModality): Float64Array[] {
  const n = split.labels.length;
  if (m === 'text') {
    const { ids, length, vocabSize } = split.text;
    return Array.from({ length: n }, (_, i) => {
      const bag = new Float64Array(vocabSize);
      for (let t = 0; t < length; t++) bag[ids[i * length + t] as number]! += 1;
      return bag;
    });
  }
  const { size, pixels } = split.image;
  const grid = size / NOISY_PAIRS_CELL;
  const dim = NOISY_PAIRS_CELL * NOISY_PAIRS_CELL * 3;
  return Array.from({ length: n }, (_, i) => {
    const mean = new Float64Array(dim);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let c = 0; c < 3; c++) {
          mean[((y % NOISY_PAIRS_CELL) * NOISY_PAIRS_CELL + (x % NOISY_PAIRS_CELL)) * 3 + c]! += pixels[((i * size + y) * size + x) * 3 + c]! / (grid * grid);
        }
      }
    }
    return mean;
  });
}

/** Nearest-centroid accuracy of one modality: centroids fitted on `fit` labels, scored against `evalLabels`. */
function nearestCentroidAccuracy(fit: NoisyPairsSplit, evaluate: NoisyPairsSplit, m: NoisyPairsModality, classes: number): number {
  const train = features(fit, m);
  const dim = train[0]?.length ?? 0;
  const centroids = Array.from({ length: classes }, () => new Float64Array(dim));
  const counts = new Array<number>(classes).fill(0);
  train.forEach((f, i) => {
    const y = fit.labels[i]!;
    counts[y]! += 1;
    f.forEach((v, d) => (centroids[y]![d]! += v));
  });
  centroids.forEach((c, y) => c.forEach((_, d) => (c[d]! /= counts[y]!)));
  let right = 0;
  features(evaluate, m).forEach((f, i) => {
    let best = -1;
    let bestDist = Infinity;
    centroids.forEach((c, y) => {
      let dist = 0;
      for (let d = 0; d < dim; d++) dist += (f[d]! - c[d]!) ** 2;
      if (dist < bestDist) [best, bestDist] = [y, dist];
    });
    if (best === evaluate.labels[i]) right++;
  });
  return right / evaluate.labels.length;
}

describe('loadNoisyPairs', () => {
  it.each([
    { clean: 'image', noise: 0.5 },
    { clean: 'text', noise: 0.3 },
    { clean: 'image', noise: 0.9 },
  ] as const)('carries the label cleanly in one modality and with the configured noise in the other ($clean clean, noise $noise)', ({ clean, noise }) => {
    const data = loadNoisyPairs({ ...small, clean, noise });
    const noisy = clean === 'image' ? 'text' : 'image';
    const { train, test, conflict } = data.splits;
    expect(nearestCentroidAccuracy(train, test, clean, 10)).toBeGreaterThan(0.97);
    // When the noisy modality shows a wrong class the decoder follows it: accuracy is about 1 - noise
    // (binomial sd at n = 600 is at most 0.02; 0.06 is three of them).
    expect(Math.abs(nearestCentroidAccuracy(train, test, noisy, 10) - (1 - noise))).toBeLessThan(0.06);
    // conflict: the clean modality is always wrong, the noisy one always right.
    expect(nearestCentroidAccuracy(train, conflict, clean, 10)).toBeLessThan(0.03);
    if (noise < 0.9) expect(nearestCentroidAccuracy(train, conflict, noisy, 10)).toBeGreaterThan(0.95);
    expect(data.card.counts.test.shownWrong[clean]).toBe(0);
    expect(Math.abs(data.card.counts.test.shownWrong[noisy] / 600 - noise)).toBeLessThan(0.06);
  });

  it('makes redundancy the number of class-bearing tokens and cells', () => {
    for (const redundancy of [1, 3]) {
      const data = loadNoisyPairs({ trainSize: 20, testSize: 0, conflictSize: 0, redundancy, pixelNoise: 0 });
      const { text, image, shown } = data.splits.train;
      for (let i = 0; i < 20; i++) {
        const row = Array.from(text.ids.subarray(i * 8, (i + 1) * 8));
        const keywords = row.filter((t) => t >= 32);
        expect(keywords).toHaveLength(redundancy);
        for (const t of keywords) expect(Math.floor((t - 32) / 4)).toBe(shown.text[i]);
        // Non-grey cells: those whose top-left pixel differs from the background.
        let marked = 0;
        for (let cell = 0; cell < 16; cell++) {
          const at = ((i * 16 + Math.floor(cell / 4) * 4) * 16 + (cell % 4) * 4) * 3;
          if (Array.from(image.pixels.subarray(at, at + 3)).some((v) => v !== 0.5)) marked++;
        }
        expect(marked).toBe(redundancy);
      }
    }
  });

  it('is deterministic per seed, balanced, and its card counts match the splits', () => {
    const a = loadNoisyPairs(small);
    const b = loadNoisyPairs(small);
    const c = loadNoisyPairs({ ...small, seed: 6 });
    for (const name of NOISY_PAIRS_SPLITS) {
      expect(b.splits[name].text.ids).toEqual(a.splits[name].text.ids);
      expect(Buffer.from(b.splits[name].image.pixels.buffer).equals(Buffer.from(a.splits[name].image.pixels.buffer))).toBe(true);
      const counts = a.card.counts[name];
      expect(counts.samples).toBe(a.splits[name].labels.length);
      expect(a.splits[name].image.pixels.length).toBe(counts.samples * 16 * 16 * 3);
      expect(a.splits[name].text.ids.length).toBe(counts.samples * 8);
      expect(counts.perClass.reduce((x, y) => x + y, 0)).toBe(counts.samples);
      expect(Math.max(...counts.perClass) - Math.min(...counts.perClass)).toBeLessThanOrEqual(1);
    }
    expect(c.splits.train.labels).not.toEqual(a.splits.train.labels);
    expect(a.card.vocabSize).toBe(32 + 10 * 4);
    expect(Math.max(...a.splits.train.text.ids)).toBeLessThan(a.card.vocabSize);
    for (const v of a.splits.train.image.pixels) if (!(v >= 0 && v <= 1)) throw new Error(`pixel ${v} outside [0, 1]`);
  });

  it('rejects bad options with their path', () => {
    expect(() => loadNoisyPairs({ noise: 1.5 })).toThrow(/noise/);
    expect(() => loadNoisyPairs({ imageSize: 18 })).toThrow(/imageSize must be a multiple of 4, got 18/);
    expect(() => loadNoisyPairs({ redundancy: 9 })).toThrow(/redundancy 9 exceeds textLength 8/);
    expect(() => loadNoisyPairs({ clean: 'audio' } as never)).toThrow(/clean/);
    expect(() => loadNoisyPairs({ modality: 'x' } as never)).toThrow(/Unrecognized key/);
  });
});
