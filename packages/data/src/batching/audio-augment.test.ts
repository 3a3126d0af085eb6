import { Rng } from '@modalab/core';
import { describe, expect, it } from 'vitest';
import { randomGain, randomTimeShift, specAugment } from './audio-augment.js';

const ramp = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => i + 1);

describe('randomGain', () => {
  it('scales by a factor within the dB range, seeded', () => {
    const x = Float32Array.of(1, -0.5, 0.25);
    const y = randomGain(x, [-6, 6], new Rng(1));
    const factor = y[0]!;
    expect(factor).toBeGreaterThanOrEqual(10 ** (-6 / 20) - 1e-6);
    expect(factor).toBeLessThanOrEqual(10 ** (6 / 20) + 1e-6);
    expect(y[1]).toBeCloseTo(-0.5 * factor, 6);
    expect(Array.from(randomGain(x, [-6, 6], new Rng(1)))).toEqual(Array.from(y));
    expect(Array.from(randomGain(x, [0, 0], new Rng(1)))).toEqual(Array.from(x));
    expect(Array.from(x)).toEqual([1, -0.5, 0.25]);
    expect(() => randomGain(x, [3, -3], new Rng(1))).toThrow(/db must be a finite \[min, max\]/);
  });
});

describe('randomTimeShift', () => {
  it('shifts within the bound, zero-filling or rolling, seeded', () => {
    const x = ramp(10);
    for (let seed = 0; seed < 20; seed++) {
      const y = randomTimeShift(x, { maxFraction: 0.3 }, new Rng(seed));
      const shifted = (k: number) => Array.from(x, (_, i) => x[i - k] ?? 0);
      const matches = [-3, -2, -1, 0, 1, 2, 3].filter((k) => JSON.stringify(shifted(k)) === JSON.stringify(Array.from(y)));
      expect(matches).toHaveLength(1);
      const rolled = randomTimeShift(x, { maxFraction: 0.3, mode: 'roll' }, new Rng(seed));
      expect(Array.from(rolled).sort((a, b) => a - b)).toEqual(Array.from(x));
      expect(Array.from(randomTimeShift(x, { maxFraction: 0.3 }, new Rng(seed)))).toEqual(Array.from(y));
    }
    expect(Array.from(randomTimeShift(x, { maxFraction: 0 }, new Rng(0)))).toEqual(Array.from(x));
    expect(() => randomTimeShift(x, { maxFraction: 2 }, new Rng(0))).toThrow(/maxFraction must be in \[0, 1\], got 2/);
  });
});

describe('specAugment', () => {
  it('masks whole time rows and frequency columns within the widths, seeded', () => {
    const [t, f] = [20, 8];
    const x = Float32Array.from({ length: t * f }, () => 1);
    const y = specAugment(x, [t, f], { timeMasks: 1, maxTimeWidth: 5, freqMasks: 1, maxFreqWidth: 3 }, new Rng(4));
    const rowMasked = Array.from({ length: t }, (_, r) => y.subarray(r * f, (r + 1) * f).every((v) => v === 0));
    const colMasked = Array.from({ length: f }, (_, c) => Array.from({ length: t }, (_, r) => y[r * f + c]).every((v) => v === 0));
    const rows = rowMasked.filter(Boolean).length;
    const cols = colMasked.filter(Boolean).length;
    expect(rows).toBeLessThanOrEqual(5);
    expect(cols).toBeLessThanOrEqual(3);
    // every zero lies in a masked row or column
    for (let r = 0; r < t; r++) for (let c = 0; c < f; c++) if (y[r * f + c] === 0) expect(rowMasked[r] || colMasked[c]).toBe(true);
    expect(Array.from(specAugment(x, [t, f], { timeMasks: 1, maxTimeWidth: 5, freqMasks: 1, maxFreqWidth: 3 }, new Rng(4)))).toEqual(Array.from(y));
    expect(x.every((v) => v === 1)).toBe(true);
  });

  it('masks something over several seeds, and nothing with zero masks', () => {
    const x = new Float32Array(6 * 4).fill(2);
    const opts = { timeMasks: 2, maxTimeWidth: 2, freqMasks: 2, maxFreqWidth: 2, fill: -1 };
    const masked = [0, 1, 2, 3, 4].map((s) => specAugment(x, [6, 4], opts, new Rng(s)).filter((v) => v === -1).length);
    expect(Math.max(...masked)).toBeGreaterThan(0);
    expect(Array.from(specAugment(x, [6, 4], { ...opts, timeMasks: 0, freqMasks: 0 }, new Rng(0)))).toEqual(Array.from(x));
    // widths larger than the spectrogram are clamped; a 1x1 spectrogram works
    expect(specAugment(Float32Array.of(3), [1, 1], { ...opts, maxTimeWidth: 9, maxFreqWidth: 9 }, new Rng(0)).length).toBe(1);
  });

  it('rejects shape mismatches and bad counts', () => {
    expect(() => specAugment(new Float32Array(5), [2, 3], { timeMasks: 1, maxTimeWidth: 1, freqMasks: 1, maxFreqWidth: 1 }, new Rng(0))).toThrow(
      /spec has 5 values, expected \[T, F\] = \[2, 3\] = 6/,
    );
    expect(() => specAugment(new Float32Array(6), [2, 3], { timeMasks: -1, maxTimeWidth: 1, freqMasks: 1, maxFreqWidth: 1 }, new Rng(0))).toThrow(
      /timeMasks must be an integer >= 0, got -1/,
    );
  });
});
