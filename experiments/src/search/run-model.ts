import { type DualEncoder, loadCheckpoint, toTensors } from '@modalab/core';
import { loadTokenizer } from '@modalab/data';
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildDualEncoder } from '../runner/build-model.js';
import { CHECKPOINT_FILE } from '../runner/clip-emoji.js';
import { type ClipEmojiConfig, ClipEmojiConfigSchema } from '../runner/clip-emoji-config.js';
import { embedImages, embedTexts } from '../runner/embed.js';
import { readJson } from '../runner/run-dir.js';

export type SearchModality = 'image' | 'text' | 'audio';
export const SEARCH_MODALITIES: readonly SearchModality[] = ['image', 'text', 'audio'];

/** Where an index's vectors came from: enough to refuse a query embedded by another model. */
export interface RunIdentity {
  /** The run directory, absolute. */
  dir: string;
  /** The experiment name in config.json. */
  name: string;
  /** sha256 of the checkpoint file: two runs (or one run retrained) never share it. */
  fingerprint: string;
  embedDim: number;
  /** Modalities the run has an encoder for, sorted. */
  modalities: SearchModality[];
  /** Side of the square images the image tower takes. */
  imageSize?: number;
}

/** A trained run's encoders, ready to embed queries and collections (rows L2-normalised). */
export interface RunModel {
  identity: RunIdentity;
  /** Embeds NHWC pixels [n, S, S, 3] in [0, 1]; returns n rows of embedDim. */
  embedImages(pixels: Float32Array, n: number): Float32Array;
  embedTexts(texts: readonly string[]): Float32Array;
  embedAudio(clips: readonly Float32Array[]): Float32Array;
  dispose(): void;
}

/** The query names a modality the run has no encoder for (e.g. --audio on a CLIP run). */
export class MissingEncoderError extends Error {}

export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The identity of a run from its files, without building the model. */
export function runIdentity(runDir: string): RunIdentity {
  const dir = path.resolve(runDir);
  const { name, config } = readRunConfig(dir);
  const ckpt = path.join(dir, CHECKPOINT_FILE);
  if (!fs.existsSync(ckpt)) throw new Error(`Run ${dir} has no ${CHECKPOINT_FILE}: train it first (pnpm exp run ...)`);
  return { dir, name, fingerprint: sha256File(ckpt), embedDim: config.model.embedDim, modalities: ['image', 'text'], imageSize: config.data.imageSize };
}

function readRunConfig(dir: string): { name: string; config: ClipEmojiConfig } {
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file)) throw new Error(`${dir} is not a run directory: it has no config.json`);
  const saved = readJson<{ name?: string; config?: unknown }>(file);
  const parsed = ClipEmojiConfigSchema.safeParse(saved.config);
  if (!parsed.success) {
    // Only dual encoders have a shared space to search; other runners' configs fail here.
    const first = parsed.error.issues[0];
    throw new Error(
      `${file}: run '${saved.name ?? '?'}' is not an image-text dual-encoder run the search can load ` +
        `(supported: runs of the CLIP runner, e.g. quickstart, emoji-clip); config.${first?.path.join('.') ?? ''}: ${first?.message ?? 'invalid'}`,
    );
  }
  return { name: saved.name ?? path.basename(dir), config: parsed.data };
}

/** Loads a finished (or stopped) CLIP run's model and tokenizer from its directory. */
export async function loadRunModel(runDir: string, options: { batchSize?: number } = {}): Promise<RunModel> {
  const identity = runIdentity(runDir);
  const { config } = readRunConfig(identity.dir);
  const file = path.join(identity.dir, CHECKPOINT_FILE);
  const ckpt = await loadCheckpoint(file);
  const tokenizer = await loadTokenizer(ckpt.meta.tokenizer);
  const model: DualEncoder = buildDualEncoder(config, tokenizer.vocabSize);
  const tensors = toTensors(ckpt);
  try {
    for (const [n, v] of model.namedVariables()) {
      const t = tensors[`param.${n}`];
      if (!t) throw new Error(`Checkpoint ${file} has no tensor 'param.${n}'`);
      v.assign(t);
    }
  } finally {
    tf.dispose(Object.values(tensors));
  }
  const batchSize = options.batchSize ?? config.eval.batchSize;
  const size = config.data.imageSize;
  const read = (t: tf.Tensor2D): Float32Array => {
    const out = t.dataSync() as Float32Array;
    t.dispose();
    return out;
  };
  return {
    identity,
    embedImages(pixels, n) {
      if (pixels.length !== n * size * size * 3) throw new Error(`embedImages: expected ${n} images of ${size}x${size}x3 (${n * size * size * 3} values), received ${pixels.length}`);
      if (n === 0) return new Float32Array(0);
      return read(embedImages(model, pixels, size, Array.from({ length: n }, (_, i) => i), batchSize));
    },
    embedTexts(texts) {
      if (texts.length === 0) return new Float32Array(0);
      return read(embedTexts(model, tokenizer, texts, config.tokenizer.contextLength, batchSize));
    },
    embedAudio() {
      throw missingEncoder(identity, 'audio');
    },
    dispose() {
      model.dispose();
    },
  };
}

export function missingEncoder(identity: RunIdentity, modality: SearchModality): MissingEncoderError {
  return new MissingEncoderError(
    `Run ${identity.dir} ('${identity.name}') has no ${modality} encoder (its towers: ${identity.modalities.join(', ')}); ` +
      `${modality} search needs a run trained with a ${modality} tower`,
  );
}
