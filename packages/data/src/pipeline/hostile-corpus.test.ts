import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../decode/encode-wav.js';
import { MediaError } from '../decode/media-error.js';
import { readDataset } from '../manifest/read-dataset.js';
import { decodeDataset } from './decode-dataset.js';

// A corpus of hostile inputs, generated here: every bad item must be reported exactly once with its
// reason code, every good item must still load, and nothing may crash or reject unhandled.
let tmp: string;
let dir: string;
const at = (name: string): string => join(dir, name);
const put = (name: string, content: string | Uint8Array): Promise<void> => writeFile(at(name), content);

/** Good items by id, and bad items by id (or by line for records without one) with their expected code. */
const GOOD = ['g-png', 'g-jpg', 'g-png-named-jpg', 'g-wav16', 'g-wav24-stereo', 'g-wav-f32', 'g-video', 'g-text'];
const BAD: Record<string, string> = {
  'b-trunc-png': 'truncated',
  'b-flip-png': 'bad-header',
  'b-trunc-jpg': 'truncated',
  'b-flip-jpg': 'bad-header',
  'b-huge-png': 'too-large',
  'b-zero-png': 'empty-file',
  'b-text-png': 'unsupported-format',
  'b-riff': 'bad-header',
  'b-zero-channels': 'zero-channels',
  'b-nan': 'nan-samples',
  'b-trunc-wav': 'truncated',
  'b-mp3-wav': 'unsupported-format',
  'b-trunc-mp4': 'truncated',
  'b-dotdot': 'path-escapes',
  'b-absolute': 'path-absolute',
  'b-symlink': 'symlink-escapes',
  'b-missing': 'missing-file',
  'b-empty-text': 'empty-caption',
  'b-dup': 'duplicate-id',
  'line-26': 'non-utf8',
  'line-27': 'manifest-syntax',
};

function pngClaiming(png: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(png);
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  return out;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'modalab-hostile-'));
  dir = join(tmp, 'set');
  await mkdir(dir);
  const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#3080c0' } }).png({ compressionLevel: 0 }).toBuffer();
  const jpg = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#c08030' } }).jpeg().toBuffer();
  await put('good.png', png);
  await put('good.jpg', jpg);
  await put('png-named.jpg', png);
  await put('trunc.png', png.subarray(0, png.length >> 1));
  const flipped = Buffer.from(png);
  for (let i = 60; i < 70; i++) flipped[i] = (flipped[i] as number) ^ 0xff; // inside IDAT: its CRC no longer matches
  await put('flip.png', flipped);
  await put('trunc.jpg', jpg.subarray(0, jpg.length >> 1));
  const flippedJpg = Buffer.from(jpg);
  const dht = flippedJpg.indexOf(Buffer.from([0xff, 0xc4]));
  flippedJpg[dht + 5] = (flippedJpg[dht + 5] as number) ^ 0xff; // a Huffman table's code counts
  flippedJpg[dht + 6] = (flippedJpg[dht + 6] as number) ^ 0xff;
  await put('flip.jpg', flippedJpg);
  await put('huge.png', pngClaiming(png, 100_000, 100_000));
  await put('zero.png', '');
  await put('text.png', 'just some text, not an image');

  const tone = Float32Array.from({ length: 800 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 8000));
  const stereo = Float32Array.from({ length: 1600 }, (_, i) => (tone[i >> 1] as number) * (i % 2 === 0 ? 1 : 0.5));
  await put('tone16.wav', encodeWav(tone, { sampleRate: 8000, encoding: 'pcm16' }));
  await put('tone24.wav', encodeWav(stereo, { sampleRate: 11_025, channels: 2, encoding: 'pcm24' }));
  await put('tonef32.wav', encodeWav(tone, { sampleRate: 16_000, encoding: 'float32' }));
  const wav = encodeWav(tone, { sampleRate: 8000 });
  const riff = Buffer.from(wav);
  riff.write('RIFQ', 0, 'latin1');
  await put('riff.wav', riff);
  const zeroChannels = Buffer.from(wav);
  zeroChannels.writeUInt16LE(0, 22);
  await put('zero-ch.wav', zeroChannels);
  const nan = Float32Array.from(tone);
  nan[100] = Number.NaN;
  await put('nan.wav', encodeWav(nan, { sampleRate: 8000, encoding: 'float32' }));
  await put('trunc.wav', wav.subarray(0, 500));
  await put('mp3.wav', Buffer.concat([Buffer.from('ID3\u0003\u0000'), Buffer.alloc(100)]));

  // 8 frames of 16x16 with an 8 kHz audio track, PNG in MKV; and a noise mp4 cut in half.
  await put('tone-track.wav', encodeWav(Float32Array.from({ length: 8000 }, (_, i) => tone[i % 800] as number), { sampleRate: 8000 }));
  const frames = Buffer.alloc(8 * 16 * 16 * 3);
  let seed = 1;
  for (let i = 0; i < frames.length; i++) frames[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  const enc = (args: string[]) => {
    const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', '16x16', '-r', '8', '-i', 'pipe:0', ...args], { input: frames });
    if (r.status !== 0) throw new Error(`test setup: ffmpeg failed: ${r.stderr.toString()}`);
  };
  enc(['-i', at('tone-track.wav'), '-c:v', 'png', '-c:a', 'pcm_s16le', at('clip.mkv')]);
  enc(['-c:v', 'mpeg4', '-q:v', '2', '-pix_fmt', 'yuv420p', at('noise.mp4')]);
  const mp4 = spawnSync('cat', [at('noise.mp4')]).stdout;
  await put('trunc.mp4', mp4.subarray(0, mp4.length >> 1));

  await writeFile(join(tmp, 'outside.png'), png);
  await symlink(join(tmp, 'outside.png'), at('link-out.png'));

  const rows: Array<Record<string, unknown> | Buffer> = [
    { id: 'g-png', image: 'good.png', text: 'a blue square' },
    { id: 'g-jpg', image: 'good.jpg', text: ['an orange square', 'orange'] },
    { id: 'g-png-named-jpg', image: 'png-named.jpg' },
    { id: 'g-wav16', audio: 'tone16.wav', text: 'a tone' },
    { id: 'g-wav24-stereo', audio: 'tone24.wav' },
    { id: 'g-wav-f32', audio: 'tonef32.wav' },
    { id: 'g-video', video: 'clip.mkv', text: 'noise' },
    { id: 'g-text', text: 'only words' },
    { id: 'b-trunc-png', image: 'trunc.png' },
    { id: 'b-flip-png', image: 'flip.png' },
    { id: 'b-trunc-jpg', image: 'trunc.jpg' },
    { id: 'b-flip-jpg', image: 'flip.jpg' },
    { id: 'b-huge-png', image: 'huge.png' },
    { id: 'b-zero-png', image: 'zero.png' },
    { id: 'b-text-png', image: 'text.png' },
    { id: 'b-riff', audio: 'riff.wav' },
    { id: 'b-zero-channels', audio: 'zero-ch.wav' },
    { id: 'b-nan', audio: 'nan.wav' },
    { id: 'b-trunc-wav', audio: 'trunc.wav' },
    { id: 'b-mp3-wav', audio: 'mp3.wav' },
    { id: 'b-trunc-mp4', video: 'trunc.mp4' },
    { id: 'b-dotdot', image: '../outside.png' },
    { id: 'b-absolute', image: join(tmp, 'outside.png') },
    { id: 'b-symlink', image: 'link-out.png' },
    { id: 'b-missing', image: 'missing.png' },
    Buffer.from([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), // {"id":"<invalid UTF-8>"}
    Buffer.from('{"id": "b-broken", "image": '),
    { id: 'b-empty-text', image: 'good.png', text: '' },
    { id: 'g-png', image: 'good.jpg', text: 'again' },
  ];
  const lines = rows.map((r) => (Buffer.isBuffer(r) ? r : Buffer.from(JSON.stringify(r))));
  await put('manifest.jsonl', Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const options = {
  image: { size: 4 },
  audio: { sampleRate: 8000 },
  video: { size: 8, frames: 2, sampling: { kind: 'uniform' as const }, audioSampleRate: 8000 },
  concurrency: 2,
};

describe('hostile corpus', () => {
  it('skip: zero crashes, every bad item reported exactly once with its code, every good item loaded', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const file = at('manifest.jsonl');
      const dataset = await readDataset(file);
      const { items, report } = await decodeDataset(dataset, { ...options, policy: { mode: 'skip', maxConsecutiveBad: 1000, maxBadFraction: 1 } });
      // Let any stray promise settle before counting unhandled rejections.
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);

      expect(items.map((d) => d.item.id)).toEqual(GOOD);
      const byId = new Map(items.map((d) => [d.item.id, d]));
      expect(byId.get('g-png')?.image?.length).toBe(4 * 4 * 3);
      expect(byId.get('g-png-named-jpg')?.image?.length).toBe(48);
      expect(byId.get('g-wav16')?.audio?.length).toBe(800);
      expect(byId.get('g-wav24-stereo')?.audio?.length).toBe(Math.ceil((800 * 8000) / 11_025));
      expect(byId.get('g-wav-f32')?.audio?.length).toBe(400);
      expect(byId.get('g-video')?.video?.length).toBe(2 * 8 * 8 * 3);
      expect(Math.abs((byId.get('g-video')?.audio?.length ?? 0) - 8000)).toBeLessThan(200);
      expect(byId.get('g-text')?.item.texts).toEqual(['only words']);

      const json = report.toJSON();
      const keys = json.bad.map((b) => (b.id !== undefined && b.code !== 'duplicate-id' ? b.id : b.code === 'duplicate-id' ? 'b-dup' : `line-${b.line}`));
      expect(new Set(keys).size).toBe(keys.length); // exactly once
      expect(Object.fromEntries(json.bad.map((b, i) => [keys[i], b.code]))).toEqual(BAD);
      expect(json.counts).toEqual({ seen: GOOD.length + Object.keys(BAD).length, good: GOOD.length, bad: Object.keys(BAD).length });
      for (const b of json.bad) {
        expect(b.file).toBe(file);
        expect(b.line).toBeGreaterThan(0);
        expect(b.reason.length).toBeGreaterThan(5);
      }
      expect(json.bad.find((b) => b.id === 'b-nan')).toMatchObject({ modality: 'audio', path: at('nan.wav') });
      expect(json.bad.find((b) => b.id === 'b-huge-png')?.reason).toMatch(/100000x100000/);

      // A second pass (the next epoch) reports nothing new.
      await decodeDataset(dataset, { ...options, policy: { mode: 'skip' }, report });
      expect(report.toJSON().bad).toHaveLength(json.bad.length);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('strict: the first bad item fails with the manifest, its line and the reason', async () => {
    const dataset = await readDataset(at('manifest.jsonl'));
    const error = await decodeDataset(dataset, { ...options, policy: { mode: 'strict' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    // Records refused while reading (paths, files, syntax) come first, by line: the zero-byte PNG on line 14.
    expect((error as Error).message).toMatch(/manifest\.jsonl:14: image file .*zero\.png is empty \(0 bytes\)/);
    expect((error as MediaError).code).toBe('empty-file');
  });

  it('skip: aborts a mostly-broken dataset past the bad fraction, with a complete report', async () => {
    const dataset = await readDataset(at('manifest.jsonl'));
    const error = await decodeDataset(dataset, { ...options, policy: { mode: 'skip', maxConsecutiveBad: 1000, maxBadFraction: 0.2, minItemsForFraction: 10 } }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/aborting: \d+ of \d+ items are bad/);
  });

  it('folder layout: missing, empty and non-UTF-8 captions and orphans are reported, good pairs load', async () => {
    const root = join(tmp, 'folder');
    await mkdir(join(root, 'images'), { recursive: true });
    await mkdir(join(root, 'captions'));
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ff0000' } }).png().toBuffer();
    for (const n of ['a.PNG', 'b.png', 'c.png', 'd.png', 'e.png']) await writeFile(join(root, 'images', n), png);
    await writeFile(join(root, 'images', 'e.png'), png.subarray(0, 20));
    await writeFile(join(root, 'captions', 'a.txt'), 'a red square\nred\n');
    await writeFile(join(root, 'captions', 'c.txt'), '\n  \n');
    await writeFile(join(root, 'captions', 'd.txt'), Buffer.from([0xc3, 0x28]));
    await writeFile(join(root, 'captions', 'e.txt'), 'cut short');
    await writeFile(join(root, 'captions', 'orphan.txt'), 'no image');
    const { items, report } = await decodeDataset(await readDataset(root), { image: { size: 2 }, policy: { mode: 'skip', maxBadFraction: 1 } });
    expect(items.map((d) => [d.item.id, d.item.texts])).toEqual([['a', ['a red square', 'red']]]);
    expect(report.toJSON().bad.map((b) => [b.id, b.code])).toEqual([
      ['orphan', 'orphan-caption'],
      ['b', 'missing-caption'],
      ['c', 'empty-caption'],
      ['d', 'non-utf8'],
      ['e', 'truncated'],
    ]);
  });
});
