import { readFile, stat } from 'node:fs/promises';
import { MediaError } from './media-error.js';
import { resample, type ResampleOptions } from './resample.js';

/** What a WAV header says, read and checked before any sample is decoded. */
export interface WavInfo {
  encoding: 'pcm' | 'float';
  bitsPerSample: number;
  channels: number;
  sampleRate: number;
  /** Sample frames (one sample per channel each). */
  frames: number;
  durationSeconds: number;
  dataOffset: number;
  dataBytes: number;
}

export interface WavLimits {
  /** Largest file read (bytes), checked with stat before reading. 256 MiB holds 10 min of 48 kHz stereo float. */
  maxBytes?: number;
  /** Mono or stereo by default: more channels usually means a surround mix, not speech. */
  maxChannels?: number;
  /** Outside [minSampleRate, maxSampleRate] a header is more likely broken than exotic. */
  minSampleRate?: number;
  maxSampleRate?: number;
  /** Longest clip (seconds): 10 minutes, since training clips are seconds long. */
  maxSeconds?: number;
}

export interface LoadWavOptions extends WavLimits {
  /** Resample to this rate (Hz); the file's own rate when undefined. */
  sampleRate?: number;
  resample?: ResampleOptions;
}

export interface AudioClip {
  /** Mono samples in [-1, 1] (float files may exceed it), at `sampleRate`. */
  samples: Float32Array;
  sampleRate: number;
  /** The file's header. */
  source: WavInfo;
}

const DEFAULT_LIMITS: Required<WavLimits> = { maxBytes: 256 << 20, maxChannels: 2, minSampleRate: 1000, maxSampleRate: 384_000, maxSeconds: 600 };

/**
 * Reads a WAV file (PCM 8/16/24/32-bit integer or 32/64-bit float, WAVE_FORMAT_EXTENSIBLE included) into
 * mono floats at `options.sampleRate`. Channels are downmixed by their mean (the average keeps a full-scale
 * signal at full scale without clipping; for stereo speech both channels carry the same voice). Resampling
 * is band-limited (Kaiser-windowed sinc, see `resample`). Strict: every failure is a `MediaError` with a
 * reason code: a bad RIFF/WAVE header, zero channels, a size, rate, channel count or duration over the
 * limits (checked from the header, before decoding), data shorter than the header says, NaN samples.
 */
export async function loadWav(file: string, options: LoadWavOptions = {}): Promise<AudioClip> {
  const limits = { ...DEFAULT_LIMITS, ...options };
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new MediaError(file, 'not-a-file', 'audio path is not a regular file', { modality: 'audio' });
    size = info.size;
  } catch (cause) {
    if (cause instanceof MediaError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    throw new MediaError(file, code === 'ENOENT' ? 'missing-file' : 'io-error', code === 'ENOENT' ? 'audio file not found' : `cannot stat audio file (${code})`, { modality: 'audio', cause });
  }
  if (size === 0) throw new MediaError(file, 'empty-file', 'audio file is empty (0 bytes)', { modality: 'audio' });
  if (size > limits.maxBytes) throw new MediaError(file, 'too-large', `audio file is ${size} bytes, over the limit of ${limits.maxBytes} (raise maxBytes)`, { modality: 'audio' });
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    throw new MediaError(file, 'io-error', `cannot read audio file (${(cause as NodeJS.ErrnoException).code})`, { modality: 'audio', cause });
  }
  return decodeWav(bytes, file, options);
}

/** `loadWav` on bytes already in memory; `file` names them in errors. */
export function decodeWav(bytes: Uint8Array, file: string, options: LoadWavOptions = {}): AudioClip {
  const limits = { ...DEFAULT_LIMITS, ...options };
  if (bytes.length > limits.maxBytes) throw new MediaError(file, 'too-large', `audio is ${bytes.length} bytes, over the limit of ${limits.maxBytes} (raise maxBytes)`, { modality: 'audio' });
  const info = parseWavHeader(bytes, file, limits);
  const interleaved = decodeSamples(bytes, info, file);
  const mono = downmix(interleaved, info.channels);
  const rate = options.sampleRate ?? info.sampleRate;
  if (!Number.isInteger(rate) || rate < 1) throw new RangeError(`loadWav: sampleRate must be a positive integer, got ${rate}`);
  return { samples: rate === info.sampleRate ? mono : resample(mono, info.sampleRate, rate, options.resample), sampleRate: rate, source: info };
}

/** Parses and checks the RIFF/WAVE header against `limits`; reads no sample. */
export function parseWavHeader(bytes: Uint8Array, file: string, limitsIn: WavLimits = {}): WavInfo {
  const limits = { ...DEFAULT_LIMITS, ...limitsIn };
  const fail = (code: 'bad-header' | 'truncated' | 'unsupported-format' | 'zero-channels' | 'too-large' | 'empty-file', reason: string): never => {
    throw new MediaError(file, code, reason, { modality: 'audio' });
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number): string => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12) {
    if (bytes.length >= 4 && tag(0) === 'RIFF') fail('truncated', `WAV is ${bytes.length} bytes, shorter than a RIFF header (12)`);
    fail('bad-header', `not a RIFF/WAVE file (${bytes.length} bytes)`);
  }
  const magic = tag(0);
  if (magic !== 'RIFF') {
    const other = sniffAudio(bytes);
    if (other !== undefined) fail('unsupported-format', `this is ${other}, not WAV; convert it with \`ffmpeg -i <file> -ar 16000 out.wav\``);
    if (magic === 'RIFX' || magic === 'RF64') fail('unsupported-format', `${magic} WAV (big-endian or 64-bit) is not supported; convert it with ffmpeg to a plain RIFF WAV`);
    fail('bad-header', `not a RIFF file (starts with ${JSON.stringify(magic)}, expected "RIFF")`);
  }
  if (tag(8) !== 'WAVE') fail('bad-header', `RIFF file of type ${JSON.stringify(tag(8))}, expected "WAVE"`);
  const riffEnd = 8 + view.getUint32(4, true);
  if (riffEnd < 12) fail('bad-header', `RIFF size ${riffEnd - 8} is smaller than the WAVE tag`);
  if (riffEnd > bytes.length) fail('truncated', `RIFF header declares ${riffEnd} bytes, the file has ${bytes.length}`);

  let fmt: Omit<WavInfo, 'frames' | 'durationSeconds' | 'dataOffset' | 'dataBytes'> | undefined;
  let at = 12;
  for (;;) {
    if (at + 8 > riffEnd) fail(fmt === undefined ? 'bad-header' : 'truncated', `no ${fmt === undefined ? '"fmt "' : '"data"'} chunk before the end of the RIFF data`);
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'data') {
      if (fmt === undefined) fail('bad-header', 'the "data" chunk comes before the "fmt " chunk');
      const f = fmt as NonNullable<typeof fmt>;
      const available = riffEnd - body;
      if (size > available) fail('truncated', `the "data" chunk declares ${size} bytes, only ${available} follow`);
      const blockAlign = (f.channels * f.bitsPerSample) / 8;
      if (size % blockAlign !== 0) fail('truncated', `the "data" chunk (${size} bytes) is not a whole number of ${blockAlign}-byte frames`);
      const frames = size / blockAlign;
      if (frames === 0) fail('empty-file', 'WAV has no samples (empty "data" chunk)');
      const durationSeconds = frames / f.sampleRate;
      if (durationSeconds > limits.maxSeconds) fail('too-large', `WAV lasts ${durationSeconds.toFixed(1)} s, over the limit of ${limits.maxSeconds} s (raise maxSeconds)`);
      return { ...f, frames, durationSeconds, dataOffset: body, dataBytes: size };
    }
    if (body + size > riffEnd) fail('truncated', `the ${JSON.stringify(id)} chunk declares ${size} bytes, only ${riffEnd - body} follow`);
    if (id === 'fmt ') {
      if (fmt !== undefined) fail('bad-header', 'two "fmt " chunks');
      fmt = parseFmt(view, body, size, fail, limits);
    }
    at = body + size + (size % 2); // chunks are padded to an even size
  }
}

type Fail = (code: 'bad-header' | 'unsupported-format' | 'zero-channels' | 'too-large', reason: string) => never;

function parseFmt(view: DataView, at: number, size: number, fail: Fail, limits: Required<WavLimits>): Omit<WavInfo, 'frames' | 'durationSeconds' | 'dataOffset' | 'dataBytes'> {
  if (size < 16) fail('bad-header', `"fmt " chunk is ${size} bytes, expected at least 16`);
  let formatTag = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const byteRate = view.getUint32(at + 8, true);
  const blockAlign = view.getUint16(at + 12, true);
  const bitsPerSample = view.getUint16(at + 14, true);
  if (formatTag === 0xfffe) {
    // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
    if (size < 40) fail('bad-header', `extensible "fmt " chunk is ${size} bytes, expected 40`);
    formatTag = view.getUint16(at + 24, true);
  }
  const names: Record<number, string> = { 2: 'Microsoft ADPCM', 6: 'A-law', 7: 'mu-law', 0x11: 'IMA ADPCM', 0x55: 'MP3' };
  if (formatTag !== 1 && formatTag !== 3) {
    fail('unsupported-format', `WAV encoding ${names[formatTag] ?? `0x${formatTag.toString(16)}`} is not supported (PCM or IEEE float only); convert it with \`ffmpeg -i <file> -c:a pcm_s16le out.wav\``);
  }
  const encoding = formatTag === 1 ? 'pcm' : 'float';
  if (channels === 0) fail('zero-channels', 'WAV header declares zero channels');
  if (channels > limits.maxChannels) fail('too-large', `WAV has ${channels} channels, over the limit of ${limits.maxChannels} (raise maxChannels)`);
  if (sampleRate === 0) fail('bad-header', 'WAV header declares a sample rate of 0 Hz');
  if (sampleRate < limits.minSampleRate || sampleRate > limits.maxSampleRate) {
    fail('too-large', `WAV sample rate ${sampleRate} Hz is outside [${limits.minSampleRate}, ${limits.maxSampleRate}]`);
  }
  const allowed = encoding === 'pcm' ? [8, 16, 24, 32] : [32, 64];
  if (!allowed.includes(bitsPerSample)) fail('unsupported-format', `${bitsPerSample}-bit ${encoding === 'pcm' ? 'PCM' : 'float'} WAV is not supported (${allowed.join(', ')} bits)`);
  const expectedAlign = (channels * bitsPerSample) / 8;
  if (blockAlign !== expectedAlign) fail('bad-header', `block align ${blockAlign} does not match ${channels} channels x ${bitsPerSample} bits (${expectedAlign})`);
  if (byteRate !== sampleRate * expectedAlign) fail('bad-header', `byte rate ${byteRate} does not match ${sampleRate} Hz x ${expectedAlign} bytes (${sampleRate * expectedAlign})`);
  return { encoding, bitsPerSample, channels, sampleRate };
}

/** Interleaved samples as floats; integer PCM scaled by 2^(bits-1) so full scale is [-1, 1). */
function decodeSamples(bytes: Uint8Array, info: WavInfo, file: string): Float32Array {
  const count = info.frames * info.channels;
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset + info.dataOffset, info.dataBytes);
  const bits = info.bitsPerSample;
  if (info.encoding === 'float') {
    for (let i = 0; i < count; i++) {
      const x = bits === 32 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
      if (!Number.isFinite(x)) {
        throw new MediaError(file, 'nan-samples', `sample ${Math.floor(i / info.channels)} (channel ${i % info.channels}) is ${x}`, { modality: 'audio' });
      }
      out[i] = x;
    }
    return out;
  }
  const scale = 1 / 2 ** (bits - 1);
  for (let i = 0; i < count; i++) {
    let v: number;
    if (bits === 8) v = view.getUint8(i) - 128;
    else if (bits === 16) v = view.getInt16(i * 2, true);
    else if (bits === 24) {
      const lo = view.getUint16(i * 3, true);
      v = (view.getInt8(i * 3 + 2) << 16) | lo;
    } else v = view.getInt32(i * 4, true);
    out[i] = v * scale;
  }
  return out;
}

/** Mean over channels: [frames * channels] interleaved -> [frames]. */
export function downmix(interleaved: Float32Array, channels: number): Float32Array {
  if (channels === 1) return interleaved;
  const frames = interleaved.length / channels;
  const out = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += interleaved[f * channels + c] as number;
    out[f] = sum / channels;
  }
  return out;
}

/** Names common non-WAV audio formats from their magic bytes, for a useful error. */
function sniffAudio(bytes: Uint8Array): string | undefined {
  const head = String.fromCharCode(...bytes.subarray(0, 4));
  if (head.startsWith('ID3') || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0)) return 'MP3';
  if (head === 'OggS') return 'Ogg (Vorbis/Opus)';
  if (head === 'fLaC') return 'FLAC';
  if (head === 'FORM') return 'AIFF';
  if (String.fromCharCode(...bytes.subarray(4, 8)) === 'ftyp') return 'MP4/M4A';
  return undefined;
}
