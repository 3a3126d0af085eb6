import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolMissingError } from '../../decode/run-tool.js';
import { ESPEAK_RATE, loadEmojiSpeech, synthesise, type EmojiSpeechDataset } from './load-emoji-speech.js';
import { readSpeechCache, speechCacheFile, writeSpeechCache, type SpeechCacheKey } from './speech-cache.js';

// The emoji pixel cache is shared with the other dataset tests (written atomically); the speech cache files are
// removed first so the first load below really synthesises.
const cacheDir = join(tmpdir(), 'modalab-test-cache');
const options = { concepts: 5, heldOutFraction: 0.2, sampleRate: 16_000, imageSize: 16, cacheDir } as const;
let cold: EmojiSpeechDataset;

beforeAll(async () => {
  await mkdir(cacheDir, { recursive: true });
  for (const f of await readdir(cacheDir)) if (f.startsWith('emoji-speech-')) await rm(join(cacheDir, f), { force: true });
  cold = await loadEmojiSpeech(options);
});

describe('loadEmojiSpeech', () => {
  it('gives every concept in every voice, as image/text/audio triples', () => {
    expect(cold.concepts).toHaveLength(5);
    expect(cold.voices.map((v) => [v.key, v.split])).toEqual([
      ['en-us+m3@165wpm/p45', 'train'],
      ['en-gb+f2@185wpm/p60', 'train'],
      ['en-gb-scotland+m1@150wpm/p50', 'test'],
    ]);
    expect(cold.clips).toHaveLength(15);
    expect(cold.images).toMatchObject({ size: 16, count: 5 });
    expect(cold.images.pixels.length).toBe(5 * 16 * 16 * 3);
    for (const clip of cold.clips) {
      expect(clip.text).toBe(cold.concepts[clip.concept]?.name);
      const seconds = clip.audio.length / 16_000;
      expect(seconds).toBeGreaterThan(0.2);
      expect(seconds).toBeLessThan(6);
      let energy = 0;
      for (const v of clip.audio) {
        if (!(Math.abs(v) <= 1)) throw new Error(`sample ${v} outside [-1, 1] in '${clip.text}'`);
        energy += v * v;
      }
      expect(Math.sqrt(energy / clip.audio.length)).toBeGreaterThan(0.02);
      // Trimmed: speech starts within 10 ms (+ the resampler's ringing).
      expect(Math.max(...Array.from(clip.audio.subarray(0, 400), Math.abs))).toBeGreaterThan(0.002);
    }
    // Voices really differ: the same name lasts differently at 165 and 185 wpm.
    const a = cold.clips.find((c) => c.concept === 0 && c.voice === 0)?.audio.length;
    const b = cold.clips.find((c) => c.concept === 0 && c.voice === 1)?.audio.length;
    expect(a).not.toBe(b);
  });

  it('splits by voice and by concept, covering every clip once, with card counts that match', () => {
    const { train, testVoices, testConcepts } = cold.splits;
    expect([...train, ...testVoices, ...testConcepts].sort((x, y) => x - y)).toEqual(cold.clips.map((_, i) => i));
    for (const i of train) expect(cold.voices[cold.clips[i]?.voice ?? -1]?.split).toBe('train');
    for (const i of testVoices) expect(cold.voices[cold.clips[i]?.voice ?? -1]?.split).toBe('test');
    const heldOut = new Set(testConcepts.map((i) => cold.clips[i]?.concept));
    expect(heldOut.size).toBe(1);
    for (const i of [...train, ...testVoices]) expect(heldOut.has(cold.clips[i]?.concept)).toBe(false);
    const card = cold.card;
    expect(card.counts).toMatchObject({ concepts: 5, clips: 15, train: 8, testVoices: 4, testConcepts: 3, trainConcepts: 4, heldOutConcepts: 1 });
    const total = cold.clips.reduce((s, c) => s + c.audio.length / 16_000, 0);
    expect(card.counts.seconds.total).toBeCloseTo(total, 2);
    expect(card.engine).toMatch(/^espeak-ng \d+\.\d+/);
    expect(card.load.synthesised).toBe(15);
    expect(Object.values(card.load.cache)).toEqual(['miss', 'miss', 'miss']);
  });

  it('reads a warm cache, synthesises only what it lacks, and returns the same audio', async () => {
    const warm = await loadEmojiSpeech(options);
    expect(warm.card.load.synthesised).toBe(0);
    expect(Object.values(warm.card.load.cache)).toEqual(['hit', 'hit', 'hit']);
    warm.clips.forEach((c, i) => expect(Buffer.from(c.audio.buffer).equals(Buffer.from(cold.clips[i]?.audio.buffer ?? new ArrayBuffer(0)))).toBe(true));
    const more = await loadEmojiSpeech({ ...options, concepts: 6, trainVoices: [{ voice: 'en-us+m3', speed: 165, pitch: 45 }], testVoices: [] });
    expect(more.card.load.synthesised).toBe(1);
    expect(more.card.load.cache).toEqual({ 'en-us+m3@165wpm/p45': 'rebuilt' });
    // At espeak-ng's own rate nothing is resampled: the 22,050 Hz file written above already holds these phrases.
    const native = await loadEmojiSpeech({ ...options, sampleRate: ESPEAK_RATE, trainVoices: [{ voice: 'en-us+m3', speed: 165, pitch: 45 }], testVoices: [] });
    expect(native.card.load).toMatchObject({ synthesised: 0, resampleMs: 0, cache: { 'en-us+m3@165wpm/p45': 'hit' } });
    const ratio = (native.clips[0]?.audio.length ?? 0) / (cold.clips[0]?.audio.length ?? 1);
    expect(ratio).toBeCloseTo(ESPEAK_RATE / 16_000, 3);
  });

  it('synthesises deterministically', async () => {
    const voice = { voice: 'en-gb+f2', speed: 185, pitch: 60 };
    const x = await synthesise('red apple', voice);
    const y = await synthesise('red apple', voice);
    expect(x.length).toBeGreaterThan(0.3 * ESPEAK_RATE);
    expect(Buffer.from(x.buffer).equals(Buffer.from(y.buffer))).toBe(true);
  });

  it('says how to install espeak-ng when it is missing', async () => {
    const path = process.env['PATH'];
    const empty = await mkdtemp(join(tmpdir(), 'modalab-nopath-'));
    process.env['PATH'] = empty;
    try {
      const err = await loadEmojiSpeech(options).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ToolMissingError);
      expect(String(err)).toMatch(/'espeak-ng' was not found on PATH\. Install it with: apt-get install espeak-ng/);
    } finally {
      process.env['PATH'] = path;
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('rejects bad options with their path', async () => {
    await expect(loadEmojiSpeech({ testVoices: [{ voice: 'en-us+m3', speed: 165, pitch: 45 }] })).rejects.toThrow(/listed twice/);
    await expect(loadEmojiSpeech({ trainVoices: [{ voice: 'en us; rm -rf /' }] })).rejects.toThrow(/trainVoices\.0\.voice: expected an espeak-ng voice/);
    await expect(loadEmojiSpeech({ rate: 16_000 } as never)).rejects.toThrow(/Unrecognized key/);
  });
});

describe('speech cache', () => {
  let dir: string;
  const key: SpeechCacheKey = { dataset: 'emoji-speech', engine: 'espeak-ng 1.51', voice: 'en-us', speed: 175, pitch: 50, sampleRate: 22_050, format: 1 };
  const phrases = [
    { id: 'a', text: 'alpha', samples: Int16Array.from([1, -2, 3]) },
    { id: 'b', text: 'beta', samples: Int16Array.from([-32768, 32767]) },
  ];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'modalab-speech-cache-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips phrases and reports damage with a reason', async () => {
    const file = speechCacheFile(dir, key);
    expect(await readSpeechCache(file, key)).toEqual({ status: 'missing' });
    await writeSpeechCache(file, key, phrases);
    expect(await readSpeechCache(file, key)).toEqual({ status: 'hit', phrases });
    expect(await readSpeechCache(file, { ...key, speed: 176 })).toEqual({ status: 'corrupt', reason: 'header speed is 175, expected 176' });
    const bytes = await readFile(file);
    bytes.writeUInt8((bytes.at(-1) ?? 0) ^ 1, bytes.length - 1);
    await writeFile(file, bytes);
    expect(await readSpeechCache(file, key)).toEqual({ status: 'corrupt', reason: 'sample checksum mismatch' });
    await writeFile(file, bytes.subarray(0, bytes.length - 2));
    expect(await readSpeechCache(file, key)).toMatchObject({ status: 'corrupt', reason: expect.stringMatching(/sample data is 8 bytes, expected 10/) });
    await writeFile(file, 'nope');
    expect(await readSpeechCache(file, key)).toEqual({ status: 'corrupt', reason: 'bad magic' });
    expect(await readdir(dir)).toEqual([speechCacheFile(dir, key).slice(dir.length + 1)]); // no temporary files left
  });
});
