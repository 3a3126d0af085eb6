export type WavEncoding = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32';

/**
 * Writes a canonical 44-byte-header WAV (RIFF, `fmt ` then `data`). `samples` are interleaved
 * (`[frame0 ch0, frame0 ch1, frame1 ch0, ...]`) floats in [-1, 1]; integer encodings round to the
 * nearest step and clamp, 8-bit is unsigned (offset 128) as the format requires.
 */
export function encodeWav(samples: Float32Array, options: { sampleRate: number; channels?: number; encoding?: WavEncoding }): Buffer {
  const channels = options.channels ?? 1;
  const encoding = options.encoding ?? 'pcm16';
  if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`encodeWav: channels must be a positive integer, got ${channels}`);
  if (samples.length % channels !== 0) throw new RangeError(`encodeWav: ${samples.length} samples is not a whole number of ${channels}-channel frames`);
  if (!Number.isInteger(options.sampleRate) || options.sampleRate < 1) throw new RangeError(`encodeWav: sampleRate must be a positive integer, got ${options.sampleRate}`);
  const bits = encoding === 'float32' ? 32 : Number(encoding.slice(3));
  const bytes = bits / 8;
  const dataBytes = samples.length * bytes;
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVEfmt ', 8, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(encoding === 'float32' ? 3 : 1, 20);
  out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(options.sampleRate, 24);
  out.writeUInt32LE(options.sampleRate * channels * bytes, 28);
  out.writeUInt16LE(channels * bytes, 32);
  out.writeUInt16LE(bits, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(dataBytes, 40);
  const scale = 2 ** (bits - 1);
  const quantise = (x: number): number => Math.max(-scale, Math.min(scale - 1, Math.round(x * scale)));
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i] as number;
    const at = 44 + i * bytes;
    if (encoding === 'float32') out.writeFloatLE(x, at);
    else if (bits === 8) out.writeUInt8(quantise(x) + 128, at);
    else out.writeIntLE(quantise(x), at, bytes);
  }
  return out;
}
