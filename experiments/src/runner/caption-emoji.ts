import { AdamW, CaptionDecoder, Captioner, loadCheckpoint, lossStep, Module, Rng, toTensors, Trainer, VisionTransformer, warmupCosine, type StepContext, type TextInput } from '@modalab/core';
import { augmentImages, BpeTokenizer, loadEmoji, type EmojiConcept } from '@modalab/data';
import { bleu, bootstrapCi, ciderD, pairedBootstrap, tokenizeCaption, type Tokens } from '@modalab/eval';
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import sharp from 'sharp';
import { type CaptionEmojiConfig, CaptionEmojiConfigSchema } from './caption-emoji-config.js';
import { writeCaptionReport } from './caption-emoji-report.js';
import { CHECKPOINT_FILE, type RunOptions, type RunResult } from './clip-emoji.js';
import { imageBatch, textBatch } from './embed.js';
import { MetricsLog, readJson, writeJson } from './run-dir.js';
import { epochBatch, RunSession } from './session.js';

/** The split names of the evaluation, in report order. */
export const CAPTION_SPLITS = ['test', 'train-sample'] as const;
/** The captioners compared: the model decoded two ways, and two that learn nothing. */
export const CAPTION_METHODS = ['greedy', 'beam', 'baseline-pixel-nn', 'baseline-most-frequent'] as const;
export type CaptionSplit = (typeof CAPTION_SPLITS)[number];
export type CaptionMethod = (typeof CAPTION_METHODS)[number];

export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
}

export interface MethodScores {
  /** Corpus BLEU-4 with a percentile bootstrap over images (corpus BLEU recomputed per resample). */
  bleu4: Interval;
  /** CIDEr-D: mean of per-image scores (IDF from the split's references), bootstrap of that mean. */
  cider: Interval;
  /** Cumulative BLEU-1..4. */
  bleuN: number[];
  /** Distinct captions / images: 1/n means one caption for every image. */
  distinct: number;
  /** Images whose caption equals one of their references word for word. */
  exactMatch: number;
  meanWords: number;
  /** The most frequent captions produced, with counts. */
  top: Array<[string, number]>;
}

export interface CaptionExample {
  concept: string;
  /** A PNG data URL of the image as the model saw it (upscaled 2x, nearest). */
  image: string;
  greedy: string;
  beam: string;
  pixelNn: string;
  references: string[];
  /** CIDEr-D of the greedy caption for this image. */
  cider: number;
}

export interface CaptionEvaluation {
  counts: Record<CaptionSplit, number>;
  scores: Record<CaptionSplit, Record<CaptionMethod, MethodScores>>;
  /** Paired bootstrap of per-image CIDEr-D, greedy model minus the pixel-NN baseline. */
  greedyVsPixelNn: Record<CaptionSplit, Interval & { pValue: number }>;
  mostFrequentCaption: string;
  examples: CaptionExample[];
}

interface Batch {
  image: tf.Tensor4D;
  text: TextInput;
}

/**
 * Trains an image captioner (ViT tokens + a causal decoder with cross-attention) on the
 * built-in emoji dataset and scores its captions of held-out concepts and of training
 * concepts with BLEU-4 and CIDEr-D, beside a pixel nearest-neighbour and a constant captioner.
 */
export async function runCaptionEmoji(name: string, configInput: unknown, options: RunOptions = {}): Promise<RunResult> {
  const session = await RunSession.open(name, configInput, CaptionEmojiConfigSchema, options);
  const config = session.config;
  const t0 = performance.now();
  const data = await loadCaptionData(config);
  session.log(`emoji (${config.data.style}): ${data.concepts.length} concepts, ${data.train.length} train / ${data.test.length} held out (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

  // BPE on training captions only: a held-out concept's own words may be split into pieces.
  const saved = session.resumed?.meta['tokenizer'];
  const tokenizer = saved === undefined ? BpeTokenizer.train(data.train.flatMap((i) => data.concepts[i]!.captions), { vocabSize: config.tokenizer.vocabSize }) : BpeTokenizer.fromJSON(saved);
  if (saved === undefined) await writeJson(path.join(session.runDir, 'tokenizer.json'), tokenizer.toJSON());

  const model = buildCaptioner(config, tokenizer);
  let optimizer!: AdamW;
  tf.tidy(() => {
    // In tidy: the constructor's zerosLike copies are otherwise left behind.
    optimizer = new AdamW(model.namedVariables(), { weightDecay: config.train.weightDecay, ...(config.train.clipNorm === undefined ? {} : { clipNorm: config.train.clipNorm }) });
  });
  const parameters = model.parameterCount();
  session.log(`model: ${parameters.toLocaleString('en')} parameters, vocabulary ${tokenizer.vocabSize}`);

  const { steps, batchSize, lr, warmupSteps, logEvery } = config.train;
  const ctxLen = config.tokenizer.contextLength;
  if (data.train.length < batchSize) throw new Error(`caption-emoji: train.batchSize ${batchSize} is larger than the ${data.train.length} training concepts`);
  const augment = config.data.augment;
  const trainer = new Trainer<Batch>({
    model,
    optimizer,
    schedule: (s) => warmupCosine(s, { peak: lr, warmupSteps, totalSteps: steps }),
    logEvery,
    seed: config.seed + 6,
    step: lossStep(
      (batch: Batch, ctx: StepContext) => {
        // Augmentation draws from the trainer's Rng, which the checkpoint carries: a resumed run sees the same crops.
        const image = augment === false ? batch.image : augmentImages(batch.image, augment, ctx.rng);
        const { loss, logits } = model.loss({ image, text: batch.text });
        return { loss, metrics: { accuracy: tokenAccuracy(logits, batch.text) } };
      },
      { groupGradNorms: true },
    ),
  });

  const probe = makeProbe(model, tokenizer, data, config);
  let fit;
  try {
    fit = await session.fit(trainer, {
      steps,
      samplesPerStep: batchSize,
      checkpointEvery: config.train.checkpointEvery,
      show: 'accuracy',
      meta: () => ({ tokenizer: tokenizer.toJSON() as unknown as Record<string, unknown> }),
      probe: { every: config.train.probeEvery, fn: probe },
      batches: (step) => {
        const rows = epochBatch(data.train.length, batchSize, config.seed, step).map((i) => data.train[i]!);
        // A pure function of the step, so a resumed run draws the same captions.
        const rng = new Rng(config.seed * 100_003 + step + 11);
        const captions = rows.map((i) => trainingCaption(data.concepts[i]!, config.data.captions, rng));
        return { image: imageBatch(data.pixels, config.data.imageSize, rows), text: textBatch(tokenizer, captions, ctxLen) };
      },
    });
  } finally {
    trainer.dispose();
  }
  if (!fit.finished) {
    optimizer.dispose();
    model.dispose();
    return session.stopped(fit);
  }

  const evalStart = performance.now();
  let evaluation: CaptionEvaluation;
  try {
    evaluation = await evaluateCaptioner(model, tokenizer, data, config, session.log);
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  const summary = session.baseSummary(fit, {
    dataset: 'emoji',
    parameters,
    vocabSize: tokenizer.vocabSize,
    'train/samplesPerSec': (fit.step * batchSize) / fit.seconds,
    'eval/seconds': (performance.now() - evalStart) / 1000,
    mostFrequentCaption: evaluation.mostFrequentCaption,
    ...flattenCaptionScores(evaluation),
  });
  session.log(formatCaptionScores(evaluation));
  const metrics = session.metrics.read();
  return session.finish(summary, evaluation, (file) => writeCaptionReport(file, { name: session.name, runDir: session.runDir, config, summary, metrics, evaluation }));
}

/** Rebuilds report.html of a finished caption-emoji run from its files (no model, no data). */
export async function rebuildCaptionEmojiReport(runDir: string): Promise<string> {
  const dir = path.resolve(runDir);
  const saved = readJson<{ name: string; config: unknown }>(path.join(dir, 'config.json'));
  const config = CaptionEmojiConfigSchema.parse(saved.config);
  const summary = readJson<Record<string, number | string>>(path.join(dir, 'summary.json'));
  const evaluation = readJson<CaptionEvaluation>(path.join(dir, 'evaluation.json'));
  const metrics = new MetricsLog(path.join(dir, 'metrics.jsonl')).read();
  const file = path.join(dir, 'report.html');
  await writeCaptionReport(file, { name: saved.name, runDir: dir, config, summary, metrics, evaluation });
  return file;
}

/** The trained captioner of a run directory and its tokenizer, from config.json and the checkpoint (to caption new images). */
export async function loadCaptionEmojiModel(runDir: string): Promise<{ model: Captioner; tokenizer: BpeTokenizer; config: CaptionEmojiConfig }> {
  const dir = path.resolve(runDir);
  const config = CaptionEmojiConfigSchema.parse(readJson<{ config: unknown }>(path.join(dir, 'config.json')).config);
  const ckpt = await loadCheckpoint(path.join(dir, CHECKPOINT_FILE));
  if (ckpt.meta['tokenizer'] === undefined) throw new Error(`${path.join(dir, CHECKPOINT_FILE)}: meta has no 'tokenizer'; was it written by caption-emoji?`);
  const tokenizer = BpeTokenizer.fromJSON(ckpt.meta['tokenizer']);
  const model = buildCaptioner(config, tokenizer);
  const tensors = toTensors(ckpt);
  try {
    for (const [n, v] of model.namedVariables()) {
      const t = tensors[`param.${n}`];
      if (t === undefined) throw new Error(`${path.join(dir, CHECKPOINT_FILE)} has no tensor 'param.${n}'`);
      v.assign(t);
    }
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return { model, tokenizer, config };
}

/** Captions of a batch of images [B, S, S, 3] in [0, 1]: greedy, or beam search of width beamSize. */
export function captionImages(model: Captioner, tokenizer: BpeTokenizer, images: tf.Tensor4D, options: { beamSize?: number; lengthPenalty?: number } = {}): string[] {
  const caps = options.beamSize === undefined ? model.greedy(images) : model.beamSearch(images, { beamSize: options.beamSize, lengthPenalty: options.lengthPenalty ?? 0 });
  return caps.map((c) => tokenizer.decode(c.tokens).trim());
}

export interface CaptionData {
  concepts: EmojiConcept[];
  /** [N, S, S, 3] in [0, 1]; row i = concepts[i]. */
  pixels: Float32Array;
  train: number[];
  test: number[];
}

async function loadCaptionData(config: CaptionEmojiConfig): Promise<CaptionData> {
  const { imageSize, heldOutFraction, style, maxConcepts } = config.data;
  const data = await loadEmoji({ imageSize, styles: [style], heldOutFraction, seed: config.seed });
  let { train, test } = data.split;
  if (maxConcepts !== undefined) {
    const rng = new Rng(config.seed + 3);
    const nTest = Math.max(2, Math.round(maxConcepts * heldOutFraction));
    train = rng.shuffle([...train]).slice(0, maxConcepts - nTest);
    test = rng.shuffle([...test]).slice(0, nTest);
  }
  return { concepts: data.concepts, pixels: data.images[style]!.pixels, train, test };
}

/**
 * Every ViT token of images standardised as (x - mean) / std. On raw [0, 1] emoji, mostly
 * white, the tokens of different images barely differed and the decoder learned to ignore
 * them: teacher-forced loss with another image's tokens was 0.01 nats/token worse after 100
 * steps, against 1.0 with standardised pixels (200 concepts, names as captions).
 */
export class StandardizedVitTokens extends Module {
  readonly outputDim: number;

  constructor(
    readonly vit: VisionTransformer,
    readonly mean: number,
    readonly std: number,
  ) {
    super();
    this.child('vit', vit);
    this.outputDim = vit.outputDim;
  }

  apply(images: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => this.vit.tokens(tf.div(tf.sub(images, this.mean), this.std) as tf.Tensor4D)); // [B, 1 + patches, D]
  }
}

function buildCaptioner(config: CaptionEmojiConfig, tokenizer: BpeTokenizer): Captioner {
  const rng = new Rng(config.seed);
  const vit = new VisionTransformer(config.model.image, rng.fork());
  const decoder = new CaptionDecoder(
    { kind: 'caption-decoder', ...config.model.decoder, vocabSize: tokenizer.vocabSize, contextLength: config.tokenizer.contextLength, contextDim: vit.outputDim },
    rng.fork(),
  );
  const image = new StandardizedVitTokens(vit, config.data.pixelMean, config.data.pixelStd);
  return new Captioner({ image, decoder, bos: tokenizer.bosId, eot: tokenizer.eotId });
}

/** The caption a concept is trained with this step (see data.captions). */
export function trainingCaption(concept: { name: string; captions: string[] }, mode: CaptionEmojiConfig['data']['captions'], rng: Rng): string {
  if (mode === 'name') return concept.name;
  if (mode === 'any') return concept.captions[rng.int(concept.captions.length)]!;
  const others = concept.captions.filter((c) => c !== concept.name);
  return others.length === 0 || rng.next() < 0.5 ? concept.name : others[rng.int(others.length)]!;
}

/** Teacher-forced next-token accuracy over the real target tokens (EOT included). */
function tokenAccuracy(logits: tf.Tensor3D, text: TextInput): tf.Scalar {
  return tf.tidy(() => {
    const [b, t] = text.ids.shape;
    const targets = tf.slice(text.ids, [0, 1], [b, t - 1]); // [B, T-1]
    const weights = tf.cast(tf.slice(text.mask, [0, 1], [b, t - 1]), 'float32'); // [B, T-1]
    const hits = tf.cast(tf.equal(tf.argMax(logits, -1), targets), 'float32'); // [B, T-1]
    return tf.div(tf.sum(tf.mul(hits, weights)), tf.maximum(tf.sum(weights), 1)) as tf.Scalar;
  });
}

/** One row per (concept, caption) of `rows`: what the probe and references are built from. */
function captionRows(data: CaptionData, rows: readonly number[]): { concept: number[]; caption: string[] } {
  const concept: number[] = [];
  const caption: string[] = [];
  for (const i of rows) {
    for (const c of data.concepts[i]!.captions) {
      concept.push(i);
      caption.push(c);
    }
  }
  return { concept, caption };
}

/**
 * Teacher-forced loss and token accuracy with every caption of a fixed set of held-out
 * concepts and of training concepts (unaugmented): the generalisation gap as training goes.
 * imageUse is the loss with each caption paired with another concept's image minus the loss
 * with its own: how many nats per token the image is worth. Near 0, the decoder is a language
 * model that ignores the image (the image tower has collapsed).
 */
function makeProbe(model: Captioner, tokenizer: BpeTokenizer, data: CaptionData, config: CaptionEmojiConfig): () => Record<string, number> {
  const n = Math.min(config.train.probeSize, data.test.length);
  const sets = {
    test: new Rng(config.seed + 8).shuffle([...data.test]).slice(0, n),
    train: new Rng(config.seed + 9).shuffle([...data.train]).slice(0, n),
  };
  const bs = config.eval.batchSize;
  // Mean loss and accuracy over tokens of the captions `caption`, each shown the image of `imageOf`.
  const score = (imageOf: number[], caption: string[]) => {
    let loss = 0;
    let hits = 0;
    let tokens = 0;
    for (let i = 0; i < caption.length; i += bs) {
      const image = imageBatch(data.pixels, config.data.imageSize, imageOf.slice(i, i + bs));
      const text = textBatch(tokenizer, caption.slice(i, i + bs), config.tokenizer.contextLength);
      const [l, a, w] = tf.tidy(() => {
        const o = model.loss({ image, text });
        const weight = tf.sum(tf.slice(text.mask, [0, 1], [-1, -1]));
        return [tf.mul(o.loss, weight), tf.mul(tokenAccuracy(o.logits, text), weight), weight].map((t) => t.dataSync()[0]!);
      });
      tf.dispose([image, text.ids, text.mask]);
      loss += l!;
      hits += a!;
      tokens += w!;
    }
    return { loss: loss / tokens, accuracy: hits / tokens };
  };
  return () => {
    const out: Record<string, number> = {};
    for (const [set, rows] of Object.entries(sets)) {
      const { concept, caption } = captionRows(data, rows);
      // The next concept's image (cyclically): never the caption's own.
      const next = new Map(rows.map((r, j) => [r, rows[(j + 1) % rows.length]!]));
      const own = score(concept, caption);
      const other = score(concept.map((c) => next.get(c)!), caption);
      out[`probe/${set}/loss`] = own.loss;
      out[`probe/${set}/accuracy`] = own.accuracy;
      out[`probe/${set}/imageUse`] = other.loss - own.loss;
    }
    return out;
  };
}

/** Decoded captions of `rows`, in batches of eval.batchSize. */
function generate(model: Captioner, tokenizer: BpeTokenizer, data: CaptionData, config: CaptionEmojiConfig, rows: readonly number[], beam: boolean): string[] {
  const out: string[] = [];
  const bs = config.eval.batchSize;
  for (let i = 0; i < rows.length; i += bs) {
    const images = imageBatch(data.pixels, config.data.imageSize, rows.slice(i, i + bs));
    try {
      out.push(...captionImages(model, tokenizer, images, beam ? { beamSize: config.eval.beamSize, lengthPenalty: config.eval.lengthPenalty } : {}));
    } finally {
      images.dispose();
    }
  }
  return out;
}

/** For each query row, the training row nearest in raw pixels (squared Euclidean distance). */
export function nearestTrainingImage(pixels: Float32Array, size: number, queries: readonly number[], train: readonly number[], batchSize: number): number[] {
  const per = size * size * 3;
  const gallery = tf.tidy(() => tf.reshape(imageBatch(pixels, size, train), [train.length, per]) as tf.Tensor2D); // [G, P]
  const norms = tf.tidy(() => tf.sum(tf.square(gallery), 1)); // [G]
  const out: number[] = [];
  try {
    for (let i = 0; i < queries.length; i += batchSize) {
      const best = tf.tidy(() => {
        const q = tf.reshape(imageBatch(pixels, size, queries.slice(i, i + batchSize)), [-1, per]) as tf.Tensor2D; // [Q, P]
        // |q - g|^2 = |q|^2 - 2 q.g + |g|^2; |q|^2 is the same for every g of a row.
        const d = tf.sub(norms, tf.mul(2, tf.matMul(q, gallery, false, true))); // [Q, G]
        return tf.argMin(d, 1).arraySync() as number[];
      });
      for (const j of best) out.push(train[j]!);
    }
  } finally {
    tf.dispose([gallery, norms]);
  }
  return out;
}

/** The caption most often among the training concepts' captions (ties: alphabetical). */
export function mostFrequentCaption(data: CaptionData): string {
  const counts = new Map<string, number>();
  for (const i of data.train) for (const c of data.concepts[i]!.captions) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
}

/** BLEU-4 and CIDEr-D of one captioner on one split, with percentile bootstrap intervals over images. */
function scoreCaptions(captions: string[], refs: Tokens[][], config: CaptionEmojiConfig, seed: number): MethodScores & { perImageCider: Float64Array } {
  const cands = captions.map(tokenizeCaption);
  const b = bleu(cands, refs);
  const c = ciderD(cands, refs);
  const index = Float64Array.from(cands, (_, i) => i);
  const resamples = config.eval.bootstrapResamples;
  // The same seed for every captioner of a split: their intervals come from the same resamples of images.
  const bleuCi = bootstrapCi(index, { seed, resamples, statistic: (s) => bleu(Array.from(s, (i) => cands[i]!), Array.from(s, (i) => refs[i]!)).bleu });
  const ciderCi = bootstrapCi(c.perItem, { seed, resamples });
  const counts = new Map<string, number>();
  for (const t of captions) counts.set(t, (counts.get(t) ?? 0) + 1);
  const joined = (t: Tokens) => t.join(' ');
  return {
    bleu4: { estimate: b.bleu, lower: bleuCi.lower, upper: bleuCi.upper },
    cider: { estimate: c.score, lower: ciderCi.lower, upper: ciderCi.upper },
    bleuN: b.bleuN,
    distinct: counts.size / captions.length,
    exactMatch: cands.filter((t, i) => refs[i]!.some((r) => joined(r) === joined(t))).length / cands.length,
    meanWords: cands.reduce((s, t) => s + t.length, 0) / cands.length,
    top: [...counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, 8),
    perImageCider: c.perItem,
  };
}

/** Every caption of a concept, tokenised, as its references (empty ones, e.g. a caption of symbols only, dropped). */
function referencesOf(concept: EmojiConcept): Tokens[] {
  const refs = concept.captions.map(tokenizeCaption).filter((t) => t.length > 0);
  if (refs.length === 0) throw new Error(`caption-emoji: concept '${concept.name}' (${concept.id}) has no caption with a word in it`);
  return refs;
}

/**
 * Greedy and beam captions of the held-out concepts ("test") and of a same-size seeded sample
 * of training concepts ("train-sample"), each scored against all captions of its concept,
 * beside the pixel-NN and most-frequent-caption baselines.
 */
export async function evaluateCaptioner(model: Captioner, tokenizer: BpeTokenizer, data: CaptionData, config: CaptionEmojiConfig, log: (line: string) => void = () => {}): Promise<CaptionEvaluation> {
  const sets: Record<CaptionSplit, number[]> = {
    test: data.test,
    'train-sample': new Rng(config.seed + 4).shuffle([...data.train]).slice(0, data.test.length),
  };
  const frequent = mostFrequentCaption(data);
  const scores = {} as CaptionEvaluation['scores'];
  const comparisons = {} as CaptionEvaluation['greedyVsPixelNn'];
  const counts = {} as CaptionEvaluation['counts'];
  let examples: CaptionExample[] = [];
  for (const [s, split] of CAPTION_SPLITS.entries()) {
    const rows = sets[split];
    const refs = rows.map((i) => referencesOf(data.concepts[i]!));
    const t = performance.now();
    const neighbours = nearestTrainingImage(data.pixels, config.data.imageSize, rows, data.train, config.eval.batchSize);
    const captions: Record<CaptionMethod, string[]> = {
      greedy: generate(model, tokenizer, data, config, rows, false),
      beam: generate(model, tokenizer, data, config, rows, true),
      'baseline-pixel-nn': neighbours.map((j) => data.concepts[j]!.name),
      'baseline-most-frequent': rows.map(() => frequent),
    };
    log(`${split}: captions of ${rows.length} images in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const seed = config.seed + 100 * (s + 1);
    const scored = Object.fromEntries(CAPTION_METHODS.map((m) => [m, scoreCaptions(captions[m], refs, config, seed)])) as Record<CaptionMethod, ReturnType<typeof scoreCaptions>>;
    const diff = pairedBootstrap(scored.greedy.perImageCider, scored['baseline-pixel-nn'].perImageCider, { seed, resamples: config.eval.bootstrapResamples });
    comparisons[split] = { estimate: diff.estimate, lower: diff.lower, upper: diff.upper, pValue: diff.pValue };
    scores[split] = Object.fromEntries(CAPTION_METHODS.map((m) => [m, withoutPerImage(scored[m])])) as Record<CaptionMethod, MethodScores>;
    counts[split] = rows.length;
    if (split === 'test') {
      const picked = new Rng(config.seed + 5).shuffle(rows.map((_, j) => j)).slice(0, Math.min(config.eval.examples, rows.length));
      examples = await Promise.all(
        picked.map(async (j) => ({
          concept: data.concepts[rows[j]!]!.name,
          image: await pngDataUrl(data.pixels, config.data.imageSize, rows[j]!),
          greedy: captions.greedy[j]!,
          beam: captions.beam[j]!,
          pixelNn: captions['baseline-pixel-nn'][j]!,
          references: data.concepts[rows[j]!]!.captions,
          cider: scored.greedy.perImageCider[j]!,
        })),
      );
    }
  }
  return { counts, scores, greedyVsPixelNn: comparisons, mostFrequentCaption: frequent, examples };
}

function withoutPerImage(s: MethodScores & { perImageCider: Float64Array }): MethodScores {
  const { perImageCider: _drop, ...rest } = s;
  return rest;
}

/** Row `row` of the pixel array as a PNG data URL, upscaled 2x with nearest neighbour so pixels stay visible. */
async function pngDataUrl(pixels: Float32Array, size: number, row: number): Promise<string> {
  const per = size * size * 3;
  const bytes = Buffer.from(Array.from(pixels.subarray(row * per, (row + 1) * per), (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)));
  const png = await sharp(bytes, { raw: { width: size, height: size, channels: 3 } }).resize(2 * size, 2 * size, { kernel: 'nearest' }).png().toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** Flat summary keys: "<split>/<method>/BLEU-4" with ".../ci95/lower|upper", CIDEr-D likewise, and the gap. */
export function flattenCaptionScores(e: CaptionEvaluation): Record<string, number> {
  const out: Record<string, number> = {};
  for (const split of CAPTION_SPLITS) {
    out[`${split}/count`] = e.counts[split];
    for (const method of CAPTION_METHODS) {
      const s = e.scores[split][method];
      const p = `${split}/${method}`;
      for (const [key, v] of [['BLEU-4', s.bleu4], ['CIDEr-D', s.cider]] as const) {
        out[`${p}/${key}`] = v.estimate;
        out[`${p}/${key}/ci95/lower`] = v.lower;
        out[`${p}/${key}/ci95/upper`] = v.upper;
      }
      s.bleuN.slice(0, 3).forEach((v, n) => (out[`${p}/BLEU-${n + 1}`] = v));
      out[`${p}/distinct`] = s.distinct;
      out[`${p}/exactMatch`] = s.exactMatch;
      out[`${p}/meanWords`] = s.meanWords;
    }
    const d = e.greedyVsPixelNn[split];
    out[`${split}/greedy-minus-pixel-nn/CIDEr-D`] = d.estimate;
    out[`${split}/greedy-minus-pixel-nn/CIDEr-D/ci95/lower`] = d.lower;
    out[`${split}/greedy-minus-pixel-nn/CIDEr-D/ci95/upper`] = d.upper;
    out[`${split}/greedy-minus-pixel-nn/CIDEr-D/pValue`] = d.pValue;
  }
  for (const method of ['greedy', 'beam'] as const) {
    for (const [key, pick] of [['BLEU-4', (s: MethodScores) => s.bleu4.estimate], ['CIDEr-D', (s: MethodScores) => s.cider.estimate]] as const) {
      out[`gap/${method}/${key}`] = pick(e.scores['train-sample'][method]) - pick(e.scores.test[method]);
    }
  }
  return out;
}

/** A plain-text table of the scores for the terminal. */
export function formatCaptionScores(e: CaptionEvaluation): string {
  const lines: string[] = [];
  const f = (v: Interval, digits: number) => `${v.estimate.toFixed(digits)} [${v.lower.toFixed(digits)}, ${v.upper.toFixed(digits)}]`;
  for (const split of CAPTION_SPLITS) {
    for (const method of CAPTION_METHODS) {
      const s = e.scores[split][method];
      lines.push(`${`${split} ${method}`.padEnd(36)} BLEU-4 ${f(s.bleu4, 3)}  CIDEr-D ${f(s.cider, 3)}  distinct ${(100 * s.distinct).toFixed(0)}%  [${e.counts[split]} images]`);
    }
  }
  return lines.join('\n');
}
