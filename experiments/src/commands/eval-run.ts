import { type DualEncoder, loadCheckpoint, toTensors } from '@modalab/core';
import { type BadItem, EMOJI_STYLES, type EmojiStyle, loadEmoji, loadImage, loadTokenizer, readDataset } from '@modalab/data';
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import { buildDualEncoder } from '../runner/build-model.js';
import { CHECKPOINT_FILE } from '../runner/clip-emoji.js';
import { type ClipEmojiConfig, ClipEmojiConfigSchema } from '../runner/clip-emoji-config.js';
import { embedImages, embedTexts, type TextTokenizer } from '../runner/embed.js';
import { UsageError } from '../registry.js';
import { flattenResults, retrievalBothWays, type SplitResults } from '../runner/evaluate.js';
import { readJson } from '../runner/run-dir.js';

export interface EvalRunOutput {
  run: string;
  data: string;
  items: number;
  texts: number;
  results: SplitResults;
  metrics: Record<string, number>;
}

/**
 * builtin:emoji[/STYLE]: every emoji concept drawn in STYLE (default: the run's otherStyle, never
 * trained on), each image against all names. Concepts the run trained on are included.
 */
async function evalBuiltin(model: DualEncoder, tokenizer: TextTokenizer, config: ClipEmojiConfig, spec: string, log: (line: string) => void): Promise<Omit<EvalRunOutput, 'run'>> {
  const [name, style = config.data.otherStyle] = spec.slice('builtin:'.length).split('/');
  if (name !== 'emoji') throw new UsageError(`--data ${spec}: the built-in image-text dataset is 'builtin:emoji' (optionally 'builtin:emoji/google' or 'builtin:emoji/twitter')`);
  const styles = EMOJI_STYLES as readonly string[];
  if (!styles.includes(style)) throw new UsageError(`--data ${spec}: unknown emoji style '${style}'; styles: ${styles.join(', ')}`);
  const data = await loadEmoji({ imageSize: config.data.imageSize, styles: [style as EmojiStyle] });
  const set = data.images[style as EmojiStyle]!;
  const rows = data.concepts.map((_, i) => i);
  const texts = data.concepts.map((c) => c.name);
  log(`${spec}: ${rows.length} images drawn in ${style}, ${texts.length} names`);
  const img = embedImages(model, set.pixels, config.data.imageSize, rows, config.eval.batchSize);
  const txt = embedTexts(model, tokenizer, texts, config.tokenizer.contextLength, config.eval.batchSize);
  const results = retrievalBothWays(img, txt, rows, config.eval.ks);
  tf.dispose([img, txt]);
  return { data: spec, items: rows.length, texts: texts.length, results, metrics: flattenResults('eval', results) };
}

function describeBad(b: BadItem): string {
  return `${b.file}${b.line === undefined ? '' : `:${b.line}`}: ${b.reason}${b.path !== undefined && !b.reason.includes(b.path) ? ` (${b.path})` : ''} [${b.code}]`;
}

/**
 * Evaluates a finished run's model on a dataset (JSONL or CSV manifest, or an images/ +
 * captions/ folder): retrieval both ways. Policy 'strict' fails on the first bad item with its
 * file, line and reason; 'skip' reports every bad item on the log and evaluates the rest.
 */
export async function evalRun(runDir: string, manifest: string, log: (line: string) => void, policy: 'strict' | 'skip' = 'strict'): Promise<EvalRunOutput & { bad: BadItem[] }> {
  const dir = path.resolve(runDir);
  const saved = readJson<{ config: unknown }>(path.join(dir, 'config.json'));
  const config = ClipEmojiConfigSchema.parse(saved.config);
  const ckpt = await loadCheckpoint(path.join(dir, CHECKPOINT_FILE));
  const tokenizer = await loadTokenizer(ckpt.meta.tokenizer);
  const model = buildDualEncoder(config, tokenizer.vocabSize);
  const tensors = toTensors(ckpt);
  for (const [n, v] of model.namedVariables()) {
    const t = tensors[`param.${n}`];
    if (!t) throw new Error(`Checkpoint ${path.join(dir, CHECKPOINT_FILE)} has no tensor 'param.${n}'`);
    v.assign(t);
  }
  tf.dispose(Object.values(tensors));
  if (ckpt.meta.step !== config.train.steps) log(`warning: the checkpoint is at step ${String(ckpt.meta.step)} of ${config.train.steps} (the run did not finish)`);

  if (manifest.startsWith('builtin:')) {
    const out = await evalBuiltin(model, tokenizer, config, manifest, log);
    model.dispose();
    return { run: dir, ...out, bad: [] };
  }
  const dataset = await readDataset(manifest);
  const bad = [...dataset.bad];
  const items: Array<{ image: string; texts: string[]; line: number | undefined }> = [];
  for (const item of dataset.items) {
    if (item.image === undefined || item.texts === undefined || item.texts.length === 0) {
      bad.push({ file: item.origin.file, ...(item.origin.line === undefined ? {} : { line: item.origin.line }), id: item.id, code: 'bad-field', reason: 'image-text retrieval needs both an image and a text' });
      continue;
    }
    items.push({ image: item.image, texts: item.texts, line: item.origin.line });
  }
  if (bad.length > 0) {
    if (policy === 'strict') throw new Error(`${describeBad(bad[0]!)}${bad.length > 1 ? ` (and ${bad.length - 1} more bad items; --policy skip evaluates the rest)` : ''}`);
    for (const b of bad) log(`skipped: ${describeBad(b)}`);
  }
  if (items.length < 2) throw new Error(`${manifest}: retrieval needs at least 2 usable items, found ${items.length}`);
  const size = config.data.imageSize;
  const per = size * size * 3;
  const pixels = new Float32Array(items.length * per);
  for (const [i, item] of items.entries()) {
    try {
      pixels.set(await loadImage(item.image, size), i * per);
    } catch (err) {
      // The decoder names the image; the manifest line is what the user edits.
      if (policy === 'strict') throw new Error(`${manifest}${item.line === undefined ? '' : `:${item.line}`}: ${(err as Error).message}`, { cause: err });
      throw new Error(`${manifest}: ${(err as Error).message} (undecodable images are not skipped yet; fix or remove the item)`, { cause: err });
    }
  }
  const texts: string[] = [];
  const owner: number[] = [];
  items.forEach((item, i) => item.texts.forEach((t) => (texts.push(t), owner.push(i))));
  log(`${manifest}: ${items.length} items, ${texts.length} texts`);

  const img = embedImages(model, pixels, size, items.map((_, i) => i), config.eval.batchSize);
  const txt = embedTexts(model, tokenizer, texts, config.tokenizer.contextLength, config.eval.batchSize);
  const ks = config.eval.ks.filter((k) => k <= Math.max(items.length, texts.length));
  const results = retrievalBothWays(img, txt, owner, ks.length > 0 ? ks : [1]);
  tf.dispose([img, txt]);
  model.dispose();
  return { run: dir, data: path.resolve(manifest), items: items.length, texts: texts.length, results, metrics: flattenResults('eval', results), bad };
}
