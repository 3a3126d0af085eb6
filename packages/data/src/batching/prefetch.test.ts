import { describe, expect, it } from 'vitest';
import { BatchSampler } from './batch-sampler.js';
import { prefetch, PrefetchError } from './prefetch.js';

/** A fake decoder whose calls finish only when the test releases them, counting how many run at once. */
function slowDecoder() {
  let inFlight = 0;
  let maxInFlight = 0;
  const calls: number[] = [];
  const decode = async (x: number): Promise<number> => {
    calls.push(x);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    // Finish out of order (later items sooner) to show the output order does not depend on it.
    for (let i = 0; i < 5 - (x % 5); i++) await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    inFlight -= 1;
    if (x === -1) throw new Error('bad bytes');
    return x * 10;
  };
  return { decode, calls, stats: () => ({ inFlight, maxInFlight }) };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('prefetch', () => {
  it('keeps exact order and overlaps decoding with the consumer, bounded by depth', async () => {
    const d = slowDecoder();
    const out: number[] = [];
    const seenWhileConsuming: number[] = [];
    for await (const v of prefetch([...Array(12).keys()], d.decode, { depth: 3 })) {
      out.push(v);
      seenWhileConsuming.push(d.stats().inFlight); // decodes running while the consumer holds a result
      await tick();
    }
    expect(out).toEqual([...Array(12).keys()].map((x) => x * 10));
    expect(d.stats().maxInFlight).toBe(3);
    expect(Math.max(...seenWhileConsuming)).toBeGreaterThan(0);
    expect(d.calls).toEqual([...Array(12).keys()]);
  });

  it('never pulls more than depth items ahead of the consumer', async () => {
    let pulled = 0;
    function* source() {
      for (let i = 0; i < 100; i++) {
        pulled += 1;
        yield i;
      }
    }
    const it = prefetch(source(), (x) => x, { depth: 4 })[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(0);
    await tick();
    expect(pulled).toBeLessThanOrEqual(1 + 4);
    await it.return(undefined);
  });

  it('accepts async sources and sync prepare functions', async () => {
    async function* source() {
      yield 'a';
      yield 'b';
    }
    const out: string[] = [];
    for await (const v of prefetch(source(), (s, i) => `${s}${i}`, { depth: 2 })) out.push(v);
    expect(out).toEqual(['a0', 'b1']);
  });

  it('delivers items before a failure, then throws it with the item', async () => {
    const d = slowDecoder();
    const out: number[] = [];
    const run = async () => {
      for await (const v of prefetch([1, 2, -1, 3, 4], d.decode, { depth: 2 })) out.push(v);
    };
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrefetchError);
    expect(error).toMatchObject({ item: -1, index: 2, message: expect.stringMatching(/item 2 failed: bad bytes/) });
    expect(out).toEqual([10, 20]);
  });

  it('stops pulling the source and aborts pending work when the consumer breaks', async () => {
    let pulled = 0;
    let returned = false;
    const signals: AbortSignal[] = [];
    const source = {
      [Symbol.iterator]: () => ({
        next: () => ({ done: false, value: pulled++ }),
        return: () => {
          returned = true;
          return { done: true as const, value: undefined };
        },
      }),
    };
    for await (const v of prefetch(source, async (x, _i, signal) => (signals.push(signal), await tick(), x), { depth: 2 })) {
      if (v === 3) break;
    }
    expect(returned).toBe(true);
    expect(pulled).toBeLessThanOrEqual(6);
    expect(signals.every((s) => s.aborted)).toBe(true);
  });

  it('is cancellable through a signal', async () => {
    const controller = new AbortController();
    const out: number[] = [];
    const never = new Promise<number>(() => {});
    const run = async () => {
      for await (const v of prefetch([0, 1, 2], (x) => (x === 1 ? never : x), { depth: 2, signal: controller.signal })) {
        out.push(v);
        setImmediate(() => controller.abort(new Error('stop now')));
      }
    };
    await expect(run()).rejects.toThrow(/stop now/);
    expect(out).toEqual([0]);
    const pre = new AbortController();
    pre.abort(new Error('already'));
    await expect(prefetch([1], (x) => x, { depth: 1, signal: pre.signal }).next()).rejects.toThrow(/already/);
  });

  it('rejects a bad depth', async () => {
    await expect(prefetch([1], (x) => x, { depth: 0 }).next()).rejects.toThrow(/depth must be an integer >= 1, got 0/);
  });

  it('with a sampler, saving the consumed batch state resumes the same sequence', async () => {
    const opts = { size: 10, batchSize: 3, seed: 11 };
    const whole = [...new BatchSampler(opts).take(10)].map((b) => b.indices);
    const got: number[][] = [];
    let saved: ReturnType<BatchSampler['state']> | undefined;
    for await (const b of prefetch(new BatchSampler(opts).take(10), async (b) => (await tick(), b), { depth: 3 })) {
      got.push(b.indices);
      saved = b.state;
      if (got.length === 4) break; // the prefetcher has drawn more batches than were consumed
    }
    for await (const b of prefetch(BatchSampler.fromState(saved!).take(6), (b) => b, { depth: 3 })) got.push(b.indices);
    expect(got).toEqual(whole);
  });
});
