import { describe, expect, it } from 'vitest';
import { readWavPcm16, writeWavPcm16 } from './wav-pcm16.js';

const tone = Int16Array.from({ length: 100 }, (_, i) => Math.round(10_000 * Math.sin(i / 3)));

function patch(buf: Buffer, at: number, write: (b: Buffer) => void): Buffer {
  const copy = Buffer.from(buf);
  write(copy.subarray(at));
  return copy;
}

describe('readWavPcm16', () => {
  it('reads back what writeWavPcm16 wrote', () => {
    const wav = readWavPcm16(writeWavPcm16(tone, 22_050), 'tone.wav', 22_050);
    expect(wav.sampleRate).toBe(22_050);
    expect(Array.from(wav.samples)).toEqual(Array.from(tone));
  });

  it("reads espeak-ng's streamed WAV, whose sizes are placeholders, to the end of the data", () => {
    const wav = writeWavPcm16(tone, 22_050);
    wav.writeUInt32LE(0x7ffff024, 4);
    wav.writeUInt32LE(0x7ffff000, 40);
    expect(readWavPcm16(wav, 'pipe').samples.length).toBe(100);
  });

  it('skips unknown chunks, including odd-sized ones with their pad byte', () => {
    const plain = writeWavPcm16(tone, 8000);
    const extra = Buffer.concat([Buffer.from('LIST', 'latin1'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc\0', 'latin1')]);
    const wav = Buffer.concat([plain.subarray(0, 36), extra, plain.subarray(36)]);
    expect(Array.from(readWavPcm16(wav, 'list.wav').samples)).toEqual(Array.from(tone));
  });

  it.each([
    ['a short file', () => Buffer.from('RIFF'), /shorter than a RIFF header/],
    ['a wrong magic', () => patch(writeWavPcm16(tone, 8000), 8, (b) => b.write('AVI ', 'latin1')), /missing RIFF\/WAVE magic/],
    ['stereo', () => patch(writeWavPcm16(tone, 8000), 22, (b) => b.writeUInt16LE(2)), /2 channels, expected 1/],
    ['8-bit samples', () => patch(writeWavPcm16(tone, 8000), 34, (b) => b.writeUInt16LE(8)), /8 bits per sample/],
    ['float samples', () => patch(writeWavPcm16(tone, 8000), 20, (b) => b.writeUInt16LE(3)), /format 3, expected 1/],
    ['an inconsistent byte rate', () => patch(writeWavPcm16(tone, 8000), 28, (b) => b.writeUInt32LE(1234)), /byte rate 1234/],
    ['a truncated data chunk', () => writeWavPcm16(tone, 8000).subarray(0, 100), /declares 200 bytes, only 56 present \(truncated\)/],
    ['an odd data size', () => patch(writeWavPcm16(tone, 8000), 40, (b) => b.writeUInt32LE(199)), /odd byte count 199/],
    ['no data chunk', () => writeWavPcm16(tone, 8000).subarray(0, 36), /no data chunk/],
    ['a data chunk before fmt', () => {
      const w = writeWavPcm16(tone, 8000);
      return Buffer.concat([w.subarray(0, 12), w.subarray(36), w.subarray(12, 36)]);
    }, /data chunk before fmt/],
  ])('rejects %s with the file and reason', (_name, make, reason) => {
    expect(() => readWavPcm16(make(), 'bad.wav')).toThrow(reason);
    expect(() => readWavPcm16(make(), 'bad.wav')).toThrow(/^bad\.wav: not a mono 16-bit PCM WAV/);
  });

  it('checks the expected rate', () => {
    expect(() => readWavPcm16(writeWavPcm16(tone, 16_000), 'x.wav', 22_050)).toThrow(/sample rate 16000, expected 22050/);
  });
});
