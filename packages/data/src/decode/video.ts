import { open, stat } from 'node:fs/promises';
import { sampleFrames, type FrameSampling } from '@modalab/core';
import { MediaError, messageOf, type Modality, type ReasonCode } from './media-error.js';
import { lastLine, runTool, ToolFailedError, ToolMissingError, type ToolResult } from './run-tool.js';

/** What ffprobe says about a file, read before anything is decoded. */
export interface VideoInfo {
  width: number;
  height: number;
  /** Video packets counted by demuxing (no decoding): one per frame for the codecs in use. */
  frames: number;
  fps: number;
  durationSeconds: number;
  codec: string;
  /** The first audio stream, when there is one. */
  audio: { sampleRate: number; channels: number; codec: string } | undefined;
}

export interface VideoToolOptions {
  /** Paths of the tools; found on PATH by default. */
  ffmpegPath?: string;
  ffprobePath?: string;
  /** Per tool run: a hostile file must not hang a data loader. */
  timeoutMs?: number;
}

export interface VideoLimits extends VideoToolOptions {
  /** Largest file (bytes), checked with stat before ffprobe runs. */
  maxBytes?: number;
  /** Longest clip: training clips are seconds long, and a bad header can claim hours. */
  maxSeconds?: number;
  maxFrames?: number;
  /** Largest frame (width x height) the decoder is asked to handle: 4K is 8.3 MP. */
  maxPixels?: number;
}

export interface LoadVideoOptions extends VideoLimits {
  /** Output frames are size x size RGB, centre-cropped ("cover") as images are. */
  size: number;
  /** How many frames to keep. */
  frames: number;
  sampling: FrameSampling;
}

export interface VideoClip {
  /** [indices.length, size, size, 3] RGB bytes. */
  frames: Uint8Array;
  size: number;
  /** The source frame each output frame was taken from, ascending. */
  indices: number[];
  info: VideoInfo;
}

const DEFAULTS = { maxBytes: 2 ** 31, maxSeconds: 600, maxFrames: 36_000, maxPixels: 8_294_400, timeoutMs: 120_000, ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' };

/**
 * Reads a video's metadata with `ffprobe -of json` (packets counted by demuxing, no decoding) and checks
 * the limits. A file ffprobe cannot read is a MediaError: a missing MP4 index (`moov atom not found`,
 * the usual sign of a truncated download) is `truncated`, anything else `bad-header`.
 */
export async function probeVideo(file: string, options: VideoLimits = {}): Promise<VideoInfo> {
  const o = { ...DEFAULTS, ...options };
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new MediaError(file, 'not-a-file', 'video path is not a regular file', { modality: 'video' });
    size = s.size;
  } catch (cause) {
    if (cause instanceof MediaError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    throw new MediaError(file, code === 'ENOENT' ? 'missing-file' : 'io-error', code === 'ENOENT' ? 'video file not found' : `cannot stat video file (${code})`, { modality: 'video', cause });
  }
  if (size === 0) throw new MediaError(file, 'empty-file', 'video file is empty (0 bytes)', { modality: 'video' });
  if (size > o.maxBytes) throw new MediaError(file, 'too-large', `video file is ${size} bytes, over the limit of ${o.maxBytes} (raise maxBytes)`, { modality: 'video' });

  const args = ['-v', 'error', '-count_packets', '-show_entries', 'stream=codec_type,codec_name,width,height,nb_frames,nb_read_packets,avg_frame_rate,r_frame_rate,duration,sample_rate,channels:format=duration', '-of', 'json', file];
  const result = await runMediaTool(o.ffprobePath, args, { file, modality: 'video', timeoutMs: o.timeoutMs, maxStdoutBytes: 1 << 20 });
  if (result.exitCode !== 0) {
    const message = lastLine(result.stderr);
    // ffprobe picks the demuxer by extension, so text named .mp4 also lacks a moov atom: only a file
    // that starts like an MP4 (an 'ftyp' box) and lacks its index is called truncated.
    const code: ReasonCode = /moov atom not found/.test(result.stderr) && (await startsLikeMp4(file)) ? 'truncated' : 'bad-header';
    const reason = code === 'truncated' ? 'the MP4 index (moov atom) is missing: the file is probably truncated' : `ffprobe cannot read the file: ${message}`;
    throw new MediaError(file, code, reason, { modality: 'video' });
  }
  let json: { streams?: Array<Record<string, unknown>>; format?: Record<string, unknown> };
  try {
    json = JSON.parse(new TextDecoder().decode(result.stdout)) as typeof json;
  } catch (cause) {
    throw new MediaError(file, 'bad-header', 'ffprobe printed no valid JSON', { modality: 'video', cause });
  }
  const streams = json.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video');
  if (video === undefined) {
    // ffprobe may exit 0 on a damaged header, printing its complaint and no usable stream.
    if (result.stderr.trim() !== '') throw new MediaError(file, 'bad-header', `ffprobe cannot read the file: ${lastLine(result.stderr)}`, { modality: 'video' });
    throw new MediaError(file, 'no-stream', 'file has no video stream', { modality: 'video' });
  }
  const num = (v: unknown): number | undefined => {
    const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : Number.NaN;
    return Number.isFinite(n) ? n : undefined;
  };
  const rate = (v: unknown): number | undefined => {
    if (typeof v !== 'string') return undefined;
    const [a, b] = v.split('/').map(Number);
    return a !== undefined && b !== undefined && b > 0 && a > 0 ? a / b : undefined;
  };
  const width = num(video.width) ?? 0;
  const height = num(video.height) ?? 0;
  const fps = rate(video.avg_frame_rate) ?? rate(video.r_frame_rate) ?? 0;
  const durationSeconds = num(video.duration) ?? num(json.format?.duration) ?? 0;
  const declared = num(video.nb_frames);
  const frames = num(video.nb_read_packets) ?? declared ?? Math.round(durationSeconds * fps);
  const audioStream = streams.find((s) => s.codec_type === 'audio');
  const info: VideoInfo = {
    width,
    height,
    frames,
    fps,
    durationSeconds,
    codec: String(video.codec_name ?? 'unknown'),
    audio: audioStream === undefined ? undefined : { sampleRate: num(audioStream.sample_rate) ?? 0, channels: num(audioStream.channels) ?? 0, codec: String(audioStream.codec_name ?? 'unknown') },
  };
  const fail = (code: ReasonCode, reason: string): never => {
    throw new MediaError(file, code, reason, { modality: 'video' });
  };
  if (width < 1 || height < 1) fail('bad-header', `video stream has no size (${width}x${height})`);
  if (frames < 1) fail('truncated', 'video stream has no frames');
  if (declared !== undefined && frames < declared) fail('truncated', `the header lists ${declared} frames, only ${frames} are in the file (truncated?)`);
  if (width * height > o.maxPixels) fail('too-large', `video frames are ${width}x${height} = ${width * height} pixels, over the limit of ${o.maxPixels} (raise maxPixels)`);
  if (frames > o.maxFrames) fail('too-large', `video has ${frames} frames, over the limit of ${o.maxFrames} (raise maxFrames)`);
  if (durationSeconds > o.maxSeconds) fail('too-large', `video lasts ${durationSeconds.toFixed(1)} s, over the limit of ${o.maxSeconds} s (raise maxSeconds)`);
  return info;
}

/**
 * Decodes `frames` frames of a video as size x size RGB bytes. The sampled indices (uniform, head-tail or
 * seeded random, as `sampleFrames` in @modalab/core) are chosen from the probed frame count, and ffmpeg's
 * `select` filter keeps only those frames while decoding, so only they are scaled and piped
 * (`-f rawvideo -pix_fmt rgb24`); memory holds the kept frames only. Scaling is "cover" (resize so the
 * short side is `size`, centre crop) with area averaging, like the image preprocessing.
 * A decode that yields fewer frames than promised is `truncated`; ffmpeg missing is `tool-missing`.
 */
export async function loadVideo(file: string, options: LoadVideoOptions): Promise<VideoClip> {
  const o = { ...DEFAULTS, ...options };
  const { size, frames: count } = options;
  if (!Number.isInteger(size) || size < 1 || size > 4096) throw new RangeError(`loadVideo: size must be an integer in [1, 4096], got ${size}`);
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`loadVideo: frames must be a positive integer, got ${count}`);
  const info = await probeVideo(file, options);
  if (count > info.frames) {
    throw new MediaError(file, 'too-short', `video has ${info.frames} frames, fewer than the ${count} asked for`, { modality: 'video' });
  }
  const indices = sampleFrames(info.frames, count, options.sampling);
  const frameBytes = size * size * 3;
  const select = indices.map((i) => `eq(n,${i})`).join('+');
  const filter = `select='${select}',scale=${size}:${size}:force_original_aspect_ratio=increase:flags=area,crop=${size}:${size},format=rgb24`;
  const args = ['-nostdin', '-hide_banner', '-v', 'error', '-i', file, '-map', '0:v:0', '-an', '-sn', '-dn', '-vf', filter, '-fps_mode', 'passthrough', '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'];
  const result = await runMediaTool(o.ffmpegPath, args, { file, modality: 'video', timeoutMs: o.timeoutMs, maxStdoutBytes: count * frameBytes });
  const got = Math.floor(result.stdout.length / frameBytes);
  if (got < count) {
    const why = result.exitCode === 0 ? '' : `: ${lastLine(result.stderr)}`;
    throw new MediaError(file, result.exitCode === 0 || got > 0 ? 'truncated' : 'corrupt', `ffmpeg decoded ${got} of the ${count} sampled frames (indices up to ${indices.at(-1)} of ${info.frames})${why}`, { modality: 'video' });
  }
  return { frames: result.stdout, size, indices, info };
}

export interface LoadVideoAudioOptions extends VideoLimits {
  /** Output rate (Hz); ffmpeg's resampler (windowed sinc) converts to it. */
  sampleRate: number;
}

/**
 * Decodes a video's first audio track to mono float samples at `sampleRate` (ffmpeg `-ac 1`, which
 * averages the channels, then `-f f32le`). A video without audio is a `no-stream` MediaError.
 */
export async function loadVideoAudio(file: string, options: LoadVideoAudioOptions): Promise<{ samples: Float32Array; sampleRate: number; info: VideoInfo }> {
  const o = { ...DEFAULTS, ...options };
  const { sampleRate } = options;
  if (!Number.isInteger(sampleRate) || sampleRate < 1) throw new RangeError(`loadVideoAudio: sampleRate must be a positive integer, got ${sampleRate}`);
  const info = await probeVideo(file, options);
  if (info.audio === undefined) throw new MediaError(file, 'no-stream', 'video has no audio track', { modality: 'audio' });
  const maxSamples = Math.ceil((Math.max(info.durationSeconds, 0) + 1) * sampleRate);
  const args = ['-nostdin', '-hide_banner', '-v', 'error', '-i', file, '-map', '0:a:0', '-vn', '-sn', '-dn', '-ac', '1', '-ar', String(sampleRate), '-f', 'f32le', 'pipe:1'];
  const result = await runMediaTool(o.ffmpegPath, args, { file, modality: 'audio', timeoutMs: o.timeoutMs, maxStdoutBytes: maxSamples * 4 });
  if (result.exitCode !== 0) throw new MediaError(file, 'corrupt', `ffmpeg cannot decode the audio track: ${lastLine(result.stderr)}`, { modality: 'audio' });
  const n = Math.floor(result.stdout.length / 4);
  if (n === 0) throw new MediaError(file, 'truncated', 'the audio track decoded to no samples', { modality: 'audio' });
  const samples = new Float32Array(n);
  new Uint8Array(samples.buffer).set(result.stdout.subarray(0, n * 4));
  const bad = samples.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new MediaError(file, 'nan-samples', `audio sample ${bad} is ${samples[bad]}`, { modality: 'audio' });
  return { samples, sampleRate, info };
}

/**
 * `runTool` for a decoder: the exit code is left to the caller, and every failure is a MediaError naming
 * the media file. A missing tool is `tool-missing` (never skipped: it is not the item's fault).
 */
async function runMediaTool(
  tool: string,
  args: readonly string[],
  options: { file: string; modality: Modality; timeoutMs: number; maxStdoutBytes: number },
): Promise<ToolResult> {
  const { file, modality, timeoutMs, maxStdoutBytes } = options;
  try {
    return await runTool(tool, args, { timeoutMs, maxStdoutBytes, check: false });
  } catch (cause) {
    const fail = (code: ReasonCode, reason: string): MediaError => new MediaError(file, code, reason, { modality, cause });
    if (cause instanceof ToolMissingError) {
      throw fail('tool-missing', `${tool} was not found: ${modality} decoding uses the system ffmpeg; install it with \`sudo apt-get install ffmpeg\` (Debian/Ubuntu) or \`brew install ffmpeg\` (macOS), or pass its path`);
    }
    if (cause instanceof ToolFailedError && cause.kind === 'timeout') throw fail('corrupt', `${tool} did not finish within ${timeoutMs} ms`);
    if (cause instanceof ToolFailedError && cause.kind === 'too-large') throw fail('too-large', `${tool} produced more than the expected ${maxStdoutBytes} bytes`);
    throw fail('io-error', `cannot run ${tool}: ${messageOf(cause)}`);
  }
}

async function startsLikeMp4(file: string): Promise<boolean> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (handle === undefined) return false;
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await handle.read(head, 0, 8, 0);
    return bytesRead === 8 && head.toString('latin1', 4, 8) === 'ftyp';
  } finally {
    await handle.close();
  }
}
