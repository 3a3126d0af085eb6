import { Rng } from '@modalab/core';

export interface SamplerState {
  order: number[];
  cursor: number;
  epoch: number;
  rng: number[];
}

/**
 * Draws batches of distinct items, epoch by epoch in a seeded order, dropping the last
 * partial batch so a batch never holds the same concept twice (a false negative for InfoNCE).
 * Its whole state goes into checkpoints, so a resumed run sees the same batches.
 */
export class EpochSampler {
  private order: number[];
  private cursor: number;
  epoch: number;
  readonly rng: Rng;

  constructor(private readonly items: readonly number[], private readonly batchSize: number, seedOrState: number | SamplerState) {
    if (items.length < batchSize) {
      throw new Error(`batchSize ${batchSize} is larger than the ${items.length} training items`);
    }
    if (typeof seedOrState === 'number') {
      this.rng = new Rng(seedOrState);
      this.order = this.rng.shuffle([...items]);
      this.cursor = 0;
      this.epoch = 0;
    } else {
      this.rng = Rng.fromState(seedOrState.rng);
      this.order = [...seedOrState.order];
      this.cursor = seedOrState.cursor;
      this.epoch = seedOrState.epoch;
    }
  }

  next(): number[] {
    if (this.cursor + this.batchSize > this.order.length) {
      this.order = this.rng.shuffle([...this.items]);
      this.cursor = 0;
      this.epoch += 1;
    }
    const batch = this.order.slice(this.cursor, this.cursor + this.batchSize);
    this.cursor += this.batchSize;
    return batch;
  }

  state(): SamplerState {
    return { order: [...this.order], cursor: this.cursor, epoch: this.epoch, rng: this.rng.state() };
  }
}
