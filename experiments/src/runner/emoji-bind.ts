import {
  AdamW,
  AstConfigSchema,
  AudioSpectrogramTransformer,
  BindingLoss,
  lossStep,
  LogMel,
  LogMelConfigSchema,
  logMelFrames,
  MultiEncoder,
  Rng,
  TextTransformer,
  TextTransformerConfigSchema,
  Trainer,
  VisionTransformer,
  VitConfigSchema,
  warmupCosine,
  type StepFunction,
} from '@modalab/core';
import { augmentImages, BpeTokenizer, type EmojiConcept, heldOutSplit, loadEmojiSpeech, loadTokenizer, specAugment, type SpeechVoice } from '@modalab/data';
import { bestPositiveRanks, bootstrapCi, embeddingGeometry, pca, rankRetrieval, type EmbeddingGeometryOutput } from '@modalab/eval';
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import type { RunOptions, RunResult } from './clip-emoji.js';
import { type EmojiBindConfig, EmojiBindConfigSchema } from './emoji-bind-config.js';
import { writeBindReport } from './emoji-bind-report.js';
import { imageBatch, textBatch, type TextTokenizer } from './embed.js';
import { flattenGeometry, type RetrievalWithCi } from './evaluate.js';
import { MetricsLog, readJson, writeJson } from './run-dir.js';
import { epochBatch, RunSession } from './session.js';

/** Text is the binding anchor: only these pairs are ever trained (sorted names, joined by '-'). */
export const TRAINED_PAIRS = ['audio-text', 'image-text'] as const;
/** Never in a loss: whatever alignment it has emerges through the shared text anchor. */
export const EMERGENT_PAIRS = ['audio-image'] as const;
export const MODALITIES = ['audio', 'image', 'text'] as const;
type ModalityName = (typeof MODALITIES)[number];
const DIRECTIONS = MODALITIES.flatMap((q) => MODALITIES.filter((g) => g !== q).map((g) => `${q}->${g}`));

type Towers = { image: VisionTransformer; text: TextTransformer; audio: AudioSpectrogramTransformer };
type BindModel = MultiEncoder<Towers>;
type TextInput = { ids: tf.Tensor2D; mask: tf.Tensor2D };
/** One step's batches: each trained pair as its own aligned batch (disjoint), or one batch with all three (shared). */
type BindBatch = Array<{ image?: tf.Tensor4D; audio?: tf.Tensor3D; text: TextInput }>;

// ---------------------------------------------------------------------------------------------
// Data

/** Images, names and precomputed log-mel features of the emoji concepts, with the concept split. */
export interface BindData {
  concepts: EmojiConcept[];
  /** [N, S, S, 3], row i = concepts[i]. */
  pixels: Float32Array;
  voices: SpeechVoice[];
  trainVoices: number[];
  testVoices: number[];
  /** Normalised log-mel [frames, nMels] of voice v saying concept c (only the clips used), cut to the window. */
  features: Map<string, Float32Array>;
  /** Frames of the fixed window every clip is padded or cut to. */
  frames: number;
  /** The normalised value of silence (the log floor), used as padding. */
  silence: number;
  /** Mean and standard deviation of the training clips' log-mel, which features are normalised by. */
  norm: { mean: number; std: number };
  /** Training concepts and held-out concepts (indices into concepts). */
  split: { train: number[]; test: number[] };
  stats: { clips: number; clipsCut: number; meanSeconds: number; maxSeconds: number; featureSeconds: number; loadSeconds: number; synthesised: number };
}

const clipKey = (voice: number, concept: number) => `${voice}:${concept}`;

/**
 * Loads emoji-speech (its images are the emoji loader's, same concepts and style) and computes the
 * log-mel of every clip used once: the front end has no weights, so a per-step front end would
 * only repeat the same ~10 GFLOP (a batch of 128 windows of 2.5 s through a 400-point DFT matmul). Features are normalised by the training clips' mean
 * and standard deviation, as AST does with dataset statistics.
 */
export async function loadBindData(config: EmojiBindConfig): Promise<BindData> {
  const t0 = performance.now();
  const { data, audio } = config;
  const ds = await loadEmojiSpeech({
    sampleRate: audio.sampleRate,
    heldOutFraction: data.heldOutFraction,
    style: data.style,
    imageSize: data.imageSize,
    seed: config.seed,
    ...(data.concepts === undefined ? {} : { concepts: data.concepts }),
  });
  // The loader splits concepts by the same seeded hash as loadEmoji: with every concept the held-out
  // emoji are the ones clip-emoji holds out; with a subset, the held-out fraction of that subset.
  const split = heldOutSplit(ds.concepts.map((c) => c.id), data.heldOutFraction, config.seed);
  const heldOut = new Set(split.test);
  for (const i of ds.splits.testConcepts) {
    if (!heldOut.has(ds.clips[i]!.concept)) throw new Error(`emoji-bind: loadEmojiSpeech held out clip ${i} (concept ${ds.clips[i]!.concept}) that heldOutSplit keeps for training; the two splits no longer agree`);
  }
  if (split.test.length < 2) throw new Error(`emoji-bind: data.concepts=${ds.concepts.length} with heldOutFraction ${data.heldOutFraction} holds out ${split.test.length} concept(s); retrieval needs at least 2`);
  const trainVoices = ds.voices.flatMap((v, i) => (v.split === 'train' ? [i] : []));
  const testVoices = ds.voices.flatMap((v, i) => (v.split === 'test' ? [i] : []));
  const loadSeconds = (performance.now() - t0) / 1000;

  // Clips used: every concept in the training voices, the held-out concepts in the test voices.
  const used = ds.clips.filter((c) => trainVoices.includes(c.voice) || heldOut.has(c.concept));
  const t1 = performance.now();
  const frontEnd = new LogMel({ sampleRate: audio.sampleRate, nFft: audio.nFft, hopLength: audio.hopLength, nMels: audio.nMels });
  const windowSamples = Math.round(audio.seconds * audio.sampleRate);
  const frames = frontEnd.frames(windowSamples);
  const raw = new Map<string, Float32Array>();
  try {
    // Similar lengths together, so little padding is computed.
    const order = [...used].sort((a, b) => a.audio.length - b.audio.length);
    for (let i = 0; i < order.length; i += 64) {
      const group = order.slice(i, i + 64);
      // Samples past the window are cut before the front end: their frames would be dropped anyway.
      const longest = Math.max(frontEnd.config.nFft, ...group.map((c) => Math.min(windowSamples, c.audio.length)));
      const wave = new Float32Array(group.length * longest);
      group.forEach((c, b) => wave.set(c.audio.subarray(0, longest), b * longest));
      const input = tf.tensor2d(wave, [group.length, longest]);
      const mel = frontEnd.apply(input); // [G, F, M]
      const values = mel.dataSync() as Float32Array;
      const f = mel.shape[1];
      tf.dispose([input, mel]);
      group.forEach((c, b) => {
        const own = Math.min(frames, frontEnd.frames(c.audio.length));
        raw.set(clipKey(c.voice, c.concept), values.slice(b * f * audio.nMels, (b * f + own) * audio.nMels));
      });
    }
  } finally {
    frontEnd.dispose();
  }
  const trainSet = new Set(split.train);
  let sum = 0, sumSq = 0, count = 0;
  for (const c of used) {
    if (!trainVoices.includes(c.voice) || !trainSet.has(c.concept)) continue;
    for (const v of raw.get(clipKey(c.voice, c.concept))!) (sum += v), (sumSq += v * v), count++;
  }
  const mean = sum / count;
  const std = Math.sqrt(Math.max(sumSq / count - mean * mean, 1e-12));
  const features = new Map<string, Float32Array>();
  for (const [k, v] of raw) features.set(k, v.map((x) => (x - mean) / std));
  const seconds = used.map((c) => c.audio.length / audio.sampleRate);
  return {
    concepts: ds.concepts,
    pixels: ds.images.pixels,
    voices: ds.voices,
    trainVoices,
    testVoices,
    features,
    frames,
    silence: (Math.log(1e-6) - mean) / std, // LogMel's default logFloor
    norm: { mean, std },
    split,
    stats: {
      clips: used.length,
      clipsCut: used.filter((c) => c.audio.length > windowSamples).length,
      meanSeconds: seconds.reduce((a, b) => a + b, 0) / seconds.length,
      maxSeconds: Math.max(...seconds),
      featureSeconds: (performance.now() - t1) / 1000,
      loadSeconds,
      synthesised: ds.card.load.synthesised,
    },
  };
}

/** Log-mel batch [B, frames, nMels] of (voice, concept) clips, each padded with silence; `augment` may edit a row in place. */
function audioBatch(data: BindData, nMels: number, clips: Array<[number, number]>, augment?: (row: Float32Array) => Float32Array): tf.Tensor3D {
  const per = data.frames * nMels;
  const out = new Float32Array(clips.length * per).fill(data.silence);
  clips.forEach(([v, c], b) => {
    const row = out.subarray(b * per, (b + 1) * per);
    row.set(data.features.get(clipKey(v, c))!);
    if (augment) row.set(augment(row));
  });
  return tf.tensor3d(out, [clips.length, data.frames, nMels]);
}

/**
 * The waveform augmentations of @modalab/data (randomGain, randomTimeShift) where they are exact
 * on a precomputed log-mel: a gain g adds 2 ln g to every log power (floored at silence, as the
 * front end floors), a later start by whole hops moves frames. Then SpecAugment's masks.
 */
function audioAugmenter(config: EmojiBindConfig, data: BindData, rng: Rng): ((row: Float32Array) => Float32Array) | undefined {
  const a = config.data.audioAugment;
  if (a === false) return undefined;
  const { nMels } = config.audio;
  const frames = data.frames;
  return (row) => {
    const db = a.gainDb[0] + (a.gainDb[1] - a.gainDb[0]) * rng.next();
    const offset = (2 * Math.log(10 ** (db / 20))) / data.norm.std; // in normalised units
    const shift = rng.int(Math.floor(a.timeShift * frames) + 1);
    const out = new Float32Array(row.length).fill(data.silence); // [frames, nMels]
    for (let t = 0; t + shift < frames; t++) {
      for (let m = 0; m < nMels; m++) {
        const v = row[t * nMels + m]!;
        // Digital silence (padding) stays at the floor whatever the gain, as 0 * g = 0 would.
        out[(t + shift) * nMels + m] = v <= data.silence + 1e-6 ? data.silence : Math.max(data.silence, v + offset);
      }
    }
    return specAugment(out, [frames, nMels], { ...a.specAugment, fill: 0 }, rng);
  };
}

/** The text a concept is trained with: its name, or its name and 0-2 random tags (see data.captions). */
function trainingText(concept: EmojiConcept, mode: EmojiBindConfig['data']['captions'], rng: Rng): string {
  if (mode === 'name') return concept.name;
  const tags = concept.captions.filter((c) => c !== concept.name);
  return [concept.name, ...rng.shuffle([...tags]).slice(0, Math.min(tags.length, rng.int(3)))].join(', ');
}

/**
 * The batches of a 0-based step, a pure function of it (a resumed run sees the same ones): concepts
 * from epochBatch, voice, tags and augmentation from an Rng seeded by (seed, step). Disjoint pairing
 * draws the audio-text concepts from a second, independent permutation and pairs each clip with the
 * name it speaks; shared pairing gives each item one text (data.captions) for both pairs.
 */
function stepBatches(config: EmojiBindConfig, data: BindData, tokenizer: TextTokenizer, step: number): BindBatch {
  const { batchSize } = config.train;
  const { train } = data.split;
  const rng = new Rng(((config.seed + 1) * 1_000_003 + step) >>> 0);
  const text = (rows: number[]) => textBatch(tokenizer, rows.map((c) => trainingText(data.concepts[c]!, config.data.captions, rng)), config.tokenizer.contextLength);
  const imageRows = epochBatch(train.length, batchSize, config.seed, step).map((i) => train[i]!);
  const raw = imageBatch(data.pixels, config.data.imageSize, imageRows);
  const image = config.data.augment === false ? raw : augmentImages(raw, config.data.augment, rng);
  if (image !== raw) raw.dispose();
  const imageText = text(imageRows);
  const audioRows = config.data.pairing === 'shared' ? imageRows : epochBatch(train.length, batchSize, config.seed + 100_003, step).map((i) => train[i]!);
  const clips = audioRows.map((c) => [data.trainVoices[rng.int(data.trainVoices.length)]!, c] as [number, number]);
  const audio = audioBatch(data, config.audio.nMels, clips, audioAugmenter(config, data, rng));
  if (config.data.pairing === 'shared') return [{ image, audio, text: imageText }];
  // A clip's own text is what it says: the name, without tags.
  const spoken = textBatch(tokenizer, audioRows.map((c) => data.concepts[c]!.name), config.tokenizer.contextLength);
  return [{ image, text: imageText }, { audio, text: spoken }];
}

// ---------------------------------------------------------------------------------------------
// Model and step

/** Three towers bound into one space; InfoNCE only on (text, other) pairs: text is the anchor. */
export function buildBindModel(config: EmojiBindConfig, vocabSize: number): BindModel {
  const rng = new Rng(config.seed);
  const image = new VisionTransformer(VitConfigSchema.parse(config.model.image), rng.fork());
  const text = new TextTransformer(TextTransformerConfigSchema.parse({ ...config.model.text, vocabSize, contextLength: config.tokenizer.contextLength }), rng.fork());
  const { sampleRate, nFft, hopLength, nMels } = config.audio;
  const frontEnd = LogMelConfigSchema.parse({ sampleRate, nFft, hopLength, nMels });
  const maxFrames = logMelFrames(Math.round(config.audio.seconds * sampleRate), frontEnd); // the window's frames
  const audio = new AudioSpectrogramTransformer(AstConfigSchema.parse({ ...config.model.audio, frontEnd, maxFrames }), rng.fork());
  const loss = new BindingLoss({ anchor: 'text', reduction: 'mean' }, { init: config.model.logitScaleInit, learnable: config.model.learnTemperature });
  return new MultiEncoder({ encoders: { audio, image, text }, embedDim: config.model.embedDim, loss }, rng.fork());
}

/**
 * One update on a step's batches: the mean of the pair losses (InfoNCE of text with image, of text
 * with audio), each pair's loss and the temperature logged, with the gradient norm of each
 * modality's tower + projection on log steps.
 */
function bindStep(model: BindModel, logEvery: number): StepFunction<BindBatch> {
  return lossStep(
    (batch: BindBatch) => {
      const pairs: Record<string, tf.Scalar> = {};
      for (const part of batch) Object.assign(pairs, model.loss(part).pairs);
      const metrics: Record<string, tf.Scalar> = { temperature: tf.div(1, model.bindingLoss.logitScale.value()) as tf.Scalar };
      for (const [key, l] of Object.entries(pairs)) metrics[`loss/${key.split(':').sort().join('-')}`] = l;
      const all = Object.values(pairs);
      return { loss: tf.div(tf.addN(all), all.length) as tf.Scalar, metrics };
    },
    { groupGradNorms: 'modality', metricsEvery: logEvery },
  );
}

// ---------------------------------------------------------------------------------------------
// Embedding and retrieval

/** L2-normalised embeddings of `count` items, encoded in batches of `batchSize` items. */
function embedInBatches(count: number, batchSize: number, encode: (start: number, end: number) => tf.Tensor2D): tf.Tensor2D {
  if (count === 0) throw new Error('emoji-bind: nothing to embed (the item list is empty)');
  const parts: tf.Tensor2D[] = [];
  for (let i = 0; i < count; i += batchSize) parts.push(encode(i, Math.min(count, i + batchSize)));
  if (parts.length === 1) return parts[0]!;
  const out = tf.concat(parts, 0) as tf.Tensor2D;
  tf.dispose(parts);
  return out;
}

/** One modality's rows of an evaluation set: the embeddings and the concept (index into the set) of each row. */
interface Side {
  emb: tf.Tensor2D;
  owner: number[];
}

/** Embeds the concepts `rows` in image, name and the given voices (one audio row per voice and concept). */
function embedSet(model: BindModel, config: EmojiBindConfig, data: BindData, tokenizer: TextTokenizer, rows: number[], voices: number[]): Record<ModalityName, Side> {
  const bs = config.eval.batchSize;
  const image = embedInBatches(rows.length, bs, (s, e) => tf.tidy(() => model.encode('image', imageBatch(data.pixels, config.data.imageSize, rows.slice(s, e)))));
  const text = embedInBatches(rows.length, bs, (s, e) =>
    tf.tidy(() => model.encode('text', textBatch(tokenizer, rows.slice(s, e).map((c) => data.concepts[c]!.name), config.tokenizer.contextLength))),
  );
  const clips = voices.flatMap((v) => rows.map((c, j) => ({ clip: [v, c] as [number, number], owner: j })));
  const audio = embedInBatches(clips.length, bs, (s, e) => tf.tidy(() => model.encode('audio', audioBatch(data, config.audio.nMels, clips.slice(s, e).map((x) => x.clip)))));
  const own = rows.map((_, j) => j);
  return { image: { emb: image, owner: own }, text: { emb: text, owner: own }, audio: { emb: audio, owner: clips.map((x) => x.owner) } };
}

/**
 * Retrieval from `query` rows into `gallery` rows; a gallery row is a positive when it shows the
 * query's concept. The 95% interval is a percentile bootstrap over concepts (the clips of one
 * concept in several voices are resampled together, so correlated queries do not narrow it).
 */
export function retrieveWithCi(query: Side, gallery: Side, ks: number[], seed: number): RetrievalWithCi {
  const byOwner = new Map<number, number[]>();
  gallery.owner.forEach((o, j) => byOwner.set(o, [...(byOwner.get(o) ?? []), j]));
  const positives = query.owner.map((o) => byOwner.get(o) ?? []);
  const result = rankRetrieval(query.emb, gallery.emb, positives, { ks });
  const ranks = bestPositiveRanks(query.emb, gallery.emb, positives);
  const concepts = [...new Set(query.owner)];
  const recallCi: RetrievalWithCi['recallCi'] = {};
  for (const k of ks) {
    const hits = new Map<number, number[]>();
    query.owner.forEach((o, q) => hits.set(o, [...(hits.get(o) ?? []), ranks[q]! <= k ? 1 : 0]));
    const perConcept = concepts.map((o) => hits.get(o)!.reduce((a, b) => a + b, 0) / hits.get(o)!.length);
    const ci = bootstrapCi(perConcept, { seed, resamples: 1000 });
    recallCi[k] = { lower: ci.lower, upper: ci.upper };
  }
  return { ...result, recallCi };
}

/** Flat summary keys '<split>/<query>-><gallery>/R@K' (+ ci95, chance, ranks, counts), as evaluate.ts flattenResults. */
export function flattenDirections(split: string, results: Record<string, RetrievalWithCi>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [dir, r] of Object.entries(results)) {
    const p = `${split}/${dir}`;
    for (const [k, v] of Object.entries(r.recall)) {
      out[`${p}/R@${k}`] = v;
      out[`${p}/R@${k}/ci95/lower`] = r.recallCi[Number(k)]!.lower;
      out[`${p}/R@${k}/ci95/upper`] = r.recallCi[Number(k)]!.upper;
      out[`${p}/chance/R@${k}`] = r.chance.recall[Number(k)]!;
    }
    out[`${p}/medianRank`] = r.medianRank;
    out[`${p}/chance/medianRank`] = r.chance.medianRank;
    out[`${p}/meanRank`] = r.meanRank;
    out[`${p}/MRR`] = r.mrr;
    out[`${p}/count`] = r.n;
    out[`${p}/galleryCount`] = r.galleryCount;
    out[`${p}/trained`] = isTrained(dir) ? 1 : 0;
  }
  return out;
}

/** Whether a direction 'a->b' belongs to a trained pair. */
export function isTrained(direction: string): boolean {
  const pair = direction.split('->').sort().join('-');
  return (TRAINED_PAIRS as readonly string[]).includes(pair);
}

// ---------------------------------------------------------------------------------------------
// Evaluation

export interface BindEvaluation {
  trainedPairs: string[];
  emergentPairs: string[];
  /** split -> 'query->gallery' -> retrieval with CIs. */
  splits: Record<string, Record<string, RetrievalWithCi>>;
  /** What each split holds, for the report. */
  splitNotes: Record<string, string>;
  /** Geometry of held-out concepts: per modality and per pair (audio: the first training voice). */
  geometry: EmbeddingGeometryOutput;
  /** PCA of the three modalities' held-out embeddings together. */
  scatter: { points: Record<string, number[][]>; labels: string[]; axisTitles: [string, string] };
  /** Held-out clips (first training voice) with the concepts of their nearest images and names. */
  examples: Array<{ concept: string; imageRank: number; topImages: string[]; textRank: number; topTexts: string[] }>;
}

/** Retrieval in all six directions on held-out concepts, on the unseen voice, and on a training sample; geometry, PCA, examples. */
export function evaluateBind(model: BindModel, config: EmojiBindConfig, data: BindData, tokenizer: TextTokenizer): BindEvaluation {
  const { ks } = config.eval;
  const { train, test } = data.split;
  const trainSample = new Rng(config.seed + 4).shuffle([...train]).slice(0, test.length);
  const sets: Array<[string, number[], number[], string[], string]> = [
    ['test', test, data.trainVoices, DIRECTIONS, 'held-out concepts (never trained in any modality), audio in the training voices'],
    ...(data.testVoices.length === 0
      ? []
      : ([['test-new-voice', test, data.testVoices, DIRECTIONS.filter((d) => d.includes('audio')), 'held-out concepts spoken by a voice never heard in training (accent, variant, speed, pitch)']] as Array<[string, number[], number[], string[], string]>)),
    ['train-sample', trainSample, data.trainVoices, DIRECTIONS, `a seeded sample of ${trainSample.length} training concepts (unaugmented), for the generalisation gap`],
  ];
  const splits: BindEvaluation['splits'] = {};
  const splitNotes: BindEvaluation['splitNotes'] = {};
  let geometry: EmbeddingGeometryOutput = { modalities: {}, pairs: {} };
  let scatter: BindEvaluation['scatter'] = { points: {}, labels: [], axisTitles: ['PC1', 'PC2'] };
  let examples: BindEvaluation['examples'] = [];
  sets.forEach(([split, rows, voices, directions, note], s) => {
    const sides = embedSet(model, config, data, tokenizer, rows, voices);
    try {
      splits[split] = {};
      splitNotes[split] = note;
      directions.forEach((dir, d) => {
        const [q, g] = dir.split('->') as [ModalityName, ModalityName];
        splits[split]![dir] = retrieveWithCi(sides[q], sides[g], ks, 1 + 10 * s + d);
      });
      if (split !== 'test') return;
      // Pairwise analyses use one clip per concept: the first training voice.
      const names = rows.map((c) => data.concepts[c]!.name);
      const firstVoice = tf.tidy(() => tf.slice(sides.audio.emb, [0, 0], [rows.length, -1]) as tf.Tensor2D);
      const paired = { audio: firstVoice, image: sides.image.emb, text: sides.text.emb };
      geometry = embeddingGeometry(paired, { uniformity: { seed: config.seed } });
      const all = tf.concat([paired.audio, paired.image, paired.text], 0) as tf.Tensor2D;
      const p = pca(all, { components: 2 });
      all.dispose();
      const n = rows.length;
      const pct = (i: number) => (100 * p.explainedVarianceRatio[i]!).toFixed(1);
      scatter = {
        points: { audio: p.projected.slice(0, n), image: p.projected.slice(n, 2 * n), text: p.projected.slice(2 * n) },
        labels: names,
        axisTitles: [`PC1 (${pct(0)}%)`, `PC2 (${pct(1)}%)`],
      };
      const sample = new Rng(config.seed + 5).shuffle(rows.map((_, j) => j)).slice(0, Math.min(12, n));
      const [toImage, toText] = tf.tidy(() => {
        const q = tf.gather(firstVoice, tf.tensor1d(sample, 'int32'));
        return [tf.matMul(q, paired.image, false, true).arraySync() as number[][], tf.matMul(q, paired.text, false, true).arraySync() as number[][]];
      });
      const ranked = (row: number[]) => row.map((v, j) => [v, j] as const).sort((a, b) => b[0] - a[0]).map(([, j]) => j);
      examples = sample.map((own, i) => {
        const byImage = ranked(toImage[i]!);
        const byText = ranked(toText[i]!);
        return {
          concept: names[own]!,
          imageRank: 1 + byImage.indexOf(own),
          topImages: byImage.slice(0, 3).map((j) => names[j]!),
          textRank: 1 + byText.indexOf(own),
          topTexts: byText.slice(0, 3).map((j) => names[j]!),
        };
      });
      firstVoice.dispose();
    } finally {
      tf.dispose([sides.audio.emb, sides.image.emb, sides.text.emb]);
    }
  });
  return { trainedPairs: [...TRAINED_PAIRS], emergentPairs: [...EMERGENT_PAIRS], splits, splitNotes, geometry, scatter, examples };
}

/** Geometry and recall@1 of a fixed set of training concepts (first training voice), logged during training. */
function probeFn(model: BindModel, config: EmojiBindConfig, data: BindData, tokenizer: TextTokenizer): () => Record<string, number> {
  const rows = new Rng(config.seed + 7).shuffle([...data.split.train]).slice(0, Math.min(config.train.probeSize, data.split.train.length));
  return () => {
    const sides = embedSet(model, config, data, tokenizer, rows, data.trainVoices.slice(0, 1));
    try {
      const g = embeddingGeometry({ audio: sides.audio.emb, image: sides.image.emb, text: sides.text.emb }, { uniformity: { seed: config.seed } });
      const out: Record<string, number> = {};
      for (const [m, v] of Object.entries(g.modalities)) {
        out[`probe/uniformity/${m}`] = v.uniformity;
        out[`probe/rankMe/${m}`] = v.rankMe;
      }
      for (const [pair, v] of Object.entries(g.pairs)) {
        out[`probe/gap/${pair.replace('|', '-')}`] = v.gap;
        out[`probe/alignment/${pair.replace('|', '-')}`] = v.alignment ?? Number.NaN;
      }
      const identity = rows.map((_, j) => [j]);
      for (const dir of ['audio->image', 'audio->text', 'image->text']) {
        const [q, gal] = dir.split('->') as [ModalityName, ModalityName];
        out[`probe/R@1/${dir}`] = rankRetrieval(sides[q].emb, sides[gal].emb, identity, { ks: [1] }).recall[1]!;
      }
      return out;
    } finally {
      tf.dispose([sides.audio.emb, sides.image.emb, sides.text.emb]);
    }
  };
}

// ---------------------------------------------------------------------------------------------
// The run

/**
 * ImageBind on emoji: a ViT, a text transformer and an AST bound into one space by InfoNCE on
 * image-text and audio-text pairs only (text is the anchor); retrieval in all six directions on
 * held-out concepts, audio<->image included though it is never trained.
 */
export async function runEmojiBind(name: string, configInput: unknown, options: RunOptions = {}): Promise<RunResult> {
  const cpuStart = process.cpuUsage();
  const session = await RunSession.open(name, configInput, EmojiBindConfigSchema, options);
  const { config, runDir } = session;
  const data = await loadBindData(config);
  const { stats } = data;
  session.log(
    `emoji-speech: ${data.concepts.length} concepts (${data.split.train.length} train / ${data.split.test.length} held out), ${stats.clips} clips ` +
      `(mean ${stats.meanSeconds.toFixed(2)} s, ${stats.clipsCut} cut to ${config.audio.seconds} s), ${stats.synthesised} synthesised now; ` +
      `load ${stats.loadSeconds.toFixed(1)} s, log-mel ${stats.featureSeconds.toFixed(1)} s`,
  );

  // BPE on the training concepts' captions only, so held-out names may split into sub-words.
  let tokenizer: BpeTokenizer;
  if (session.resumed) {
    const saved = session.resumed.meta['tokenizer'];
    if (saved === undefined) throw new Error(`Cannot resume ${runDir}: its checkpoint meta has no 'tokenizer'`);
    tokenizer = (await loadTokenizer(saved)) as BpeTokenizer;
  } else {
    tokenizer = BpeTokenizer.train(data.split.train.flatMap((c) => data.concepts[c]!.captions), { vocabSize: config.tokenizer.vocabSize });
    await writeJson(path.join(runDir, 'tokenizer.json'), tokenizer.toJSON());
  }

  const model = buildBindModel(config, tokenizer.vocabSize);
  const { train: t } = config;
  if (data.split.train.length < t.batchSize) throw new Error(`train.batchSize ${t.batchSize} is larger than the ${data.split.train.length} training concepts`);
  let optimizer!: AdamW;
  tf.tidy(() => {
    optimizer = new AdamW(model.namedVariables(), { weightDecay: t.weightDecay, ...(t.clipNorm === undefined ? {} : { clipNorm: t.clipNorm }) });
  });
  const trainer = new Trainer<BindBatch>({
    model,
    optimizer,
    schedule: (step) => warmupCosine(step, { peak: t.lr, warmupSteps: t.warmupSteps, totalSteps: t.steps }),
    step: bindStep(model, t.logEvery),
    logEvery: t.logEvery,
    seed: config.seed,
  });
  session.log(`model: ${model.parameterCount().toLocaleString('en')} parameters; trained pairs ${TRAINED_PAIRS.join(', ')} (anchor: text), ${config.data.pairing} pairing`);
  try {
    const fit = await session.fit(trainer, {
      steps: t.steps,
      batches: (step) => stepBatches(config, data, tokenizer, step),
      samplesPerStep: t.batchSize,
      checkpointEvery: t.checkpointEvery,
      probe: { every: t.probeEvery, fn: probeFn(model, config, data, tokenizer) },
      meta: () => ({ tokenizer: tokenizer.toJSON() as unknown as Record<string, unknown> }),
      show: 'loss/audio-text',
    });
    if (!fit.finished) return session.stopped(fit);

    const evalStart = performance.now();
    const evaluation = evaluateBind(model, config, data, tokenizer);
    const scale = tf.tidy(() => model.bindingLoss.logitScale.value().dataSync()[0]!);
    const summary = session.baseSummary(fit, {
      dataset: 'emoji-speech',
      parameters: model.parameterCount(),
      'train/temperature': 1 / scale,
      'train/samplesPerSec': (fit.step * t.batchSize) / fit.seconds,
      'eval/seconds': (performance.now() - evalStart) / 1000,
      'pairs/trained': TRAINED_PAIRS.join(','),
      'pairs/untrained': EMERGENT_PAIRS.join(','),
      'pairs/anchor': 'text',
      'data/concepts': data.concepts.length,
      'data/trainConcepts': data.split.train.length,
      'data/heldOutConcepts': data.split.test.length,
      'data/clips': stats.clips,
      'data/clipsCut': stats.clipsCut,
      'data/featureSeconds': stats.featureSeconds,
    });
    for (const [split, r] of Object.entries(evaluation.splits)) Object.assign(summary, flattenDirections(split, r));
    Object.assign(summary, flattenGeometry(evaluation.geometry));
    for (const dir of DIRECTIONS) {
      const a = summary[`train-sample/${dir}/R@10`], b = summary[`test/${dir}/R@10`];
      if (typeof a === 'number' && typeof b === 'number') summary[`generalisationGap/${dir}/R@10`] = a - b;
    }
    session.log(formatSummary(evaluation));
    // CPU time of this session (wasm runs on one core): on a shared machine, closer to the idle wall time than the wall time is.
    const cpu = process.cpuUsage(cpuStart);
    summary['cpuSeconds'] = (cpu.user + cpu.system) / 1e6;
    const metrics = session.metrics.read();
    return await session.finish(summary, evaluation, (file) => writeBindReport(file, { name: session.name, runDir, config, summary, metrics, evaluation }));
  } finally {
    trainer.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

/** A plain-text table of R@1/5/10 with CIs and chance per split and direction, trained pairs marked. */
function formatSummary(evaluation: BindEvaluation): string {
  const lines: string[] = [];
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  for (const [split, dirs] of Object.entries(evaluation.splits)) {
    for (const [dir, r] of Object.entries(dirs)) {
      const cells = Object.keys(r.recall).map((k) => `R@${k} ${pct(r.recall[Number(k)]!)} [${pct(r.recallCi[Number(k)]!.lower)}, ${pct(r.recallCi[Number(k)]!.upper)}] (chance ${pct(r.chance.recall[Number(k)]!)})`);
      lines.push(`${`${split} ${dir}${isTrained(dir) ? '' : ' (never trained)'}`.padEnd(40)} ${cells.join('  ')}  [${r.n} queries, ${r.galleryCount} candidates]`);
    }
  }
  return lines.join('\n');
}

/** Rebuilds report.html of a finished run from config.json, summary.json, evaluation.json and metrics.jsonl. */
export async function rebuildEmojiBindReport(runDir: string): Promise<string> {
  const saved = readJson<{ name: string; config: unknown }>(path.join(runDir, 'config.json'));
  const config = EmojiBindConfigSchema.parse(saved.config);
  const summary = readJson<Record<string, number | string>>(path.join(runDir, 'summary.json'));
  const evaluation = readJson<BindEvaluation>(path.join(runDir, 'evaluation.json'));
  const metrics = new MetricsLog(path.join(runDir, 'metrics.jsonl')).read();
  const file = path.join(runDir, 'report.html');
  await writeBindReport(file, { name: saved.name, runDir, config, summary, metrics, evaluation });
  return file;
}
