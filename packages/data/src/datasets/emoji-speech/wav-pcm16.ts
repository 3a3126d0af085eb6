import { DataError } from '../../errors.js';

/** What espeak-ng writes to a pipe as the RIFF and data sizes, since it cannot seek back to fill them in. */
const STREAMING_SIZE_MIN = 0x7fff0000;

export interface Pcm16 {
  sampleRate: number;
  /** Mono samples as written (int16). */
  samples: Int16Array;
}

/**
 * Reads a mono 16-bit PCM WAV (what espeak-ng writes), strictly: RIFF/WAVE magic, a PCM `fmt ` chunk (format 1,
 * 1 channel, 16 bits, block align 2, byte rate = rate * 2) before `data`, chunks inside the file, an even data size.
 * One allowance: a data size of 0x7fff0000 or more that overruns the file is read as "to the end" (a WAV streamed
 * to a pipe: espeak-ng writes 0x7ffff000 there); any other overrun is truncation and an error.
 * `expectedRate`, when given, must match.
 */
export function readWavPcm16(bytes: Uint8Array, file: string, expectedRate?: number): Pcm16 {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (reason: string): never => {
    throw new DataError(file, `not a mono 16-bit PCM WAV: ${reason}`);
  };
  if (buf.length < 12) fail(`${buf.length} bytes is shorter than a RIFF header`);
  if (buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') fail('missing RIFF/WAVE magic');
  let offset = 12;
  let format: { rate: number } | undefined;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('latin1', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + size > buf.length) fail(`fmt chunk of ${size} bytes does not fit`);
      const audioFormat = buf.readUInt16LE(body);
      const channels = buf.readUInt16LE(body + 2);
      const rate = buf.readUInt32LE(body + 4);
      const byteRate = buf.readUInt32LE(body + 8);
      const blockAlign = buf.readUInt16LE(body + 12);
      const bits = buf.readUInt16LE(body + 14);
      if (audioFormat !== 1) fail(`format ${audioFormat}, expected 1 (PCM)`);
      if (channels !== 1) fail(`${channels} channels, expected 1`);
      if (bits !== 16) fail(`${bits} bits per sample, expected 16`);
      if (rate < 1 || rate > 384_000) fail(`sample rate ${rate} out of range`);
      if (blockAlign !== 2 || byteRate !== rate * 2) fail(`block align ${blockAlign} / byte rate ${byteRate} inconsistent with mono 16-bit at ${rate} Hz`);
      if (expectedRate !== undefined && rate !== expectedRate) fail(`sample rate ${rate}, expected ${expectedRate}`);
      format = { rate };
    } else if (id === 'data') {
      if (format === undefined) fail('data chunk before fmt chunk');
      const remaining = buf.length - body;
      let length = size;
      if (size > remaining) {
        if (size < STREAMING_SIZE_MIN) fail(`data chunk declares ${size} bytes, only ${remaining} present (truncated)`);
        length = remaining;
      }
      if (length % 2 !== 0) fail(`data chunk has an odd byte count ${length}`);
      const samples = new Int16Array(length / 2);
      for (let i = 0; i < samples.length; i++) samples[i] = buf.readInt16LE(body + 2 * i);
      return { sampleRate: (format as { rate: number }).rate, samples };
    } else if (body + size > buf.length) {
      fail(`chunk '${id.replace(/[^\x20-\x7e]/g, '?')}' of ${size} bytes overruns the file`);
    }
    offset = body + size + (size % 2); // chunks are padded to even sizes
  }
  return fail('no data chunk');
}

/** A mono 16-bit PCM WAV with exact sizes (for tests and for writing clips out). */
export function writeWavPcm16(samples: Int16Array, sampleRate: number): Buffer {
  const data = samples.length * 2;
  const buf = Buffer.alloc(44 + data);
  buf.write('RIFF', 0, 'latin1');
  buf.writeUInt32LE(36 + data, 4);
  buf.write('WAVEfmt ', 8, 'latin1');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'latin1');
  buf.writeUInt32LE(data, 40);
  for (let i = 0; i < samples.length; i++) buf.writeInt16LE(samples[i] as number, 44 + 2 * i);
  return buf;
}
