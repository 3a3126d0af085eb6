import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';

export const LogMelConfigSchema = z
  .object({
    sampleRate: z.number().int().positive().default(16000).describe('16 kHz as AST and Whisper; the waveform must already be at this rate'),
    nFft: z.number().int().min(2).default(400).describe('window = DFT length; 400 = 25 ms at 16 kHz, the Kaldi/AST/Whisper frame'),
    hopLength: z.number().int().positive().default(160).describe('160 = 10 ms at 16 kHz, the usual 100 frames per second'),
    nMels: z.number().int().positive().default(64).describe('64 keeps the patch grid small; AST uses 128'),
    fMin: z.number().min(0).default(0),
    fMax: z.number().positive().optional().describe('default sampleRate / 2 (Nyquist)'),
    center: z.boolean().default(true).describe('as torch.stft: frame t centred on sample t*hop, edges reflect-padded'),
    logFloor: z.number().positive().default(1e-6).describe('log(max(mel, floor)): 1e-6 sits far above the fp32 DFT noise yet ~100 dB below a full-scale tone'),
  })
  .strict()
  .refine((c) => c.fMax === undefined || c.fMax <= c.sampleRate / 2, { message: 'fMax must not exceed sampleRate / 2', path: ['fMax'] })
  .refine((c) => c.fMin < (c.fMax ?? c.sampleRate / 2), { message: 'fMin must be below fMax', path: ['fMin'] })
  .refine((c) => c.hopLength <= c.nFft, { message: 'hopLength above nFft skips samples', path: ['hopLength'] });
export type LogMelConfig = z.infer<typeof LogMelConfigSchema>;

export const hzToMel = (f: number): number => 2595 * Math.log10(1 + f / 700);
export const melToHz = (m: number): number => 700 * (10 ** (m / 2595) - 1);

/**
 * HTK-scale triangular filters [nFft/2+1, nMels], unnormalised: torchaudio's
 * melscale_fbanks(norm=None, mel_scale='htk'), the MelSpectrogram default. Throws on an empty filter.
 */
export function melFilterbank(config: LogMelConfig): Float32Array {
  const { sampleRate, nFft, nMels, fMin } = config;
  const fMax = config.fMax ?? sampleRate / 2;
  const bins = Math.floor(nFft / 2) + 1;
  const lo = hzToMel(fMin), hi = hzToMel(fMax);
  const edges = Array.from({ length: nMels + 2 }, (_, i) => melToHz(lo + ((hi - lo) * i) / (nMels + 1)));
  const fb = new Float32Array(bins * nMels);
  for (let m = 0; m < nMels; m++) {
    const [left, mid, right] = [edges[m]!, edges[m + 1]!, edges[m + 2]!];
    let total = 0;
    for (let k = 0; k < bins; k++) {
      const f = (k * sampleRate) / nFft;
      const w = Math.max(0, Math.min((f - left) / (mid - left), (right - f) / (right - mid)));
      fb[k * nMels + m] = w;
      total += w;
    }
    if (total === 0) {
      throw new Error(`melFilterbank: mel filter ${m} (${left.toFixed(1)}-${right.toFixed(1)} Hz) covers no DFT bin; raise nFft (${nFft}) or lower nMels (${nMels})`);
    }
  }
  return fb;
}

/** Number of frames for a waveform of `samples` samples. */
export function logMelFrames(samples: number, config: LogMelConfig): number {
  const { nFft, hopLength, center } = config;
  return center ? 1 + Math.floor(samples / hopLength) : 1 + Math.floor((samples - nFft) / hopLength);
}

/** Sample index of every (frame, tap), reflect padding folded in, so framing is a single gather. */
function frameIndices(samples: number, config: LogMelConfig): Int32Array {
  const { nFft, hopLength, center } = config;
  const pad = center ? Math.floor(nFft / 2) : 0;
  const frames = logMelFrames(samples, config);
  const idx = new Int32Array(frames * nFft);
  for (let t = 0; t < frames; t++) {
    for (let n = 0; n < nFft; n++) {
      let s = t * hopLength + n - pad;
      if (s < 0) s = -s;
      if (s >= samples) s = 2 * (samples - 1) - s;
      idx[t * nFft + n] = s;
    }
  }
  return idx;
}

/**
 * Log-mel spectrogram (the front end of AST, Gong et al. 2021, and Whisper) with ops every backend
 * has: framing is a gather, the windowed one-sided DFT a matmul against fixed cos/sin bases (no
 * Complex/FFT kernel), then |X|^2, an HTK mel filterbank and log(max(., floor)). Not trainable.
 */
export class LogMel {
  readonly config: LogMelConfig;
  readonly bins: number;
  private basis: tf.Tensor2D | undefined; // [nFft, 2 * bins]: Hann-windowed cos | sin
  private filterbank: tf.Tensor2D | undefined; // [bins, nMels]

  constructor(config: z.input<typeof LogMelConfigSchema>) {
    this.config = LogMelConfigSchema.parse(config);
    const { nFft, nMels } = this.config;
    this.bins = Math.floor(nFft / 2) + 1;
    const fb = melFilterbank(this.config);
    const basis = new Float32Array(nFft * 2 * this.bins);
    for (let n = 0; n < nFft; n++) {
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / nFft); // periodic Hann, as torch.hann_window
      for (let k = 0; k < this.bins; k++) {
        // Reduce n*k mod nFft first: the angle stays small, so float64 cos/sin stay exact.
        const angle = (2 * Math.PI * ((n * k) % nFft)) / nFft;
        basis[n * 2 * this.bins + k] = w * Math.cos(angle);
        basis[n * 2 * this.bins + this.bins + k] = -w * Math.sin(angle);
      }
    }
    this.basis = tf.keep(tf.tensor2d(basis, [nFft, 2 * this.bins]));
    this.filterbank = tf.keep(tf.tensor2d(fb, [this.bins, nMels]));
  }

  /** Frames for a waveform of this many samples. */
  frames(samples: number): number {
    return logMelFrames(samples, this.config);
  }

  /** waveform [B, samples] -> log-mel [B, frames, nMels]. */
  apply(waveform: tf.Tensor2D): tf.Tensor3D {
    const { basis, filterbank } = this;
    if (!basis || !filterbank) throw new Error('LogMel: used after dispose()');
    const { nFft, nMels, center, logFloor } = this.config;
    if (waveform.rank !== 2) throw new Error(`LogMel: expected waveform [B, samples], got [${waveform.shape.join(', ')}]`);
    const [b, samples] = waveform.shape;
    const min = center ? Math.floor(nFft / 2) + 1 : nFft;
    if (samples < min) {
      throw new Error(`LogMel: waveform has ${samples} samples; needs at least ${min} (nFft ${nFft}${center ? ', reflect padding' : ''})`);
    }
    const frames = this.frames(samples);
    return tf.tidy(() => {
      const idx = tf.tensor1d(frameIndices(samples, this.config), 'int32');
      const framed = tf.reshape(tf.gather(tf.cast(waveform, 'float32'), idx, 1), [b * frames, nFft]); // [B*F, nFft]
      const spec = tf.matMul(framed, basis); // [B*F, 2*bins]: re | im
      const [re, im] = tf.split(spec, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      const power = tf.add(tf.square(re), tf.square(im)); // [B*F, bins]
      const mel = tf.matMul(power, filterbank); // [B*F, nMels]
      return tf.reshape(tf.log(tf.maximum(mel, logFloor)), [b, frames, nMels]) as tf.Tensor3D;
    });
  }

  dispose(): void {
    this.basis?.dispose();
    this.filterbank?.dispose();
    this.basis = undefined;
    this.filterbank = undefined;
  }
}
