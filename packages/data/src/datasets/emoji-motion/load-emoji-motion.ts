import { performance } from 'node:perf_hooks';
import { Rng } from '@modalab/core';
import { z } from 'zod';
import { parseOrThrow } from '../../zod-issues.js';
import { EMOJI_STYLES } from '../emoji/emoji-options.js';
import type { EmojiCard, EmojiConcept } from '../emoji/emoji-types.js';
import { loadEmoji } from '../emoji/load-emoji.js';
import { hashString, heldOutSplit } from '../held-out-split.js';
import { clipPoses, MOTION_PAIRS, MOTION_VERBS, renderClip, type Motion } from './render-clip.js';

export const EmojiMotionOptionsSchema = z
  .object({
    // 8: the low end of 8-16; enough frames for the direction to show, 4x cheaper than 32.
    frames: z.number().int().min(8).max(16).default(8),
    // 32 px frames, as the emoji image runs.
    frameSize: z.number().int().min(8).max(128).default(32),
    // Half the frame: leaves room to travel a sprite's width either way.
    spriteSize: z.number().int().min(4).max(128).default(16),
    style: z.enum(EMOJI_STYLES).default('google'),
    // 500 emoji (a seeded choice of the ~1,900): 1,000 clips of 8 x 32 x 32 x 3 floats are 98 MB.
    concepts: z.number().int().min(1).default(500),
    // Each pair (left/right, up/down, clockwise/anticlockwise, grow/shrink) gives two clips that are each other's
    // reverse, with the same amount and offset; 1 pair per emoji keeps the set small and direction-balanced.
    pairsPerConcept: z.number().int().min(1).max(MOTION_PAIRS.length).default(1),
    // Held-out emoji for the test split (the same hashing as the emoji dataset's split).
    heldOutFraction: z.number().min(0).lt(1).default(0.15),
    seed: z.number().int().default(0),
    cacheDir: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.spriteSize > c.frameSize) {
      ctx.addIssue({ code: 'custom', path: ['spriteSize'], message: `spriteSize ${c.spriteSize} exceeds frameSize ${c.frameSize}` });
    }
  });
export type EmojiMotionOptions = z.input<typeof EmojiMotionOptionsSchema>;
export type EmojiMotionConfig = z.output<typeof EmojiMotionOptionsSchema>;

export interface MotionClipInfo {
  /** Index into the dataset's concepts. */
  concept: number;
  motion: Motion;
  caption: string;
  /** In [0.6, 1]: how far it travels / turns / grows relative to the maximum. */
  amount: number;
  /** In [-1, 1]: the path's shift across the motion (see clipPoses). */
  offset: number;
  /** Row of the clip that plays the same poses in reverse (the other member of the pair), in the same split. */
  mirror: number;
}

export interface MotionClipSet {
  count: number;
  frames: number;
  size: number;
  /** [count, frames, size, size, 3] RGB in [0, 1] on white. */
  pixels: Float32Array;
  clips: MotionClipInfo[];
}

export interface EmojiMotionCard {
  name: 'emoji-motion';
  frames: number;
  frameSize: number;
  spriteSize: number;
  style: string;
  seed: number;
  counts: { concepts: number; train: number; test: number; trainConcepts: number; testConcepts: number; byMotion: Record<Motion, number> };
  sources: EmojiCard['sources'];
  licence: string;
  tests: string;
  load: { ms: number; emoji: EmojiCard['load'] };
}

export interface EmojiMotionDataset {
  concepts: EmojiConcept[];
  splits: { train: MotionClipSet; test: MotionClipSet };
  card: EmojiMotionCard;
}

/**
 * Short clips of an emoji moving (left/right/up/down), turning (clockwise/anticlockwise) or growing/shrinking on
 * white, captioned "a grinning face moves left". The motions come in time-reversed pairs of the same emoji with
 * the same path, so a model that averages frames is at chance between the two: it must read the order.
 * Test clips are of held-out emoji.
 */
export async function loadEmojiMotion(options: EmojiMotionOptions = {}): Promise<EmojiMotionDataset> {
  const start = performance.now();
  const config = parseOrThrow(EmojiMotionOptionsSchema, options, 'loadEmojiMotion options');
  const emoji = await loadEmoji({
    imageSize: config.spriteSize,
    styles: [config.style],
    ...(config.cacheDir === undefined ? {} : { cacheDir: config.cacheDir }),
  });
  const sprites = emoji.images[config.style];
  if (sprites === undefined) throw new Error(`loadEmojiMotion: the emoji loader returned no '${config.style}' images`);

  // A seeded choice of emoji that keeps its members when `concepts` grows: the smallest hashes win.
  const chosen = emoji.concepts
    .map((c, index) => ({ index, key: hashString(`${config.seed}\u0000motion\u0000${c.id}`) }))
    .sort((a, b) => a.key - b.key || a.index - b.index)
    .slice(0, config.concepts)
    .map((k) => k.index)
    .sort((a, b) => a - b);
  const concepts = chosen.map((i) => emoji.concepts[i] as EmojiConcept);
  const split = heldOutSplit(concepts.map((c) => c.id), config.heldOutFraction, config.seed);

  const rng = new Rng(config.seed);
  const rngs = { train: rng.fork(), test: rng.fork() };
  const spriteValues = config.spriteSize * config.spriteSize * 3;
  const makeSet = (members: number[], r: Rng): MotionClipSet => {
    const clips: MotionClipInfo[] = [];
    for (const concept of members) {
      const pairs = r.shuffle([...MOTION_PAIRS]).slice(0, config.pairsPerConcept);
      for (const [first, second] of pairs) {
        const amount = 0.6 + 0.4 * r.next();
        const offset = 2 * r.next() - 1;
        const name = (concepts[concept] as EmojiConcept).name;
        const row = clips.length;
        clips.push({ concept, motion: first, caption: caption(name, first), amount, offset, mirror: row + 1 });
        clips.push({ concept, motion: second, caption: caption(name, second), amount, offset, mirror: row });
      }
    }
    const { frames, frameSize, spriteSize } = config;
    const clipValues = frames * frameSize * frameSize * 3;
    const pixels = new Float32Array(clips.length * clipValues); // [count, frames, size, size, 3]
    clips.forEach((clip, row) => {
      const source = chosen[clip.concept] as number;
      const sprite = sprites.pixels.subarray(source * spriteValues, (source + 1) * spriteValues);
      renderClip(sprite, spriteSize, clipPoses(clip.motion, frames, frameSize, spriteSize, clip.amount, clip.offset), frameSize, pixels, row * clipValues);
    });
    return { count: clips.length, frames: config.frames, size: config.frameSize, pixels, clips };
  };
  const splits = { train: makeSet(split.train, rngs.train), test: makeSet(split.test, rngs.test) };

  const byMotion = Object.fromEntries(MOTION_PAIRS.flat().map((m) => [m, 0])) as Record<Motion, number>;
  for (const set of [splits.train, splits.test]) for (const c of set.clips) byMotion[c.motion]++;
  const card: EmojiMotionCard = {
    name: 'emoji-motion',
    frames: config.frames,
    frameSize: config.frameSize,
    spriteSize: config.spriteSize,
    style: config.style,
    seed: config.seed,
    counts: {
      concepts: concepts.length,
      train: splits.train.count,
      test: splits.test.count,
      trainConcepts: split.train.length,
      testConcepts: split.test.length,
      byMotion,
    },
    sources: emoji.card.sources.filter((s) => s.package !== 'emojibase-data'),
    licence: `Frames are transformed emoji images: the ${config.style} style's licence applies (see sources).`,
    tests:
      'Video encoders and temporal order: each clip has a time-reversed twin (left/right, up/down, clockwise/anticlockwise, ' +
      'grow/shrink) with identical mean frame, so frame averaging is at chance on direction; test clips are of unseen emoji.',
    load: { ms: Math.round(performance.now() - start), emoji: emoji.card.load },
  };
  return { concepts, splits, card };
}

export function caption(name: string, motion: Motion): string {
  return `${/^[aeiou]/.test(name) ? 'an' : 'a'} ${name} ${MOTION_VERBS[motion]}`;
}
