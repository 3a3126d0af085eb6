import { Rng } from '@modalab/core';
import { describe, expect, it } from 'vitest';
import { sampleCaptions } from './caption-sampling.js';

describe('sampleCaptions', () => {
  const items = [{ id: 'a', texts: ['a cat', 'a small cat', 'kitten'] }, { id: 'b' }, { id: 'c', texts: ['one'] }];

  it('picks one caption per item, seeded, undefined when absent', () => {
    const first = sampleCaptions(items, new Rng(3));
    expect(sampleCaptions(items, new Rng(3))).toEqual(first);
    expect(items[0]!.texts).toContain(first[0]);
    expect(first.slice(1)).toEqual([undefined, 'one']);
  });

  it('reaches every caption over draws', () => {
    const rng = new Rng(0);
    const seen = new Set(Array.from({ length: 60 }, () => sampleCaptions(items, rng)[0]));
    expect([...seen].sort()).toEqual(['a cat', 'a small cat', 'kitten']);
  });

  it('rejects an empty caption list, naming the item', () => {
    expect(() => sampleCaptions([{ id: 'dog-2', texts: [] }], new Rng(0))).toThrow(/item 'dog-2' has an empty caption list/);
  });
});
