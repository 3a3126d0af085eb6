/**
 * Band-limited resampling by a Kaiser-windowed sinc (Smith, "Digital Audio Resampling"; the same design
 * as resampy and libsoxr). The kernel has `zeros` zero crossings on each side, a Kaiser window of shape
 * `beta`, and its cutoff at `rolloff` times the lower of the two Nyquist frequencies, so when
 * downsampling it is also the anti-alias low-pass: content above the new Nyquist is removed, not folded.
 * Defaults (16 crossings, beta 8.6, rolloff 0.945) attenuate the stop band by about 80 dB and keep the
 * pass band flat to within 0.1 dB up to 0.9 of the new Nyquist; samples outside the clip count as zero.
 */
export interface ResampleOptions {
  zeros?: number;
  beta?: number;
  rolloff?: number;
}

/** Samples of the kernel per zero crossing; the rest is linear interpolation between them. */
const TABLE_PRECISION = 512;
const tables = new Map<string, Float64Array>();

export function resample(input: Float32Array, fromRate: number, toRate: number, options: ResampleOptions = {}): Float32Array {
  for (const [name, v] of Object.entries({ fromRate, toRate })) {
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`resample: ${name} must be a positive number, got ${v}`);
  }
  const zeros = options.zeros ?? 16;
  const beta = options.beta ?? 8.6;
  const rolloff = options.rolloff ?? 0.945;
  if (!Number.isInteger(zeros) || zeros < 1) throw new RangeError(`resample: zeros must be a positive integer, got ${zeros}`);
  if (!(rolloff > 0 && rolloff <= 1)) throw new RangeError(`resample: rolloff must be in (0, 1], got ${rolloff}`);
  if (fromRate === toRate) return input.slice();

  const ratio = toRate / fromRate;
  const outLength = Math.ceil((input.length * toRate) / fromRate);
  const out = new Float32Array(outLength);
  const table = kernelTable(zeros, beta);
  // Cutoff in cycles per input sample, relative to the input Nyquist: 1 when upsampling, ratio when downsampling.
  const cutoff = rolloff * Math.min(1, ratio);
  const halfWidth = zeros / cutoff; // in input samples
  const n = input.length;
  for (let j = 0; j < outLength; j++) {
    const t = j / ratio; // output sample j sits at input time t
    const lo = Math.max(0, Math.ceil(t - halfWidth));
    const hi = Math.min(n - 1, Math.floor(t + halfWidth));
    let acc = 0;
    for (let k = lo; k <= hi; k++) {
      const u = Math.abs(t - k) * cutoff * TABLE_PRECISION; // distance in table steps
      const i = Math.floor(u);
      const frac = u - i;
      const a = table[i] ?? 0;
      const b = table[i + 1] ?? 0;
      acc += (input[k] as number) * (a + (b - a) * frac);
    }
    out[j] = acc * cutoff;
  }
  return out;
}

/** sinc(u) * kaiser(u / zeros) for u in [0, zeros], TABLE_PRECISION samples per unit. */
function kernelTable(zeros: number, beta: number): Float64Array {
  const key = `${zeros}:${beta}`;
  const cached = tables.get(key);
  if (cached !== undefined) return cached;
  const size = zeros * TABLE_PRECISION + 1;
  const table = new Float64Array(size + 1); // one trailing zero so interpolation at the edge reads 0
  const i0Beta = besselI0(beta);
  for (let i = 0; i < size; i++) {
    const u = i / TABLE_PRECISION;
    const sinc = u === 0 ? 1 : Math.sin(Math.PI * u) / (Math.PI * u);
    const r = u / zeros;
    table[i] = (sinc * besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r)))) / i0Beta;
  }
  tables.set(key, table);
  return table;
}

/** Modified Bessel function of the first kind, order 0, by its power series (converges fast for x < 50). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 500; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-16) break;
  }
  return sum;
}
