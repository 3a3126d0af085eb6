import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from './encode-wav.js';
import { MediaError } from './media-error.js';
import { loadVideo, loadVideoAudio, probeVideo } from './video.js';

// Tiny clips keep this fast on 2 shared cores: 12 frames of 16x16.
const W = 16;
const T = 12;
let dir: string;
const at = (name: string): string => join(dir, name);

/** Frame t: red = 20 t, green = 16 x, blue = 16 y, so every frame and pixel is distinct. */
function frame(t: number): Uint8Array {
  const f = new Uint8Array(W * W * 3);
  for (let y = 0; y < W; y++) {
    for (let x = 0; x < W; x++) f.set([20 * t, 16 * x, 16 * y], (y * W + x) * 3);
  }
  return f;
}
/** Solid colours per frame survive lossy codecs almost unchanged. */
function solid(t: number): Uint8Array {
  const f = new Uint8Array(W * W * 3);
  for (let i = 0; i < W * W; i++) f.set([t * 20, 255 - t * 20, 128], i * 3);
  return f;
}

function encode(out: string, frames: Uint8Array[], codecArgs: string[], audio?: string): void {
  const input = Buffer.concat(frames);
  const args = ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${W}x${W}`, '-r', '12', '-i', 'pipe:0'];
  if (audio !== undefined) args.push('-i', audio);
  args.push(...codecArgs, out);
  const r = spawnSync('ffmpeg', args, { input });
  if (r.status !== 0) throw new Error(`test setup: ffmpeg failed: ${r.stderr.toString()}`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modalab-video-'));
  const tone = Float32Array.from({ length: 8000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 8000));
  await writeFile(at('tone.wav'), encodeWav(tone, { sampleRate: 8000 }));
  const frames = Array.from({ length: T }, (_, t) => frame(t));
  encode(at('exact.mkv'), frames, ['-c:v', 'png', '-c:a', 'pcm_s16le'], at('tone.wav'));
  const solids = Array.from({ length: T }, (_, t) => solid(t));
  encode(at('lossy.mp4'), solids, ['-c:v', 'mpeg4', '-q:v', '2', '-pix_fmt', 'yuv420p']);
  // Noise frames make the media data most of the file, so cutting it in half loses data, not just header.
  let seed = 1;
  const noise = Array.from({ length: T }, () => Uint8Array.from({ length: W * W * 3 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24)));
  encode(at('noise.mp4'), noise, ['-c:v', 'mpeg4', '-q:v', '2', '-pix_fmt', 'yuv420p']);
  encode(at('noise-fast.mp4'), noise, ['-c:v', 'mpeg4', '-q:v', '2', '-pix_fmt', 'yuv420p', '-movflags', '+faststart']);
  const lossy = await readFile(at('noise.mp4'));
  await writeFile(at('truncated.mp4'), lossy.subarray(0, Math.floor(lossy.length / 2)));
  const fast = await readFile(at('noise-fast.mp4'));
  await writeFile(at('truncated-fast.mp4'), fast.subarray(0, Math.floor(fast.length * 0.6)));
  await writeFile(at('garbage.mp4'), 'not a video at all, just text');
  await writeFile(at('empty.mp4'), '');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('probeVideo', () => {
  it('reads size, frame count, rate and the audio track', async () => {
    const info = await probeVideo(at('exact.mkv'));
    expect(info).toMatchObject({ width: W, height: W, frames: T, codec: 'png', audio: { sampleRate: 8000, channels: 1 } });
    expect(info.fps).toBeCloseTo(12, 6);
    expect(info.durationSeconds).toBeGreaterThan(0.9);
    expect((await probeVideo(at('lossy.mp4'))).audio).toBeUndefined();
  });

  it('checks frame, duration and pixel limits before decoding', async () => {
    await expect(probeVideo(at('exact.mkv'), { maxFrames: 5 })).rejects.toThrow(/exact\.mkv: video has 12 frames, over the limit of 5/);
    await expect(probeVideo(at('exact.mkv'), { maxSeconds: 0.5 })).rejects.toThrow(/video lasts 1\.\d s, over the limit of 0\.5 s/);
    await expect(probeVideo(at('exact.mkv'), { maxPixels: 255 })).rejects.toThrow(/16x16 = 256 pixels, over the limit of 255/);
    await expect(probeVideo(at('exact.mkv'), { maxBytes: 10 })).rejects.toThrow(/over the limit of 10/);
  });
});

describe('loadVideo', () => {
  it('returns exactly the encoded frames at the uniformly sampled indices (lossless PNG-in-MKV)', async () => {
    const clip = await loadVideo(at('exact.mkv'), { size: W, frames: 4, sampling: { kind: 'uniform' } });
    expect(clip.indices).toEqual([1, 4, 7, 10]);
    expect(clip.frames.length).toBe(4 * W * W * 3);
    clip.indices.forEach((t, k) => {
      expect(Buffer.from(clip.frames.subarray(k * W * W * 3, (k + 1) * W * W * 3)).equals(Buffer.from(frame(t)))).toBe(true);
    });
  });

  it('samples head-tail and seeded random indices reproducibly', async () => {
    const ht = await loadVideo(at('exact.mkv'), { size: W, frames: 4, sampling: { kind: 'head-tail' } });
    expect(ht.indices).toEqual([0, 1, 10, 11]);
    expect(ht.frames[(3 * W * W) * 3]).toBe(20 * 11); // red of the first pixel of the last frame
    const a = await loadVideo(at('exact.mkv'), { size: 4, frames: 3, sampling: { kind: 'random', seed: 7 } });
    const b = await loadVideo(at('exact.mkv'), { size: 4, frames: 3, sampling: { kind: 'random', seed: 7 } });
    expect(a.indices).toEqual(b.indices);
    expect(Buffer.from(a.frames).equals(Buffer.from(b.frames))).toBe(true);
    a.indices.forEach((t, k) => expect(a.frames[k * 4 * 4 * 3]).toBe(20 * t));
  });

  it('matches the encoded frames of a lossy mp4 within codec tolerance, resized', async () => {
    const clip = await loadVideo(at('lossy.mp4'), { size: 8, frames: 3, sampling: { kind: 'uniform' } });
    clip.indices.forEach((t, k) => {
      const expected = solid(t).subarray(0, 3);
      const f = clip.frames.subarray(k * 8 * 8 * 3, (k + 1) * 8 * 8 * 3);
      let err = 0;
      for (let i = 0; i < f.length; i++) err += Math.abs((f[i] as number) - (expected[i % 3] as number));
      expect(err / f.length).toBeLessThan(6);
    });
  });

  it.each([
    ['a truncated mp4 (index at the end lost)', 'truncated.mp4', /MP4 index \(moov atom\) is missing: the file is probably truncated/, ['truncated']],
    ['a truncated faststart mp4 (frames lost)', 'truncated-fast.mp4', /the header lists 12 frames, only \d+ are in the file/, ['truncated']],
    ['text named .mp4', 'garbage.mp4', /ffprobe cannot read the file: .*Invalid data/, ['bad-header']],
    ['a zero-byte file', 'empty.mp4', /video file is empty \(0 bytes\)/, ['empty-file']],
    ['a missing file', 'none.mp4', /video file not found/, ['missing-file']],
    ['a clip shorter than the sampling', 'exact.mkv', /video has 12 frames, fewer than the 20 asked for/, ['too-short']],
  ])('refuses %s with a reason, not a crash', async (_name, name, message, codes) => {
    const error = await loadVideo(at(name), { size: 8, frames: name === 'exact.mkv' ? 20 : 12, sampling: { kind: 'uniform' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect((error as MediaError).message).toMatch(message);
    expect(codes).toContain((error as MediaError).code);
  });

  it('says how to install ffmpeg when it is missing', async () => {
    const error = await loadVideo(at('exact.mkv'), { size: 8, frames: 2, sampling: { kind: 'uniform' }, ffprobePath: '/nonexistent/ffprobe' }).catch((e: unknown) => e);
    expect((error as MediaError).code).toBe('tool-missing');
    expect((error as Error).message).toMatch(/ffprobe was not found: .*apt-get install ffmpeg/);
    const audioError = await loadVideoAudio(at('exact.mkv'), { sampleRate: 8000, ffmpegPath: '/nonexistent/ffmpeg' }).catch((e: unknown) => e);
    expect((audioError as Error).message).toMatch(/ffmpeg was not found: .*apt-get install ffmpeg/);
  });
});

describe('loadVideoAudio', () => {
  it('decodes the audio track to mono at the given rate', async () => {
    const { samples, sampleRate } = await loadVideoAudio(at('exact.mkv'), { sampleRate: 16_000 });
    expect(sampleRate).toBe(16_000);
    expect(Math.abs(samples.length - 16_000)).toBeLessThan(400);
    // 440 Hz: count rising zero crossings over the middle half second.
    let crossings = 0;
    for (let i = 4000; i < 12_000; i++) if ((samples[i - 1] as number) < 0 && (samples[i] as number) >= 0) crossings++;
    expect(Math.abs(crossings - 220)).toBeLessThanOrEqual(2);
  });

  it('refuses a video without audio', async () => {
    await expect(loadVideoAudio(at('lossy.mp4'), { sampleRate: 8000 })).rejects.toThrow(/lossy\.mp4: video has no audio track/);
  });
});
