import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { mapLimit } from '../../decode/map-limit.js';
import { parseOrThrow } from '../../zod-issues.js';
import { defaultCacheDir, EMOJI_STYLES } from '../emoji/emoji-options.js';
import type { CacheOutcome, EmojiCard, EmojiConcept, ImageSet } from '../emoji/emoji-types.js';
import { loadEmoji } from '../emoji/load-emoji.js';
import { hashString, heldOutSplit } from '../held-out-split.js';
import { resample } from '../../decode/resample.js';
import { runTool } from '../../decode/run-tool.js';
import { readSpeechCache, speechCacheFile, writeSpeechCache, type SpeechCacheKey, type SpeechPhrase } from './speech-cache.js';
import { readWavPcm16 } from './wav-pcm16.js';

/** espeak-ng always writes 22,050 Hz mono 16-bit. */
export const ESPEAK_RATE = 22_050;
/** Bump when synthesis or trimming changes, so cached phrases from the old code are not reused. */
export const EMOJI_SPEECH_FORMAT = 1;
/** Trimming: leading/trailing samples quieter than this (about -54 dBFS) are silence... */
const SILENCE = 64;
/** ...of which this much is kept on each side. */
const MARGIN_SECONDS = 0.01;

const VoiceSchema = z
  .object({
    // An espeak-ng voice, optionally with a variant: 'en-us', 'en-gb+f2' (`espeak-ng --voices=en` lists them).
    voice: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]+)*(\+[A-Za-z0-9]+)?$/, "expected an espeak-ng voice such as 'en-us' or 'en-gb+f2'"),
    // Words per minute; espeak-ng's default is 175.
    speed: z.number().int().min(80).max(450).default(175),
    // 0-99; espeak-ng's default is 50.
    pitch: z.number().int().min(0).max(99).default(50),
  })
  .strict();
export type SpeechVoiceOptions = z.input<typeof VoiceSchema>;

export const EmojiSpeechOptionsSchema = z
  .object({
    // 16 kHz: what speech encoders (and the project's log-mel front end) expect; espeak's 22,050 Hz is resampled.
    sampleRate: z.number().int().min(4000).max(48_000).default(16_000),
    // Two accents, two variants, two speeds for training...
    trainVoices: z
      .array(VoiceSchema)
      .min(1)
      .default([
        { voice: 'en-us+m3', speed: 165, pitch: 45 },
        { voice: 'en-gb+f2', speed: 185, pitch: 60 },
      ]),
    // ...and a third accent, variant and speed never heard in training.
    testVoices: z.array(VoiceSchema).default([{ voice: 'en-gb-scotland+m1', speed: 150, pitch: 50 }]),
    // Limit to a seeded choice of this many emoji (the smallest hashes of their ids); default: every emoji.
    concepts: z.number().int().min(1).optional(),
    // Held-out emoji, as in the emoji dataset.
    heldOutFraction: z.number().min(0).lt(1).default(0.15),
    style: z.enum(EMOJI_STYLES).default('google'),
    imageSize: z.number().int().min(1).max(256).default(32),
    seed: z.number().int().default(0),
    cacheDir: z.string().min(1).optional(),
    // Parallel espeak-ng processes; default: one per core.
    concurrency: z.number().int().min(1).max(64).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const keys = [...c.trainVoices, ...c.testVoices].map(voiceKey);
    const dup = keys.find((k, i) => keys.indexOf(k) !== i);
    if (dup !== undefined) ctx.addIssue({ code: 'custom', path: ['testVoices'], message: `voice ${dup} is listed twice (train and test voices must differ)` });
  });
export type EmojiSpeechOptions = z.input<typeof EmojiSpeechOptionsSchema>;
export type EmojiSpeechConfig = z.output<typeof EmojiSpeechOptionsSchema>;

export interface SpeechVoice {
  voice: string;
  speed: number;
  pitch: number;
  split: 'train' | 'test';
  /** 'en-us+m3@165wpm/p45' */
  key: string;
}

export interface SpeechClip {
  /** Index into concepts (and into the image rows). */
  concept: number;
  /** Index into voices. */
  voice: number;
  /** What was spoken: the concept's name. */
  text: string;
  /** Mono waveform in [-1, 1] at `sampleRate`. */
  audio: Float32Array;
}

export interface EmojiSpeechCard {
  name: 'emoji-speech';
  sampleRate: number;
  engine: string;
  voices: SpeechVoice[];
  seed: number;
  counts: {
    concepts: number;
    clips: number;
    train: number;
    testVoices: number;
    testConcepts: number;
    trainConcepts: number;
    heldOutConcepts: number;
    seconds: { total: number; min: number; mean: number; max: number };
  };
  sources: Array<{ package: string; version: string; licence: string; use: string }>;
  licence: string;
  tests: string;
  load: {
    ms: number;
    /** Phrases synthesised (and resampled) by this call, 0 on a warm cache, and how long that took. */
    synthesised: number;
    synthesisMs: number;
    resampleMs: number;
    cache: Record<string, CacheOutcome>;
    cacheDir: string;
    emoji: EmojiCard['load'];
  };
}

export interface EmojiSpeechDataset {
  concepts: EmojiConcept[];
  /** Row i shows concepts[i]. */
  images: ImageSet;
  voices: SpeechVoice[];
  sampleRate: number;
  /** Every concept in every voice, voice-major. */
  clips: SpeechClip[];
  /**
   * Indices into clips. train: train voices x seen emoji. testVoices: test voices x seen emoji (new speakers).
   * testConcepts: held-out emoji in every voice (filter by `voices[clip.voice].split` for the fully unseen case).
   */
  splits: { train: number[]; testVoices: number[]; testConcepts: number[] };
  card: EmojiSpeechCard;
}

export function voiceKey(v: { voice: string; speed: number; pitch: number }): string {
  return `${v.voice}@${v.speed}wpm/p${v.pitch}`;
}

/**
 * The emoji spoken by espeak-ng: image/text/audio triples for binding three modalities. Each voice's phrases are
 * synthesised once into the cache (verified, written atomically; only missing phrases are synthesised), trimmed of
 * silence, and resampled to `sampleRate` with the band-limited resampler of decode/resample.ts, the result cached too. Needs Debian's espeak-ng (`apt-get install espeak-ng`).
 */
export async function loadEmojiSpeech(options: EmojiSpeechOptions = {}): Promise<EmojiSpeechDataset> {
  const start = performance.now();
  const config = parseOrThrow(EmojiSpeechOptionsSchema, options, 'loadEmojiSpeech options');
  const cacheDir = config.cacheDir ?? defaultCacheDir();
  const engine = await espeakVersion();

  const emoji = await loadEmoji({ imageSize: config.imageSize, styles: [config.style], cacheDir, heldOutFraction: config.heldOutFraction, seed: config.seed });
  const pixels = emoji.images[config.style];
  if (pixels === undefined) throw new Error(`loadEmojiSpeech: the emoji loader returned no '${config.style}' images`);
  const chosen = chooseConcepts(emoji.concepts, config.concepts, config.seed);
  const concepts = chosen.map((i) => emoji.concepts[i] as EmojiConcept);
  const rowValues = config.imageSize * config.imageSize * 3;
  const images: ImageSet = { size: config.imageSize, count: chosen.length, pixels: new Float32Array(chosen.length * rowValues) };
  chosen.forEach((row, i) => images.pixels.set(pixels.pixels.subarray(row * rowValues, (row + 1) * rowValues), i * rowValues));

  const voices: SpeechVoice[] = [
    ...config.trainVoices.map((v) => ({ ...v, split: 'train' as const, key: voiceKey(v) })),
    ...config.testVoices.map((v) => ({ ...v, split: 'test' as const, key: voiceKey(v) })),
  ];
  const concurrency = config.concurrency ?? availableParallelism();
  const cache: Record<string, CacheOutcome> = {};
  let synthesised = 0;
  let synthesisMs = 0;
  let resampleMs = 0;
  const clips: SpeechClip[] = [];
  for (const [v, voice] of voices.entries()) {
    const got = await voicePhrases(voice, concepts, engine, cacheDir, concurrency, config.sampleRate);
    cache[voice.key] = got.outcome;
    synthesised += got.synthesised;
    synthesisMs += got.synthesisMs;
    resampleMs += got.resampleMs;
    got.phrases.forEach((p, c) => clips.push({ concept: c, voice: v, text: p.text, audio: Float32Array.from(p.samples, (x) => x / 32768) }));
  }

  const conceptSplit = heldOutSplit(concepts.map((c) => c.id), config.heldOutFraction, config.seed);
  const heldOut = new Set(conceptSplit.test);
  const splits = { train: [] as number[], testVoices: [] as number[], testConcepts: [] as number[] };
  clips.forEach((clip, i) => {
    if (heldOut.has(clip.concept)) splits.testConcepts.push(i);
    else if (voices[clip.voice]?.split === 'train') splits.train.push(i);
    else splits.testVoices.push(i);
  });

  const seconds = clips.map((c) => c.audio.length / config.sampleRate);
  const total = seconds.reduce((a, b) => a + b, 0);
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  const card: EmojiSpeechCard = {
    name: 'emoji-speech',
    sampleRate: config.sampleRate,
    engine,
    voices,
    seed: config.seed,
    counts: {
      concepts: concepts.length,
      clips: clips.length,
      train: splits.train.length,
      testVoices: splits.testVoices.length,
      testConcepts: splits.testConcepts.length,
      trainConcepts: conceptSplit.train.length,
      heldOutConcepts: conceptSplit.test.length,
      seconds: {
        total: round(total),
        min: seconds.length > 0 ? round(Math.min(...seconds)) : 0,
        mean: seconds.length > 0 ? round(total / seconds.length) : 0,
        max: seconds.length > 0 ? round(Math.max(...seconds)) : 0,
      },
    },
    sources: [
      ...emoji.card.sources.filter((s) => s.package !== 'emojibase-data'),
      { package: 'espeak-ng (Debian)', version: engine.replace(/^espeak-ng /, ''), licence: 'GPL-3.0-or-later (the program; it is run, not redistributed)', use: 'speech synthesis of emoji names' },
    ],
    licence: `Images: the ${config.style} style's licence (see sources). Audio: synthesised locally by espeak-ng from the Unicode names.`,
    tests:
      'Binding three modalities (image, text, audio) and speaker generalisation: train voices differ from test voices ' +
      'in accent, variant, speed and pitch; testConcepts holds out emoji entirely.',
    load: {
      ms: Math.round(performance.now() - start),
      synthesised,
      synthesisMs: Math.round(synthesisMs),
      resampleMs: Math.round(resampleMs),
      cache,
      cacheDir,
      emoji: emoji.card.load,
    },
  };
  return { concepts, images, voices, sampleRate: config.sampleRate, clips, splits, card };
}

/** Indices of a seeded choice of `count` concepts (all when undefined), in dataset order. */
function chooseConcepts(concepts: EmojiConcept[], count: number | undefined, seed: number): number[] {
  if (count === undefined || count >= concepts.length) return concepts.map((_, i) => i);
  return concepts
    .map((c, index) => ({ index, key: hashString(`${seed}\u0000speech\u0000${c.id}`) }))
    .sort((a, b) => a.key - b.key || a.index - b.index)
    .slice(0, count)
    .map((k) => k.index)
    .sort((a, b) => a - b);
}

export async function espeakVersion(): Promise<string> {
  const { stdout } = await runTool('espeak-ng', ['--version'], { timeoutMs: 10_000 });
  const match = stdout.toString('utf8').match(/text-to-speech:\s*([0-9][0-9A-Za-z.-]*)/);
  if (match?.[1] === undefined) throw new Error(`espeak-ng --version printed no version: ${stdout.toString('utf8').slice(0, 200)}`);
  return `espeak-ng ${match[1]}`;
}

/**
 * One voice's phrases for `concepts` (same order) at `sampleRate`, as int16. Two cache files per voice: the engine's
 * own 22,050 Hz output (synthesised once) and the resampled copy at `sampleRate` (so a warm load only reads).
 * Each is completed with whatever it lacks and rewritten; a missing resampled phrase comes from the 22,050 Hz file.
 */
async function voicePhrases(
  voice: SpeechVoice,
  concepts: EmojiConcept[],
  engine: string,
  cacheDir: string,
  concurrency: number,
  sampleRate: number,
): Promise<{ phrases: SpeechPhrase[]; outcome: CacheOutcome; synthesised: number; synthesisMs: number; resampleMs: number }> {
  const keyAt = (rate: number): SpeechCacheKey => ({
    dataset: 'emoji-speech',
    engine,
    voice: voice.voice,
    speed: voice.speed,
    pitch: voice.pitch,
    sampleRate: rate,
    format: EMOJI_SPEECH_FORMAT,
  });
  const wanted = concepts.map((c) => ({ id: c.id, text: c.name }));
  let synthesisMs = 0;
  let resampleMs = 0;
  let synthesised = 0;
  const synthesiseMissing = async (missing: Array<{ id: string; text: string }>): Promise<SpeechPhrase[]> => {
    const t0 = performance.now();
    const made = await mapLimit(missing, concurrency, async (w) => ({ ...w, samples: await synthesise(w.text, voice) }));
    synthesisMs += performance.now() - t0;
    synthesised += made.length;
    return made;
  };
  if (sampleRate === ESPEAK_RATE) {
    const got = await cachedPhrases(keyAt(ESPEAK_RATE), cacheDir, wanted, synthesiseMissing);
    return { ...got, synthesised, synthesisMs, resampleMs };
  }
  const got = await cachedPhrases(keyAt(sampleRate), cacheDir, wanted, async (missing) => {
    const source = await cachedPhrases(keyAt(ESPEAK_RATE), cacheDir, missing, synthesiseMissing);
    const t0 = performance.now();
    const resampled = source.phrases.map((p) => ({ id: p.id, text: p.text, samples: resampleInt16(p.samples, ESPEAK_RATE, sampleRate) }));
    resampleMs += performance.now() - t0;
    return resampled;
  });
  return { ...got, synthesised, synthesisMs, resampleMs };
}

/** The phrases of `wanted` (same order) from one cache file, making and adding the missing ones with `make`. */
async function cachedPhrases(
  key: SpeechCacheKey,
  cacheDir: string,
  wanted: Array<{ id: string; text: string }>,
  make: (missing: Array<{ id: string; text: string }>) => Promise<SpeechPhrase[]>,
): Promise<{ phrases: SpeechPhrase[]; outcome: CacheOutcome }> {
  const file = speechCacheFile(cacheDir, key);
  const read = await readSpeechCache(file, key);
  const name = (p: { id: string; text: string }): string => `${p.id}\u0000${p.text}`;
  const known = new Map<string, SpeechPhrase>();
  let outcome: CacheOutcome = 'miss';
  if (read.status === 'hit') {
    for (const p of read.phrases) known.set(name(p), p);
    outcome = 'hit';
  } else if (read.status === 'corrupt') {
    outcome = 'rebuilt';
    console.warn(`[modalab/data] emoji speech cache ${file} is invalid (${read.reason}); rebuilding it`);
  }
  const missing = wanted.filter((w) => !known.has(name(w)));
  if (missing.length > 0) {
    if (outcome === 'hit') outcome = 'rebuilt';
    for (const p of await make(missing)) known.set(name(p), p);
    // The file keeps every phrase it ever held, sorted, so a later call with other concepts still hits.
    const all = [...known.values()].sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
    try {
      await writeSpeechCache(file, key, all);
    } catch (e) {
      console.warn(`[modalab/data] could not write emoji speech cache ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { phrases: wanted.map((w) => known.get(name(w)) as SpeechPhrase), outcome };
}

/** int16 -> float -> windowed-sinc resample -> int16 (rounded, clamped: the filter can overshoot full scale slightly). */
function resampleInt16(samples: Int16Array, fromRate: number, toRate: number): Int16Array {
  const out = resample(Float32Array.from(samples, (v) => v / 32768), fromRate, toRate);
  return Int16Array.from(out, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768))));
}

/** One phrase through espeak-ng (text on stdin, never on a command line), read strictly, trimmed of silence. */
export async function synthesise(text: string, voice: { voice: string; speed: number; pitch: number }): Promise<Int16Array> {
  const args = ['-v', voice.voice, '-s', String(voice.speed), '-p', String(voice.pitch), '--stdout'];
  const { stdout } = await runTool('espeak-ng', args, { input: Buffer.from(`${text}\n`, 'utf8'), timeoutMs: 30_000 });
  const wav = readWavPcm16(stdout, `espeak-ng ${args.join(' ')} <<< ${JSON.stringify(text)}`, ESPEAK_RATE);
  return trimSilence(wav.samples, ESPEAK_RATE);
}

/** Drops leading and trailing silence, keeping a 10 ms margin; an all-silent phrase is returned whole. */
export function trimSilence(samples: Int16Array, rate: number): Int16Array {
  let first = 0;
  while (first < samples.length && Math.abs(samples[first] as number) < SILENCE) first++;
  if (first === samples.length) return samples;
  let last = samples.length - 1;
  while (last > first && Math.abs(samples[last] as number) < SILENCE) last--;
  const margin = Math.round(MARGIN_SECONDS * rate);
  return samples.slice(Math.max(0, first - margin), Math.min(samples.length, last + 1 + margin));
}
