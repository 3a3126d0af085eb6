import type { Rng } from '@modalab/core';

/**
 * A sample's data did not fit the batch: the message names the item id, the modality, and the expected
 * and received shape, e.g. `collate: item 'cat-1' image has 12 values, expected [4, 4, 3] = 48`.
 */
export class CollateError extends Error {
  override readonly name = 'CollateError';
  constructor(
    readonly id: string,
    readonly modality: string,
    message: string,
  ) {
    super(`collate: item '${id}' ${modality} ${message}`);
  }
}

/** One item to collate: any subset of the modalities, already decoded (and tokenised, for text). */
export interface CollateSample {
  id: string;
  /** [H, W, C] floats */
  image?: Float32Array;
  /** token ids, unpadded (BOS/EOT already added if the model wants them) */
  text?: ArrayLike<number>;
  /** mono samples */
  audio?: Float32Array;
  /** [frames, H, W, C] bytes */
  video?: Uint8Array;
}

/** A stacked modality: `present[b]` is 1 when sample b has it, 0 when its rows are zeros to be skipped. */
export interface StackedBatch<A> {
  /** [B, ...shape] */
  data: A;
  shape: number[];
  /** [B] 1 = the sample has this modality */
  present: Float32Array;
}

export interface PaddedBatch<A> extends StackedBatch<A> {
  /** [B, L] 1 for real positions, 0 for padding (all 0 for an absent sample) */
  mask: Float32Array;
  /** [B] real positions per row */
  lengths: Int32Array;
}

export interface TokenCollateOptions {
  /** Pad to this T. Absent: the longest sample in the batch. */
  length?: number;
  padId: number;
  /** Cut longer sequences to `length` instead of failing. Default false: a silent cut would hide a tokeniser/config mismatch. */
  truncate?: boolean;
}

export type CropMode = 'start' | 'center' | 'random';

export interface WaveformCollateOptions {
  /** Pad (with zeros) or crop every waveform to this many samples. */
  length: number;
  /** Which window of a longer waveform to keep. Default 'start'. 'random' needs `rng`. */
  crop?: CropMode;
  rng?: Rng;
}

export interface CollateSpec {
  /** [H, W, C] of every image */
  image?: { shape: readonly [number, number, number] };
  text?: TokenCollateOptions;
  audio?: WaveformCollateOptions;
  /** [frames, H, W, C] of every clip */
  video?: { shape: readonly [number, number, number, number] };
}

export interface CollatedBatch {
  /** [B] item ids, in batch order */
  ids: string[];
  image?: StackedBatch<Float32Array>;
  text?: PaddedBatch<Int32Array>;
  audio?: PaddedBatch<Float32Array>;
  video?: StackedBatch<Uint8Array>;
}

type Entry<V> = { id: string; value: V | undefined };

const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function checkShape(name: string, shape: readonly number[]): void {
  if (shape.some((d) => !Number.isInteger(d) || d < 1)) throw new RangeError(`collate: ${name} must be positive integers, got [${shape.join(', ')}]`);
}

function stack<A extends Float32Array | Uint8Array>(
  modality: string,
  entries: ReadonlyArray<Entry<A>>,
  shape: readonly number[],
  make: (n: number) => A,
): StackedBatch<A> {
  checkShape(`${modality} shape`, shape);
  const per = product(shape);
  const data = make(entries.length * per); // [B, ...shape]
  const present = new Float32Array(entries.length); // [B]
  entries.forEach(({ id, value }, b) => {
    if (value === undefined) return;
    if (value.length !== per) throw new CollateError(id, modality, `has ${value.length} values, expected [${shape.join(', ')}] = ${per}`);
    data.set(value, b * per);
    present[b] = 1;
  });
  return { data, shape: [entries.length, ...shape], present };
}

/** Stacks [H, W, C] images to [B, H, W, C]; an absent image is zeros with `present` 0. */
export function collateImages(entries: ReadonlyArray<Entry<Float32Array>>, shape: readonly [number, number, number]): StackedBatch<Float32Array> {
  return stack('image', entries, shape, (n) => new Float32Array(n));
}

/** Stacks [F, H, W, C] byte clips to [B, F, H, W, C]. */
export function collateVideos(entries: ReadonlyArray<Entry<Uint8Array>>, shape: readonly [number, number, number, number]): StackedBatch<Uint8Array> {
  return stack('video', entries, shape, (n) => new Uint8Array(n));
}

/** Pads token ids with `padId` to [B, T] with a 1/0 mask; an absent text is all padding with `present` 0. */
export function collateTokens(entries: ReadonlyArray<Entry<ArrayLike<number>>>, options: TokenCollateOptions): PaddedBatch<Int32Array> {
  const { padId, truncate = false } = options;
  if (!Number.isInteger(padId)) throw new RangeError(`collateTokens: padId must be an integer, got ${padId}`);
  const longest = entries.reduce((m, e) => Math.max(m, e.value?.length ?? 0), 0);
  const t = options.length ?? Math.max(1, longest);
  checkShape('text length', [t]);
  const ids = new Int32Array(entries.length * t).fill(padId); // [B, T]
  const mask = new Float32Array(entries.length * t); // [B, T]
  const lengths = new Int32Array(entries.length); // [B]
  const present = new Float32Array(entries.length); // [B]
  entries.forEach(({ id, value }, b) => {
    if (value === undefined) return;
    if (value.length === 0) throw new CollateError(id, 'text', 'has no tokens; give an absent text instead of an empty one');
    if (value.length > t && !truncate) throw new CollateError(id, 'text', `has ${value.length} tokens, longer than length ${t}; raise length or set truncate: true`);
    const n = Math.min(value.length, t);
    for (let i = 0; i < n; i++) {
      const v = value[i]!;
      if (!Number.isInteger(v)) throw new CollateError(id, 'text', `token ${i} is ${v}, expected an integer id`);
      ids[b * t + i] = v;
    }
    mask.fill(1, b * t, b * t + n);
    lengths[b] = n;
    present[b] = 1;
  });
  return { data: ids, shape: [entries.length, t], mask, lengths, present };
}

/** Pads (zeros) or crops each waveform to `length` samples: [B, L] with a 1/0 mask of real samples. */
export function collateWaveforms(entries: ReadonlyArray<Entry<Float32Array>>, options: WaveformCollateOptions): PaddedBatch<Float32Array> {
  const { length, crop = 'start', rng } = options;
  checkShape('audio length', [length]);
  if (crop === 'random' && rng === undefined) throw new RangeError(`collateWaveforms: crop 'random' needs an rng`);
  const data = new Float32Array(entries.length * length); // [B, L]
  const mask = new Float32Array(entries.length * length); // [B, L]
  const lengths = new Int32Array(entries.length); // [B]
  const present = new Float32Array(entries.length); // [B]
  entries.forEach(({ id, value }, b) => {
    if (value === undefined) return;
    if (value.length === 0) throw new CollateError(id, 'audio', 'has no samples; give an absent audio instead of an empty one');
    const n = Math.min(value.length, length);
    const extra = value.length - n;
    const start = crop === 'start' ? 0 : crop === 'center' ? Math.floor(extra / 2) : (rng as Rng).int(extra + 1);
    data.set(value.subarray(start, start + n), b * length);
    mask.fill(1, b * length, b * length + n);
    lengths[b] = n;
    present[b] = 1;
  });
  return { data, shape: [entries.length, length], mask, lengths, present };
}

const SPEC_KEYS = ['audio', 'image', 'text', 'video'] as const; // sorted, so modalities are walked in a fixed order

/**
 * Collates samples with any subset of modalities into one batch. Each modality in `spec` gets a [B] `present`
 * mask so a multi-encoder model can skip absent ones; a modality present on a sample but missing from `spec`
 * is an error rather than silently dropped. Plain typed arrays, no tensors: wrap them at the training edge.
 */
export function collateBatch(samples: readonly CollateSample[], spec: CollateSpec): CollatedBatch {
  if (samples.length === 0) throw new RangeError('collateBatch: samples is empty');
  for (const s of samples) {
    for (const key of SPEC_KEYS) {
      if (s[key] !== undefined && spec[key] === undefined) {
        throw new CollateError(s.id, key, `is present but the collate spec has no '${key}' entry; add spec.${key} or drop it before collating`);
      }
    }
  }
  const entries = <K extends (typeof SPEC_KEYS)[number]>(key: K): Array<Entry<NonNullable<CollateSample[K]>>> =>
    samples.map((s) => ({ id: s.id, value: s[key] as NonNullable<CollateSample[K]> | undefined }));
  const out: CollatedBatch = { ids: samples.map((s) => s.id) };
  if (spec.audio !== undefined) out.audio = collateWaveforms(entries('audio'), spec.audio);
  if (spec.image !== undefined) out.image = collateImages(entries('image'), spec.image.shape);
  if (spec.text !== undefined) out.text = collateTokens(entries('text'), spec.text);
  if (spec.video !== undefined) out.video = collateVideos(entries('video'), spec.video.shape);
  return out;
}
