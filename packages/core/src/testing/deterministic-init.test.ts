import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Linear } from '../layers/linear.js';
import { Rng } from '../random/rng.js';
import { assertAllClose } from './all-close.js';
import { deterministicInit, deterministicPattern, fnv1a32 } from './deterministic-init.js';

describe('deterministicInit', () => {
  it('hashes names with 32-bit FNV-1a (published test vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('fills every parameter with scale * sin(0.7 i + phase(name)), independent of the seed', () => {
    const a = new Linear({ inFeatures: 3, outFeatures: 2 }, new Rng(1));
    const b = new Linear({ inFeatures: 3, outFeatures: 2 }, new Rng(2));
    deterministicInit(a);
    deterministicInit(b);
    assertAllClose(a.weight.dataSync(), b.weight.dataSync(), { atol: 0, rtol: 0 });
    const phase = ((fnv1a32('weight') % 10007) / 10007) * 2 * Math.PI;
    assertAllClose(a.weight.dataSync(), [0, 1, 2, 3, 4, 5].map((i) => 0.3 * Math.sin(0.7 * i + phase)), { atol: 1e-7 });
    // Different names give different values: a transposed or swapped weight cannot pass unnoticed.
    expect(deterministicPattern('q.weight', 4)).not.toEqual(deterministicPattern('k.weight', 4));
    const before = tf.memory().numTensors;
    deterministicInit(a, 0.5);
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
    b.dispose();
  });
});
