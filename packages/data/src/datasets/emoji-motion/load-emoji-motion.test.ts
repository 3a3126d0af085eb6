import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTool } from '../../decode/run-tool.js';
import { caption, loadEmojiMotion, type EmojiMotionDataset, type MotionClipSet } from './load-emoji-motion.js';
import { clipPoses, renderClip } from './render-clip.js';
import { writeClipMp4 } from './write-clip-mp4.js';

// Shared across runs and test files: the emoji pixel cache is written atomically, so sharing is safe, and a warm
// cache saves the 16 px decode of ~1,900 PNGs.
const cacheDir = join(tmpdir(), 'modalab-test-cache');
const options = { concepts: 12, pairsPerConcept: 4, heldOutFraction: 0.25, seed: 2, cacheDir } as const;
let data: EmojiMotionDataset;
let outDir: string;

beforeAll(async () => {
  data = await loadEmojiMotion(options);
  outDir = await mkdtemp(join(tmpdir(), 'modalab-motion-'));
});
afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

const clipValues = (set: MotionClipSet): number => set.frames * set.size * set.size * 3;
const frameOf = (set: MotionClipSet, row: number, t: number): Float32Array => {
  const f = set.size * set.size * 3;
  return set.pixels.subarray(row * clipValues(set) + t * f, row * clipValues(set) + (t + 1) * f);
};

/** Centre of mass of the "ink" (1 - brightness) of a frame, and its total. */
function ink(frame: Float32Array, size: number): { x: number; y: number; mass: number } {
  let mass = 0;
  let x = 0;
  let y = 0;
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const at = (v * size + u) * 3;
      const w = 1 - ((frame[at] as number) + (frame[at + 1] as number) + (frame[at + 2] as number)) / 3;
      mass += w;
      x += w * (u + 0.5);
      y += w * (v + 0.5);
    }
  }
  return { x: x / mass, y: y / mass, mass };
}

describe('loadEmojiMotion', () => {
  it('returns clips of the requested shape, every motion, and card counts that match', () => {
    const { train, test } = data.splits;
    expect(data.concepts).toHaveLength(12);
    expect(train.count + test.count).toBe(12 * 8);
    expect(test.count).toBe(3 * 8);
    for (const set of [train, test]) {
      expect(set.pixels.length).toBe(set.count * 8 * 32 * 32 * 3);
      expect(set.clips).toHaveLength(set.count);
    }
    expect(data.card.counts).toMatchObject({ concepts: 12, train: train.count, test: test.count, trainConcepts: 9, testConcepts: 3 });
    expect(Object.values(data.card.counts.byMotion)).toEqual(new Array(8).fill(12));
    const trainIds = new Set(train.clips.map((c) => data.concepts[c.concept]?.id));
    expect(test.clips.some((c) => trainIds.has(data.concepts[c.concept]?.id))).toBe(false);
    expect(data.card.sources.map((s) => s.package)).toEqual(['emoji-datasource-google']);
  });

  it('captions each clip with its emoji and motion', () => {
    expect(caption('grinning face', 'left')).toBe('a grinning face moves left');
    expect(caption('apple', 'clockwise')).toBe('an apple turns clockwise');
    for (const c of data.splits.train.clips) expect(c.caption).toBe(caption(data.concepts[c.concept]?.name ?? '', c.motion));
  });

  it('moves the centre of mass the right way, and grows or shrinks the ink', () => {
    for (const set of [data.splits.train, data.splits.test]) {
      set.clips.forEach((clip, row) => {
        const first = ink(frameOf(set, row, 0), set.size);
        const last = ink(frameOf(set, row, set.frames - 1), set.size);
        const dx = last.x - first.x;
        const dy = last.y - first.y;
        const label = `${clip.caption} (row ${row})`;
        switch (clip.motion) {
          case 'left': expect(dx, label).toBeLessThan(-3); break;
          case 'right': expect(dx, label).toBeGreaterThan(3); break;
          case 'up': expect(dy, label).toBeLessThan(-3); break;
          case 'down': expect(dy, label).toBeGreaterThan(3); break;
          case 'grow': expect(last.mass, label).toBeGreaterThan(first.mass * 1.5); break;
          case 'shrink': expect(last.mass, label).toBeLessThan(first.mass / 1.5); break;
          default: break; // rotations: checked on a marked sprite below
        }
      });
    }
  });

  it('turns clockwise on screen', () => {
    // A white 8 px sprite with a black dot at the top: a clockwise quarter turn puts it on the right.
    const sprite = new Float32Array(8 * 8 * 3).fill(1);
    for (const [x, y] of [[3, 0], [4, 0], [3, 1], [4, 1]] as const) sprite.fill(0, (y * 8 + x) * 3, (y * 8 + x) * 3 + 3);
    const out = new Float32Array(8 * 16 * 16 * 3);
    renderClip(sprite, 8, clipPoses('clockwise', 8, 16, 8, 1, 0), 16, out, 0);
    const first = ink(out.subarray(0, 16 * 16 * 3), 16);
    const last = ink(out.subarray(7 * 16 * 16 * 3), 16);
    expect(first.x).toBeLessThan(8 - 2); // starts a quarter turn anticlockwise: the dot on the left
    expect(last.x).toBeGreaterThan(8 + 2); // ends a quarter turn clockwise: the dot on the right
  });

  it('pairs each clip with its time-reversed mirror, so the mean frame cannot tell them apart', () => {
    const set = data.splits.train;
    const f = set.size * set.size * 3;
    set.clips.forEach((clip, row) => {
      const mirror = set.clips[clip.mirror];
      expect(mirror?.mirror).toBe(row);
      expect(mirror?.concept).toBe(clip.concept);
      for (let t = 0; t < set.frames; t++) {
        expect(Buffer.from(frameOf(set, row, t).slice().buffer).equals(Buffer.from(frameOf(set, clip.mirror, set.frames - 1 - t).slice().buffer))).toBe(true);
      }
      const mean = (r: number): Float64Array => {
        const m = new Float64Array(f);
        for (let t = 0; t < set.frames; t++) frameOf(set, r, t).forEach((v, i) => (m[i]! += v / set.frames));
        return m;
      };
      const a = mean(row);
      const b = mean(clip.mirror);
      let worst = 0;
      a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (b[i] as number)))));
      expect(worst).toBeLessThan(1e-6);
      // ...while the clips themselves differ.
      expect(Buffer.from(frameOf(set, row, 0).slice().buffer).equals(Buffer.from(frameOf(set, clip.mirror, 0).slice().buffer))).toBe(false);
    });
  });

  it('is deterministic per seed', async () => {
    const again = await loadEmojiMotion(options);
    expect(again.splits.train.clips).toEqual(data.splits.train.clips);
    expect(Buffer.from(again.splits.train.pixels.buffer).equals(Buffer.from(data.splits.train.pixels.buffer))).toBe(true);
    const other = await loadEmojiMotion({ ...options, seed: 3 });
    expect(other.concepts.map((c) => c.id)).not.toEqual(data.concepts.map((c) => c.id));
  });

  it('writes a clip as mp4 that ffprobe reads back with the right frame count and size', async () => {
    const set = data.splits.train;
    const file = join(outDir, 'clip.mp4');
    await writeClipMp4(set.pixels.subarray(0, clipValues(set)), set.frames, set.size, set.size, file);
    expect((await stat(file)).size).toBeGreaterThan(100);
    const { stdout } = await runTool('ffprobe', [
      '-v', 'error', '-count_frames', '-select_streams', 'v:0',
      '-show_entries', 'stream=nb_read_frames,width,height,codec_name', '-of', 'json', file,
    ]);
    const stream = (JSON.parse(stdout.toString('utf8')) as { streams: Array<Record<string, unknown>> }).streams[0];
    expect(stream).toMatchObject({ codec_name: 'h264', width: 32, height: 32, nb_read_frames: '8' });
    await expect(writeClipMp4(new Float32Array(5), 1, 2, 2, file)).rejects.toThrow(/5 values, expected/);
  });

  it('rejects bad options with their path', async () => {
    await expect(loadEmojiMotion({ frames: 4 })).rejects.toThrow(/frames/);
    await expect(loadEmojiMotion({ spriteSize: 40 })).rejects.toThrow(/spriteSize 40 exceeds frameSize 32/);
    await expect(loadEmojiMotion({ speed: 2 } as never)).rejects.toThrow(/Unrecognized key/);
  });
});
