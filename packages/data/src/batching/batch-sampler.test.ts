import { describe, expect, it } from 'vitest';
import { BatchSampler, type SampledBatch } from './batch-sampler.js';

const indicesOf = (batches: SampledBatch[]): number[][] => batches.map((b) => b.indices);

describe('BatchSampler', () => {
  it('covers every index once per epoch, in batches of batchSize with a smaller last one', () => {
    const s = new BatchSampler({ size: 10, batchSize: 4, seed: 1 });
    expect(s.batchesPerEpoch).toBe(3);
    const epoch = [...s.take(3)];
    expect(epoch.map((b) => b.indices.length)).toEqual([4, 4, 2]);
    expect(epoch.flatMap((b) => b.indices).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(epoch.map((b) => [b.epoch, b.step])).toEqual([[0, 0], [0, 1], [0, 2]]);
    expect(s.next()).toMatchObject({ epoch: 1, step: 0 });
  });

  it('dropLast drops the short batch; shuffle false walks in order', () => {
    const s = new BatchSampler({ size: 10, batchSize: 4, seed: 1, dropLast: true, shuffle: false });
    expect(indicesOf([...s.take(3)])).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [0, 1, 2, 3]]);
  });

  it('is deterministic in seed and epoch, and epochs differ', () => {
    const a = new BatchSampler({ size: 50, batchSize: 7, seed: 42 });
    const b = new BatchSampler({ size: 50, batchSize: 7, seed: 42 });
    expect(indicesOf([...a.take(20)])).toEqual(indicesOf([...b.take(20)]));
    expect(Array.from(a.epochOrder(3))).toEqual(Array.from(b.epochOrder(3)));
    expect(Array.from(a.epochOrder(0))).not.toEqual(Array.from(a.epochOrder(1)));
    const c = new BatchSampler({ size: 50, batchSize: 7, seed: 43 });
    expect(Array.from(c.epochOrder(0))).not.toEqual(Array.from(a.epochOrder(0)));
  });

  it.each([0, 1, 2, 3, 5, 8, 13])('resumes after %i batches exactly where an uninterrupted run is', (cut) => {
    const opts = { size: 11, batchSize: 3, seed: 7 };
    const whole = indicesOf([...new BatchSampler(opts).take(16)]);
    const first = new BatchSampler(opts);
    const before = indicesOf([...first.take(cut)]);
    const saved = JSON.parse(JSON.stringify(first.state())) as ReturnType<BatchSampler['state']>;
    const after = indicesOf([...BatchSampler.fromState(saved).take(16 - cut)]);
    expect([...before, ...after]).toEqual(whole);
  });

  it('a batch carries the state to resume after it', () => {
    const opts = { size: 9, batchSize: 2, seed: 3, dropLast: true };
    const s = new BatchSampler(opts);
    const drawn = [...s.take(6)];
    const resumed = BatchSampler.fromState(drawn[2]!.state);
    expect(indicesOf([...resumed.take(3)])).toEqual(indicesOf(drawn.slice(3)));
  });

  it('restOfEpoch yields what is left of the epoch', () => {
    const s = new BatchSampler({ size: 5, batchSize: 2, seed: 0 });
    s.next();
    expect([...s.restOfEpoch()].map((b) => b.step)).toEqual([1, 2]);
    expect([...s.restOfEpoch()].map((b) => [b.epoch, b.step])).toEqual([[1, 0], [1, 1], [1, 2]]);
  });

  it('handles degenerate sizes: one item, batch larger than the set', () => {
    expect(indicesOf([...new BatchSampler({ size: 1, batchSize: 1, seed: 0 }).take(2)])).toEqual([[0], [0]]);
    const s = new BatchSampler({ size: 3, batchSize: 8, seed: 0 });
    expect(s.next().indices.sort()).toEqual([0, 1, 2]);
  });

  it('rejects bad options and states with the argument named', () => {
    expect(() => new BatchSampler({ size: 0, batchSize: 1, seed: 0 })).toThrow(/size must be an integer >= 1, got 0/);
    expect(() => new BatchSampler({ size: 4, batchSize: 1.5, seed: 0 })).toThrow(/batchSize must be an integer >= 1, got 1.5/);
    expect(() => new BatchSampler({ size: 2, batchSize: 3, seed: 0, dropLast: true })).toThrow(/gives no batches/);
    const state = new BatchSampler({ size: 4, batchSize: 2, seed: 0 }).state();
    expect(() => BatchSampler.fromState({ ...state, step: 3 })).toThrow(/state.step 3 is past the epoch's 2 batches/);
    expect(() => BatchSampler.fromState({ ...state, epoch: -1 })).toThrow(/state.epoch must be an integer >= 0/);
  });
});
