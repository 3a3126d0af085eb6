import { Rng } from '../random/rng.js';

export interface PairBatch {
  /** The two modalities every item of this batch has, sorted. */
  pair: [string, string];
  /** Item indices into the dataset. */
  indices: number[];
}

export interface BalancedPairSamplerState {
  rng: number[];
  turn: number;
  /** Per pair key "a:b": the shuffled order of its items and the position in it. */
  queues: Record<string, { order: number[]; position: number }>;
}

/**
 * Batches that take turns over modality pairs, so a pair with few items (audio-text) is seen as
 * often as a common one (image-text), as ImageBind balances its datasets. Each batch holds only
 * items that have both modalities of its pair; each pair walks its items in a reshuffled order
 * per epoch, so within a pair every item is used once before any repeats.
 */
export class BalancedPairSampler {
  readonly pairs: Array<[string, string]>;
  private readonly members: Map<string, number[]>;
  private rng: Rng;
  private turn = 0;
  private queues = new Map<string, { order: number[]; position: number }>();

  /** items[i] lists the modalities item i has; pairs default to every pair that at least batchSize items share. */
  constructor(items: ReadonlyArray<readonly string[]>, readonly batchSize: number, seed: number, pairs?: Array<[string, string]>) {
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`BalancedPairSampler: batchSize must be a positive integer, got ${batchSize}`);
    const names = [...new Set(items.flat())].sort();
    const all: Array<[string, string]> = [];
    for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++) all.push([names[i]!, names[j]!]);
    const candidates = (pairs ?? all).map(([a, b]) => (a < b ? [a, b] : [b, a]) as [string, string]);
    this.members = new Map(candidates.map(([a, b]) => [`${a}:${b}`, items.flatMap((m, i) => (m.includes(a) && m.includes(b) ? [i] : []))]));
    this.pairs = candidates.filter(([a, b]) => this.members.get(`${a}:${b}`)!.length >= batchSize);
    if (pairs !== undefined) {
      const short = candidates.find(([a, b]) => this.members.get(`${a}:${b}`)!.length < batchSize);
      if (short) throw new Error(`BalancedPairSampler: pair ${short.join(':')} has ${this.members.get(short.join(':'))!.length} items, fewer than batchSize ${batchSize}`);
    }
    if (this.pairs.length === 0) throw new Error(`BalancedPairSampler: no modality pair is shared by at least ${batchSize} items (modalities: ${names.join(', ') || 'none'})`);
    this.rng = new Rng(seed);
  }

  next(): PairBatch {
    const pair = this.pairs[this.turn % this.pairs.length]!;
    this.turn += 1;
    const key = pair.join(':');
    const indices: number[] = [];
    while (indices.length < this.batchSize) {
      let q = this.queues.get(key);
      if (q === undefined || q.position >= q.order.length) {
        q = { order: this.rng.shuffle([...this.members.get(key)!]), position: 0 };
        this.queues.set(key, q);
      }
      const item = q.order[q.position++]!;
      if (!indices.includes(item)) indices.push(item); // an epoch boundary must not repeat an item within a batch
    }
    return { pair: [pair[0], pair[1]], indices };
  }

  state(): BalancedPairSamplerState {
    return { rng: this.rng.state(), turn: this.turn, queues: Object.fromEntries([...this.queues].map(([k, q]) => [k, { order: [...q.order], position: q.position }])) };
  }

  loadState(state: BalancedPairSamplerState): void {
    this.rng = Rng.fromState(state.rng);
    this.turn = state.turn;
    this.queues = new Map(Object.entries(state.queues).map(([k, q]) => [k, { order: [...q.order], position: q.position }]));
  }
}
