import { describe, expect, it } from 'vitest';
import { BalancedPairSampler } from './balanced-pair-sampler.js';

// 40 image-text items, 6 audio-text items, 4 image-audio items (too few for batch 5).
const items = [
  ...Array.from({ length: 40 }, () => ['image', 'text']),
  ...Array.from({ length: 6 }, () => ['audio', 'text']),
  ...Array.from({ length: 4 }, () => ['audio', 'image']),
];

describe('BalancedPairSampler', () => {
  it('takes turns over the pairs, with items that have both modalities and no repeat within a batch', () => {
    const s = new BalancedPairSampler(items, 5, 1);
    expect(s.pairs).toEqual([['audio', 'text'], ['image', 'text']]);
    const batches = Array.from({ length: 20 }, () => s.next());
    expect(batches.filter((b) => b.pair[0] === 'audio').length).toBe(10);
    for (const b of batches) {
      expect(new Set(b.indices).size).toBe(5);
      for (const i of b.indices) expect(items[i]).toEqual(expect.arrayContaining(b.pair));
    }
    // Within an epoch of a pair every item comes once: the first 8 image-text batches cover all 40.
    const imageText = batches.filter((b) => b.pair[0] === 'image').slice(0, 8).flatMap((b) => b.indices);
    expect(new Set(imageText).size).toBe(40);
  });

  it('resumes from its state with the same batches', () => {
    const a = new BalancedPairSampler(items, 4, 3);
    for (let i = 0; i < 5; i++) a.next();
    const saved = JSON.parse(JSON.stringify(a.state()));
    const b = new BalancedPairSampler(items, 4, 99);
    b.loadState(saved);
    expect(Array.from({ length: 6 }, () => b.next())).toEqual(Array.from({ length: 6 }, () => a.next()));
  });

  it('names bad arguments', () => {
    expect(() => new BalancedPairSampler(items, 5, 0, [['image', 'audio']])).toThrow(/pair audio:image has 4 items, fewer than batchSize 5/);
    expect(() => new BalancedPairSampler([['image']], 1, 0)).toThrow(/no modality pair is shared by at least 1 items \(modalities: image\)/);
    expect(() => new BalancedPairSampler(items, 0, 0)).toThrow(/batchSize must be a positive integer, got 0/);
  });
});
