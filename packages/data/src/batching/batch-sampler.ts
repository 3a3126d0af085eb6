import { Rng } from '@modalab/core';

export interface BatchSamplerOptions {
  /** Number of items (indices 0..size-1). */
  size: number;
  batchSize: number;
  seed: number;
  /** Drop an epoch's last, smaller batch (keeps every batch the same shape). Default false. */
  dropLast?: boolean;
  /** Shuffle each epoch; false walks 0..size-1 in order (evaluation). Default true. */
  shuffle?: boolean;
}

/** Everything needed to continue where a run stopped; plain JSON, for a checkpoint. */
export interface BatchSamplerState {
  size: number;
  batchSize: number;
  seed: number;
  dropLast: boolean;
  shuffle: boolean;
  /** The epoch of the next batch. */
  epoch: number;
  /** Batches of that epoch already handed out. */
  step: number;
}

export interface SampledBatch {
  epoch: number;
  /** 0-based batch number within the epoch. */
  step: number;
  /** Item indices, in batch order. */
  indices: number[];
  /**
   * The sampler state right after this batch. Save this one (not `sampler.state()`) when a prefetcher
   * has already drawn batches the consumer has not used yet.
   */
  state: BatchSamplerState;
}

/** One 32-bit seed per (seed, epoch), mixed (murmur3's finaliser) so neighbouring epochs are unrelated. */
function epochSeed(seed: number, epoch: number): number {
  let h = (seed ^ Math.imul(epoch + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

function checkInt(name: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`BatchSampler: ${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
}

/**
 * Seeded, resumable batches of item indices. Epoch e's order is a Fisher-Yates shuffle from an Rng seeded
 * by (seed, e) alone, so any epoch can be rebuilt without replaying earlier ones, and a sampler restored
 * with `fromState` continues with exactly the batches an uninterrupted run would have produced.
 * Epochs follow one another forever; stop by counting steps or epochs.
 */
export class BatchSampler {
  private readonly options: Required<BatchSamplerOptions>;
  private epoch = 0;
  private step = 0;
  private order: Int32Array | undefined;
  private orderEpoch = -1;

  constructor(options: BatchSamplerOptions) {
    const { size, batchSize, seed } = options;
    checkInt('size', size, 1);
    checkInt('batchSize', batchSize, 1);
    if (!Number.isFinite(seed)) throw new RangeError(`BatchSampler: seed must be a finite number, got ${seed}`);
    const dropLast = options.dropLast ?? false;
    if (dropLast && batchSize > size) {
      throw new RangeError(`BatchSampler: batchSize ${batchSize} > size ${size} with dropLast gives no batches; lower batchSize or set dropLast: false`);
    }
    this.options = { size, batchSize, seed, dropLast, shuffle: options.shuffle ?? true };
  }

  static fromState(state: BatchSamplerState): BatchSampler {
    const sampler = new BatchSampler(state);
    checkInt('state.epoch', state.epoch, 0);
    checkInt('state.step', state.step, 0);
    if (typeof state.dropLast !== 'boolean' || typeof state.shuffle !== 'boolean') {
      throw new RangeError(`BatchSampler: state.dropLast and state.shuffle must be booleans, got ${JSON.stringify([state.dropLast, state.shuffle])}`);
    }
    if (state.step > sampler.batchesPerEpoch) {
      throw new RangeError(`BatchSampler: state.step ${state.step} is past the epoch's ${sampler.batchesPerEpoch} batches`);
    }
    sampler.epoch = state.epoch;
    sampler.step = state.step;
    return sampler;
  }

  get batchesPerEpoch(): number {
    const { size, batchSize, dropLast } = this.options;
    return dropLast ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
  }

  state(): BatchSamplerState {
    return { ...this.options, epoch: this.epoch, step: this.step };
  }

  /** The item order of an epoch (a permutation of 0..size-1), a pure function of seed and epoch. */
  epochOrder(epoch: number): Int32Array {
    checkInt('epoch', epoch, 0);
    const order = new Int32Array(this.options.size);
    for (let i = 0; i < order.length; i++) order[i] = i;
    if (!this.options.shuffle) return order;
    const rng = new Rng(epochSeed(this.options.seed, epoch));
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    return order;
  }

  next(): SampledBatch {
    if (this.step >= this.batchesPerEpoch) {
      this.epoch += 1;
      this.step = 0;
    }
    if (this.orderEpoch !== this.epoch || this.order === undefined) {
      this.order = this.epochOrder(this.epoch);
      this.orderEpoch = this.epoch;
    }
    const { batchSize } = this.options;
    const start = this.step * batchSize;
    const indices = Array.from(this.order.subarray(start, start + batchSize));
    const batch = { epoch: this.epoch, step: this.step, indices };
    this.step += 1;
    return { ...batch, state: this.state() };
  }

  /** The next `count` batches, as an iterable (e.g. a prefetcher's source). */
  *take(count: number): Generator<SampledBatch> {
    checkInt('count', count, 0);
    for (let i = 0; i < count; i++) yield this.next();
  }

  /** The rest of the current epoch (all of the next one when the current one is finished). */
  *restOfEpoch(): Generator<SampledBatch> {
    const first = this.next();
    yield first;
    while (this.step < this.batchesPerEpoch) yield this.next();
  }
}
