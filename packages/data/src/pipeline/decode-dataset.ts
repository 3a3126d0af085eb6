import { refineImageCode } from '../decode/image-sniff.js';
import { loadImage } from '../decode/load-image.js';
import { mapLimit } from '../decode/map-limit.js';
import { messageOf, reasonCodeOf, type Modality } from '../decode/media-error.js';
import { IMAGE_PREPROCESS_VERSION, type DecodeImageOptions } from '../decode/preprocess-image.js';
import { loadVideo, loadVideoAudio, type LoadVideoOptions, type VideoLimits } from '../decode/video.js';
import { loadWav, type LoadWavOptions } from '../decode/wav.js';
import { DataError } from '../errors.js';
import type { BadItem, DatasetItem, ReadDatasetResult } from '../manifest/dataset-types.js';
import type { DataPolicyInput } from './data-policy.js';
import { DataReport } from './data-report.js';
import type { TensorCache } from '../batching/tensor-cache.js';

export interface DecodeDatasetOptions {
  /** `strict` or `skip` (with abort limits); see `DataPolicySchema`. */
  policy: DataPolicyInput;
  /** Decode images to [size, size, 3] floats in [0, 1]; images are left undecoded when absent. */
  image?: { size: number } & DecodeImageOptions;
  /** Decode WAV files to mono at `sampleRate` (the file's own rate when absent). */
  audio?: LoadWavOptions;
  /** Decode videos' frames; `audioSampleRate` also decodes their audio track (an item's own `audio` file wins). */
  video?: LoadVideoOptions & { audioSampleRate?: number };
  /** Items decoded at once (sharp and ffmpeg run outside the JS thread). */
  concurrency?: number;
  /** Continue an existing report (a later epoch, another split). */
  report?: DataReport;
  /** Decoded images are cached here, keyed by file content and transform: a second run skips decoding. */
  cache?: TensorCache;
}

export interface DecodedItem {
  item: DatasetItem;
  /** [size, size, 3] in [0, 1] */
  image?: Float32Array;
  /** Mono samples at the configured rate (from the item's WAV, or from its video's audio track). */
  audio?: Float32Array;
  /** [frames, size, size, 3] RGB bytes */
  video?: Uint8Array;
}

/**
 * Decodes every item of a dataset under a policy. First the problems found while reading (bad manifest
 * records, missing captions) are recorded, then items are decoded in order, `concurrency` at a time;
 * an item is bad at its first failing modality and recorded once with path, modality and reason code.
 * Under `strict` the first bad item throws; under `skip` the run aborts past the policy's limits
 * (`DataAbortError`). A missing ffmpeg is never skipped: it is not the item's fault.
 * Returns the good items in dataset order and the report to write as `data-report.json`.
 */
export async function decodeDataset(dataset: ReadDatasetResult, options: DecodeDatasetOptions): Promise<{ items: DecodedItem[]; report: DataReport }> {
  const report = options.report ?? new DataReport(options.policy, { path: dataset.path, format: dataset.format, root: dataset.root });
  for (const b of dataset.bad) report.recordBad(b);
  const concurrency = options.concurrency ?? 4;
  const out: DecodedItem[] = [];
  const todo = dataset.items.filter((item) => !report.isBad(badKeyOf(item)));
  // Chunks keep the policy's order (and its early abort) while several decodes run at once.
  const chunk = concurrency * 4;
  for (let start = 0; start < todo.length; start += chunk) {
    const results = await mapLimit(todo.slice(start, start + chunk), concurrency, (item) => decodeItem(item, options));
    for (const r of results) {
      if ('code' in r) report.recordBad(r);
      else {
        report.recordGood();
        out.push(r);
      }
    }
  }
  report.finish();
  return { items: out, report };
}

function badKeyOf(item: DatasetItem): Pick<BadItem, 'file' | 'line' | 'id'> {
  return { file: item.origin.file, ...(item.origin.line === undefined ? {} : { line: item.origin.line }), id: item.id };
}

/** Decodes one item; returns the bad item instead of throwing (except for a missing tool or a bug). */
export async function decodeItem(item: DatasetItem, options: Omit<DecodeDatasetOptions, 'policy' | 'report'>): Promise<DecodedItem | BadItem> {
  const decoded: DecodedItem = { item };
  const attempt = async (modality: Modality, path: string, run: () => Promise<void>): Promise<BadItem | undefined> => {
    try {
      await run();
      return undefined;
    } catch (error) {
      // Only data problems are an item's fault; a bad option or a bug must surface.
      if (!(error instanceof DataError)) throw error;
      let code = reasonCodeOf(error);
      if (code === 'tool-missing') throw error;
      if (modality === 'image') code = await refineImageCode(path, code);
      return { ...badKeyOf(item), modality, path, code, reason: error.file === path ? error.reason : messageOf(error) };
    }
  };
  const { image, audio, video } = options;
  const steps: Array<[Modality, string | undefined, () => Promise<void>]> = [
    ['image', image === undefined ? undefined : item.image, async () => void (decoded.image = await decodeImageCached(item.image as string, image as { size: number } & DecodeImageOptions, options.cache))],
    ['audio', audio === undefined ? undefined : item.audio, async () => void (decoded.audio = (await loadWav(item.audio as string, audio)).samples)],
    ['video', video === undefined ? undefined : item.video, async () => void (decoded.video = (await loadVideo(item.video as string, video as LoadVideoOptions)).frames)],
  ];
  if (video?.audioSampleRate !== undefined && item.audio === undefined && item.video !== undefined) {
    const rate = video.audioSampleRate;
    const limits: VideoLimits = video;
    steps.push(['audio', item.video, async () => void (decoded.audio = (await loadVideoAudio(item.video as string, { ...limits, sampleRate: rate })).samples)]);
  }
  for (const [modality, path, run] of steps) {
    if (path === undefined) continue;
    const bad = await attempt(modality, path, run);
    if (bad !== undefined) return bad;
  }
  return decoded;
}

async function decodeImageCached(file: string, image: { size: number } & DecodeImageOptions, cache: TensorCache | undefined): Promise<Float32Array> {
  if (cache === undefined) return loadImage(file, image.size, image);
  const transform = { op: 'image', size: image.size, preprocess: IMAGE_PREPROCESS_VERSION, maxPixels: image.maxPixels ?? null };
  const { tensors } = await cache.getOrBuild(file, transform, async () => ({ image: { data: await loadImage(file, image.size, image), shape: [image.size, image.size, 3] } }));
  return tensors.image!.data as Float32Array;
}
