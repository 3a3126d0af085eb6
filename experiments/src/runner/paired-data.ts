import { heldOutSplit } from '@modalab/data';
import { DataReport, decodeDataset, defaultCacheDir, loadEmoji, readDataset, TensorCache } from '@modalab/data';
import * as path from 'node:path';
import type { ClipEmojiConfig } from './clip-emoji-config.js';

/** One thing an image shows, with its texts: an emoji concept, or an item of the user's dataset. */
export interface PairedConcept {
  id: string;
  /** The text used for evaluation when there is one canonical text (the emoji name; a dataset item's first caption). */
  name: string;
  captions: string[];
  /** A class for zero-shot evaluation ('' when none). */
  category: string;
}

/** What the CLIP runner trains and evaluates on, whatever the source. */
export interface PairedData {
  /** 'emoji', or the path of the user's dataset. */
  source: string;
  concepts: PairedConcept[];
  /** Pixels [N, S, S, 3] per drawing style; row i = concepts[i]. User data has one style, 'images'. */
  images: Record<string, { pixels: Float32Array }>;
  trainStyle: string;
  /** A style never trained on, for cross-style evaluation (emoji only). */
  otherStyle?: string;
  split: { train: number[]; test: number[] };
  /** Texts of a concept used in evaluation: the emoji name, or every caption of a dataset item. */
  evalTexts: (i: number) => string[];
  /** Bad items of a user dataset (written as data-report.json). */
  report?: DataReport;
}

/**
 * Loads the emoji dataset or the user's dataset. For the latter, every bad item goes into
 * runDir/data-report.json, also when the policy aborts the run.
 */
export async function loadPairedData(config: ClipEmojiConfig, runDir: string): Promise<PairedData> {
  const { dataset, imageSize, heldOutFraction } = config.data;
  if (dataset === 'emoji') {
    const data = await loadEmoji({ imageSize, styles: [config.data.trainStyle, config.data.otherStyle], heldOutFraction, seed: config.seed });
    return {
      source: 'emoji',
      concepts: data.concepts,
      images: Object.fromEntries(Object.entries(data.images).map(([k, v]) => [k, { pixels: v!.pixels }])),
      trainStyle: config.data.trainStyle,
      otherStyle: config.data.otherStyle,
      split: data.split,
      evalTexts: (i) => [data.concepts[i]!.name],
    };
  }
  const read = await readDataset(dataset);
  const report = new DataReport(config.data.policy, { path: read.path, format: read.format, root: read.root });
  let items: Awaited<ReturnType<typeof decodeDataset>>['items'];
  try {
    // Decoded images are cached by file content and size: a second run on the same data skips decoding.
    const cache = new TensorCache(path.join(defaultCacheDir(), 'tensors'));
    ({ items } = await decodeDataset(read, { policy: config.data.policy, image: { size: imageSize }, report, cache }));
  } finally {
    await report.write(runDir);
  }
  const usable = items.filter((d) => d.image !== undefined && (d.item.texts?.length ?? 0) > 0);
  for (const d of items) {
    if (d.image === undefined || (d.item.texts?.length ?? 0) === 0) {
      report.recordBad({ file: d.item.origin.file, ...(d.item.origin.line === undefined ? {} : { line: d.item.origin.line }), id: d.item.id, code: 'bad-field', reason: 'image-text training needs both an image and a text' });
    }
  }
  await report.write(runDir);
  if (usable.length < 4) throw new Error(`${dataset}: image-text training needs at least 4 items with an image and a text, found ${usable.length}`);
  const per = imageSize * imageSize * 3;
  const pixels = new Float32Array(usable.length * per);
  usable.forEach((d, i) => pixels.set(d.image!, i * per));
  const concepts = usable.map((d) => ({ id: d.item.id, name: d.item.texts![0]!, captions: d.item.texts!, category: d.item.label ?? '' }));
  return {
    source: read.path,
    concepts,
    images: { images: { pixels } },
    trainStyle: 'images',
    split: heldOutSplit(concepts.map((c) => c.id), heldOutFraction, config.seed),
    evalTexts: (i) => concepts[i]!.captions,
    report,
  };
}
