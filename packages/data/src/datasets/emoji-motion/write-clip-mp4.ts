import { mkdir, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { runTool } from '../../decode/run-tool.js';

export interface WriteMp4Options {
  /** 8 fps: an 8-frame clip plays for one second. */
  fps?: number;
  /** x264 constant rate factor; 0 is lossless in luma. 18 is "visually lossless". */
  crf?: number;
}

/**
 * Encodes one clip (`[frames, size, size, 3]` floats in [0, 1], as in `MotionClipSet.pixels`) as H.264 mp4
 * through ffmpeg (spawned without a shell, frames streamed as rgb24 on stdin). yuv420p, the format every player
 * and decoder accepts, needs even sizes. Written to a temporary name and renamed, so the file is whole or absent.
 */
export async function writeClipMp4(
  clip: Float32Array,
  frames: number,
  width: number,
  height: number,
  file: string,
  options: WriteMp4Options = {},
): Promise<void> {
  const fps = options.fps ?? 8;
  const crf = options.crf ?? 18;
  if (clip.length !== frames * width * height * 3) {
    throw new RangeError(`writeClipMp4: clip has ${clip.length} values, expected frames*height*width*3 = ${frames * width * height * 3}`);
  }
  if (width % 2 !== 0 || height % 2 !== 0) throw new RangeError(`writeClipMp4: yuv420p needs even sizes, got ${width}x${height}`);
  const rgb = new Uint8Array(clip.length);
  for (let i = 0; i < clip.length; i++) rgb[i] = Math.round(Math.min(1, Math.max(0, clip[i] as number)) * 255);

  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp.mp4`;
  // -bitexact: no encoder version string in the file, so the same clip gives the same bytes.
  const args = [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0',
    '-c:v', 'libx264', '-preset', 'medium', '-crf', String(crf), '-pix_fmt', 'yuv420p', '-threads', '1',
    '-movflags', '+faststart', '-fflags', '+bitexact', '-flags:v', '+bitexact', '-map_metadata', '-1',
    tmp,
  ];
  try {
    await runTool('ffmpeg', args, { input: rgb });
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
