import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav, type WavEncoding } from './encode-wav.js';
import { MediaError } from './media-error.js';
import { resample } from './resample.js';
import { decodeWav, loadWav } from './wav.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modalab-wav-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sine = (freq: number, rate: number, seconds: number, amplitude = 0.5): Float32Array =>
  Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => amplitude * Math.sin((2 * Math.PI * freq * i) / rate));

/** Frequency (Hz) of the largest DFT magnitude over `n` samples taken from the middle, Hann-windowed. */
function peakFrequency(x: Float32Array, rate: number, n = 2048): number {
  const start = Math.floor((x.length - n) / 2);
  let best = 0;
  let bestMag = -1;
  for (let k = 1; k < n / 2; k++) {
    let re = 0;
    let im = 0;
    for (let i = 0; i < n; i++) {
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
      const v = (x[start + i] as number) * w;
      re += v * Math.cos((2 * Math.PI * k * i) / n);
      im -= v * Math.sin((2 * Math.PI * k * i) / n);
    }
    const mag = re * re + im * im;
    if (mag > bestMag) [best, bestMag] = [k, mag];
  }
  return (best * rate) / n;
}
const rms = (x: Float32Array, from = 0, to = x.length): number => {
  let s = 0;
  for (let i = from; i < to; i++) s += (x[i] as number) ** 2;
  return Math.sqrt(s / (to - from));
};

describe('decodeWav', () => {
  const values = Float32Array.from([0, 0.5, -0.5, 0.99, -1, 0.123456, -0.654321, 1e-3]);
  it.each<[WavEncoding, number]>([
    ['pcm8', 8],
    ['pcm16', 16],
    ['pcm24', 24],
    ['pcm32', 32],
    ['float32', 0],
  ])('round-trips %s within half a quantisation step', (encoding, bits) => {
    const clip = decodeWav(encodeWav(values, { sampleRate: 8000, encoding }), 'x.wav');
    expect(clip.sampleRate).toBe(8000);
    expect(clip.source).toMatchObject({ channels: 1, sampleRate: 8000, frames: values.length, encoding: bits === 0 ? 'float' : 'pcm', bitsPerSample: bits === 0 ? 32 : bits });
    const step = bits === 0 ? 0 : 2 ** -(bits - 1);
    values.forEach((v, i) => expect(Math.abs((clip.samples[i] as number) - v)).toBeLessThanOrEqual(step / 2 + 1e-7));
  });

  it('downmixes stereo by the mean of the channels', () => {
    const stereo = Float32Array.from([0.5, -0.5, 1, 0, -0.25, -0.75]);
    const clip = decodeWav(encodeWav(stereo, { sampleRate: 8000, channels: 2, encoding: 'float32' }), 'x.wav');
    expect(Array.from(clip.samples)).toEqual([0, 0.5, -0.5]);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE and skips unknown chunks (padded to even sizes)', () => {
    const plain = encodeWav(Float32Array.from([0.25, -0.25]), { sampleRate: 8000, encoding: 'pcm16' });
    const fmt = Buffer.alloc(8 + 40);
    fmt.write('fmt ', 0, 'latin1');
    fmt.writeUInt32LE(40, 4);
    plain.copy(fmt, 8, 20, 36); // the 16 standard bytes
    fmt.writeUInt16LE(0xfffe, 8);
    fmt.writeUInt16LE(22, 24); // cbSize
    fmt.writeUInt16LE(16, 26); // valid bits
    fmt.writeUInt16LE(1, 32); // sub-format GUID starts with PCM
    const list = Buffer.concat([Buffer.from('LIST', 'latin1'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc'), Buffer.alloc(1)]);
    const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), list, fmt, plain.subarray(36)]);
    const head = Buffer.alloc(8);
    head.write('RIFF', 0, 'latin1');
    head.writeUInt32LE(body.length, 4);
    expect(Array.from(decodeWav(Buffer.concat([head, body]), 'x.wav').samples)).toEqual([0.25, -0.25]);
  });

  it('resamples a 1 kHz sine from 44.1 kHz to 16 kHz and from 8 kHz to 22.05 kHz with the peak in place', () => {
    const down = decodeWav(encodeWav(sine(1000, 44_100, 0.5), { sampleRate: 44_100 }), 'x.wav', { sampleRate: 16_000 });
    expect(down.samples.length).toBe(8000);
    expect(Math.abs(peakFrequency(down.samples, 16_000) - 1000)).toBeLessThanOrEqual(16_000 / 2048);
    expect(rms(down.samples, 1000, 7000)).toBeCloseTo(0.5 / Math.SQRT2, 2);
    const up = decodeWav(encodeWav(sine(1000, 8000, 0.5), { sampleRate: 8000 }), 'x.wav', { sampleRate: 22_050 });
    expect(Math.abs(peakFrequency(up.samples, 22_050) - 1000)).toBeLessThanOrEqual(22_050 / 2048);
    expect(rms(up.samples, 2000, 9000)).toBeCloseTo(0.5 / Math.SQRT2, 2);
  });

  it('removes content above the new Nyquist instead of folding it (anti-alias low-pass)', () => {
    // 7 kHz at 44.1 kHz would alias to 1 kHz at 8 kHz; the windowed-sinc kernel attenuates it by > 60 dB.
    const out = resample(sine(7000, 44_100, 0.5), 44_100, 8000);
    expect(rms(out, 400, 3600) / (0.5 / Math.SQRT2)).toBeLessThan(1e-3);
    // A 3 kHz tone (inside the pass band) survives within 0.1 dB.
    const kept = resample(sine(3000, 44_100, 0.5), 44_100, 8000);
    expect(Math.abs(20 * Math.log10(rms(kept, 400, 3600) / (0.5 / Math.SQRT2)))).toBeLessThan(0.1);
  });

  const wav = (): Buffer => encodeWav(sine(440, 8000, 0.01), { sampleRate: 8000, channels: 1, encoding: 'pcm16' });
  const patched = (edit: (b: Buffer) => void, from = wav()): Buffer => {
    const b = Buffer.from(from);
    edit(b);
    return b;
  };
  const floats = encodeWav(Float32Array.from([0.1, Number.NaN, 0.2, 0.3]), { sampleRate: 8000, channels: 2, encoding: 'float32' });
  it.each<[string, Buffer, RegExp, string]>([
    ['a missing RIFF tag', patched((b) => b.write('RIFX', 0, 'latin1')), /RIFX WAV .* not supported/, 'unsupported-format'],
    ['random bytes', Buffer.from('hello, this is not audio at all'), /not a RIFF file \(starts with "hell", expected "RIFF"\)/, 'bad-header'],
    ['an MP3 renamed .wav', Buffer.concat([Buffer.from('ID3'), Buffer.alloc(40)]), /this is MP3, not WAV; convert it with `ffmpeg/, 'unsupported-format'],
    ['a non-WAVE RIFF', patched((b) => b.write('AVI ', 8, 'latin1')), /RIFF file of type "AVI ", expected "WAVE"/, 'bad-header'],
    ['zero channels', patched((b) => b.writeUInt16LE(0, 22)), /declares zero channels/, 'zero-channels'],
    ['six channels', patched((b) => b.writeUInt16LE(6, 22)), /6 channels, over the limit of 2/, 'too-large'],
    ['a 0 Hz rate', patched((b) => b.writeUInt32LE(0, 24)), /sample rate of 0 Hz/, 'bad-header'],
    ['a wrong block align', patched((b) => b.writeUInt16LE(4, 32)), /block align 4 does not match 1 channels x 16 bits \(2\)/, 'bad-header'],
    ['12-bit PCM', patched((b) => b.writeUInt16LE(12, 34)), /12-bit PCM WAV is not supported/, 'unsupported-format'],
    ['mu-law', patched((b) => b.writeUInt16LE(7, 20)), /WAV encoding mu-law is not supported/, 'unsupported-format'],
    ['truncated data', wav().subarray(0, 100), /RIFF header declares 204 bytes, the file has 100/, 'truncated'],
    ['a data chunk longer than the file', patched((b) => { b.writeUInt32LE(1000, 40); }), /the "data" chunk declares 1000 bytes, only 160 follow/, 'truncated'],
    ['a partial frame', patched((b) => { b.writeUInt32LE(159, 40); }), /not a whole number of 2-byte frames/, 'truncated'],
    ['a header only', wav().subarray(0, 8), /not a RIFF\/WAVE file \(8 bytes\)|shorter than a RIFF header/, 'truncated'],
    ['NaN samples', floats, /sample 0 \(channel 1\) is NaN/, 'nan-samples'],
  ])('refuses %s with a reason code', (_name, bytes, message, code) => {
    let error: unknown;
    try {
      decodeWav(bytes, 'bad.wav');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MediaError);
    expect((error as MediaError).message).toMatch(/^bad\.wav: /);
    expect((error as MediaError).message).toMatch(message);
    expect((error as MediaError).code).toBe(code);
    expect((error as MediaError).modality).toBe('audio');
  });

  it('checks duration, size and rate limits from the header and stat before decoding', async () => {
    const file = join(dir, 'long.wav');
    await writeFile(file, encodeWav(new Float32Array(8000), { sampleRate: 8000 }));
    await expect(loadWav(file, { maxSeconds: 0.5 })).rejects.toThrow(/long\.wav: WAV lasts 1\.0 s, over the limit of 0\.5 s/);
    await expect(loadWav(file, { maxBytes: 1000 })).rejects.toThrow(/long\.wav: audio file is 16044 bytes, over the limit of 1000/);
    await expect(loadWav(file, { maxSampleRate: 4000 })).rejects.toThrow(/sample rate 8000 Hz is outside \[1000, 4000\]/);
    await writeFile(join(dir, 'empty.wav'), '');
    await expect(loadWav(join(dir, 'empty.wav'))).rejects.toThrow(/empty\.wav: audio file is empty \(0 bytes\)/);
    await expect(loadWav(join(dir, 'none.wav'))).rejects.toThrow(/none\.wav: audio file not found/);
    const clip = await loadWav(file, { sampleRate: 16_000 });
    expect(clip.samples.length).toBe(16_000);
  });
});
