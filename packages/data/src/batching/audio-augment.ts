import type { Rng } from '@modalab/core';

function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.next();
}

function checkRange(name: string, [lo, hi]: readonly [number, number]): void {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) throw new RangeError(`${name} must be a finite [min, max] with min <= max, got [${lo}, ${hi}]`);
}

/** Scales a waveform by a gain drawn uniformly in decibels from `db` (e.g. [-6, 6]). Returns a new array. */
export function randomGain(samples: Float32Array, db: readonly [number, number], rng: Rng): Float32Array {
  checkRange('randomGain: db', db);
  const factor = 10 ** (uniform(rng, db[0], db[1]) / 20);
  return samples.map((v) => v * factor);
}

export interface TimeShiftOptions {
  /** Largest shift, as a fraction of the length (0.1 = up to 10% either way). */
  maxFraction: number;
  /** `zero`: samples shifted out are lost and the gap is silence; `roll`: they wrap around. Default `zero`. */
  mode?: 'zero' | 'roll';
}

/** Shifts a waveform by a whole number of samples drawn uniformly in [-max, max]. Returns a new array. */
export function randomTimeShift(samples: Float32Array, options: TimeShiftOptions, rng: Rng): Float32Array {
  const { maxFraction, mode = 'zero' } = options;
  if (!(maxFraction >= 0 && maxFraction <= 1)) throw new RangeError(`randomTimeShift: maxFraction must be in [0, 1], got ${maxFraction}`);
  const n = samples.length;
  const max = Math.floor(maxFraction * n);
  const shift = rng.int(2 * max + 1) - max; // > 0 moves the sound later
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const src = i - shift;
    if (src >= 0 && src < n) out[i] = samples[src]!;
    else if (mode === 'roll') out[i] = samples[((src % n) + n) % n]!;
  }
  return out;
}

export interface SpecAugmentOptions {
  /** Number of time masks and the largest width of each (frames). */
  timeMasks: number;
  maxTimeWidth: number;
  /** Number of frequency masks and the largest width of each (bins). */
  freqMasks: number;
  maxFreqWidth: number;
  /** Value written into masked cells. Default 0 (the mean of a normalised log-mel spectrogram). */
  fill?: number;
}

/**
 * SpecAugment's time and frequency masking (Park et al. 2019, "SpecAugment: A Simple Data Augmentation
 * Method for Automatic Speech Recognition", section 2; time warping is left out) on a row-major [T, F]
 * spectrogram: each mask has a width drawn uniformly in [0, max] and a start uniformly where it fits.
 * Returns a new array; the input is untouched.
 */
export function specAugment(spec: Float32Array, shape: readonly [number, number], options: SpecAugmentOptions, rng: Rng): Float32Array {
  const [t, f] = shape;
  if (!Number.isInteger(t) || !Number.isInteger(f) || t < 1 || f < 1) throw new RangeError(`specAugment: shape must be positive integers [T, F], got [${t}, ${f}]`);
  if (spec.length !== t * f) throw new RangeError(`specAugment: spec has ${spec.length} values, expected [T, F] = [${t}, ${f}] = ${t * f}`);
  for (const key of ['timeMasks', 'maxTimeWidth', 'freqMasks', 'maxFreqWidth'] as const) {
    const v = options[key];
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`specAugment: ${key} must be an integer >= 0, got ${v}`);
  }
  const fill = options.fill ?? 0;
  const out = spec.slice(); // [T, F]
  for (let m = 0; m < options.timeMasks; m++) {
    const w = rng.int(Math.min(options.maxTimeWidth, t) + 1);
    const t0 = rng.int(t - w + 1);
    out.fill(fill, t0 * f, (t0 + w) * f);
  }
  for (let m = 0; m < options.freqMasks; m++) {
    const w = rng.int(Math.min(options.maxFreqWidth, f) + 1);
    const f0 = rng.int(f - w + 1);
    for (let row = 0; row < t; row++) out.fill(fill, row * f + f0, row * f + f0 + w);
  }
  return out;
}
