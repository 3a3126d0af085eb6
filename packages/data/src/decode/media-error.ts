import { DataError } from '../errors.js';

export const MODALITIES = ['image', 'text', 'audio', 'video'] as const;
/** The modality names used across the APIs (`image`, `text`, `audio`, `video`). */
export type Modality = (typeof MODALITIES)[number];

/**
 * Machine-readable reasons for a bad item, written into `data-report.json` beside the human sentence.
 * One code per way an input can be wrong, so a report can be summarised (`12 x truncated`).
 */
export const REASON_CODES = [
  'manifest-syntax', // a JSONL line is not JSON, a CSV record breaks RFC 4180
  'line-too-long', // a manifest record or caption line over the configured limit
  'bad-field', // a field missing, mistyped or empty
  'duplicate-id', // an id (or a folder image's name) seen before
  'path-absolute', // a manifest path is absolute
  'path-escapes', // a manifest path leaves the manifest's folder through '..'
  'symlink-escapes', // a path is a symlink whose target is outside the dataset's folder
  'missing-file',
  'not-a-file', // a folder, a device, a socket
  'empty-file', // zero bytes
  'non-utf8', // text that is not valid UTF-8
  'missing-caption', // a folder image without captions/<name>.txt
  'empty-caption', // a caption file with no non-blank line
  'orphan-caption', // captions/<name>.txt without an image
  'unsupported-format', // the content is not a format this modality reads (MP3 for audio, text for an image)
  'bad-header', // an image, RIFF/WAVE or container header that cannot be parsed
  'zero-channels',
  'truncated', // fewer bytes or frames than the header promises
  'corrupt', // the decoder rejected the data after a valid header
  'nan-samples', // NaN or infinite float audio samples
  'too-large', // over a configured limit (pixels, bytes, channels, rate, duration, frames)
  'too-short', // a clip with fewer frames than the sampling asks for
  'no-stream', // a container without the video (or audio) stream asked for
  'tool-missing', // ffmpeg/ffprobe not installed: never skipped, it is not the item's fault
  'io-error', // the operating system refused a read
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/**
 * A `DataError` about one media file with a reason code and the modality, so the pipeline can report it
 * (`skip`) or fail with it (`strict`) without parsing messages.
 */
export class MediaError extends DataError {
  readonly code: ReasonCode;
  readonly modality: Modality | undefined;

  constructor(file: string, code: ReasonCode, reason: string, options: { modality?: Modality; line?: number; cause?: unknown } = {}) {
    super(file, reason, options);
    this.code = code;
    this.modality = options.modality;
  }
}

/**
 * The reason code of any error a decoder threw. `MediaError`s carry theirs; the image decoder's plain
 * `DataError`s are classified by their (stable, tested) sentences; anything else is `corrupt`.
 */
export function reasonCodeOf(error: unknown): ReasonCode {
  if (error instanceof MediaError) return error.code;
  const reason = error instanceof DataError ? error.reason : error instanceof Error ? error.message : String(error);
  if (/not found/.test(reason)) return 'missing-file';
  if (/is empty \(0 bytes\)/.test(reason)) return 'empty-file';
  if (/not a regular file/.test(reason)) return 'not-a-file';
  if (/too many pixels/.test(reason)) return 'too-large';
  if (/unsupported image format/.test(reason)) return 'unsupported-format';
  if (/^cannot (read image header|decode image)/.test(reason)) {
    // The wrapper sentence says "truncated or corrupt?"; libvips' own message decides which.
    const detail = reason.replace(/^[^:]*:/, '');
    if (/truncat|premature end|unexpected end|end of (file|stream|data)/i.test(detail)) return 'truncated';
    return reason.startsWith('cannot read image header') ? 'bad-header' : 'corrupt';
  }
  if (/cannot stat|cannot read|EACCES|EIO/.test(reason)) return 'io-error';
  return 'corrupt';
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
