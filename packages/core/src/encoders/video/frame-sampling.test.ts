import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectLeakFree } from '../test-utils.js';
import { gatherFrames, sampleFrames, type FrameSampling } from './frame-sampling.js';

const KINDS: FrameSampling[] = [{ kind: 'uniform' }, { kind: 'head-tail' }, { kind: 'random', seed: 7 }];

describe('sampleFrames', () => {
  it('returns count distinct sorted in-range indices for every kind, clip length and count', () => {
    for (const sampling of KINDS) {
      for (const n of [1, 2, 5, 16, 97]) {
        for (const k of [1, 2, 3, 8, 16].filter((k) => k <= n)) {
          const idx = sampleFrames(n, k, sampling);
          expect(idx).toHaveLength(k);
          idx.forEach((v, i) => {
            expect(Number.isInteger(v) && v >= 0 && v < n).toBe(true);
            if (i > 0) expect(v).toBeGreaterThan(idx[i - 1]!);
          });
        }
      }
    }
  });

  it('gives the documented indices', () => {
    expect(sampleFrames(16, 4, { kind: 'uniform' })).toEqual([1, 5, 9, 13]); // segment centres
    expect(sampleFrames(10, 1, { kind: 'uniform' })).toEqual([4]);
    expect(sampleFrames(5, 5, { kind: 'uniform' })).toEqual([0, 1, 2, 3, 4]);
    expect(sampleFrames(10, 5, { kind: 'head-tail' })).toEqual([0, 1, 2, 8, 9]);
    expect(sampleFrames(10, 4, { kind: 'head-tail' })).toEqual([0, 1, 8, 9]);
  });

  it('random: the same seed gives the same indices, another seed others, one per segment', () => {
    const a = sampleFrames(100, 8, { kind: 'random', seed: 3 });
    expect(sampleFrames(100, 8, { kind: 'random', seed: 3 })).toEqual(a);
    const seeds = Array.from({ length: 5 }, (_, s) => sampleFrames(100, 8, { kind: 'random', seed: s + 10 }).join());
    expect(new Set(seeds).size).toBeGreaterThan(1);
    const start = (i: number) => Math.floor((i * 100) / 8); // segment i is [start(i), start(i + 1))
    a.forEach((v, i) => expect(v >= start(i) && v < start(i + 1)).toBe(true));
  });

  it('refuses more frames than the clip has, and bad arguments, by message', () => {
    expect(() => sampleFrames(5, 8, { kind: 'uniform' })).toThrow(/asked for 8 frames from a clip of 5/);
    expect(() => sampleFrames(0, 1, { kind: 'uniform' })).toThrow(/frameCount must be a positive integer, got 0/);
    expect(() => sampleFrames(5, 2.5, { kind: 'uniform' })).toThrow(/count must be a positive integer, got 2.5/);
    expect(() => sampleFrames(5, 2, { kind: 'random' } as never)).toThrow(/seed/);
    expect(() => sampleFrames(5, 2, { kind: 'middle' } as never)).toThrow(/uniform.*head-tail.*random|Invalid discriminator/);
  });
});

describe('gatherFrames', () => {
  it('picks frames along time and checks the range', () => {
    const video = tf.reshape(tf.range(0, 2 * 5 * 2 * 2 * 1), [2, 5, 2, 2, 1]) as tf.Tensor5D;
    const picked = gatherFrames(video, [0, 4]);
    expect(picked.shape).toEqual([2, 2, 2, 2, 1]);
    expect(Array.from(picked.dataSync()).slice(0, 8)).toEqual([0, 1, 2, 3, 16, 17, 18, 19]);
    expect(() => gatherFrames(video, [0, 5])).toThrow(/index 5 out of range for 5 frames/);
    expectLeakFree(() => tf.dispose(gatherFrames(video, [1, 2])));
    tf.dispose([video, picked]);
  });
});
