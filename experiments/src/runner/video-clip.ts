import {
  AdamW,
  createTemporal,
  lossStep,
  MultiEncoder,
  BindingLoss,
  Rng,
  TextTransformer,
  TextTransformerConfigSchema,
  Trainer,
  VideoEncoder,
  VisionTransformer,
  VitConfigSchema,
  warmupCosine,
  type TextInput,
} from '@modalab/core';
import { BpeTokenizer, loadEmojiMotion, loadTokenizer, type EmojiMotionDataset, type Motion, type MotionClipSet } from '@modalab/data';
import { bootstrapCi, embeddingGeometry, pca } from '@modalab/eval';
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import { EVALUATION_FILE, type RunOptions, type RunResult } from './clip-emoji.js';
import { textBatch } from './embed.js';
import { flattenGeometry, flattenResults, formatResults, retrievalBothWays, type RetrievalWithCi } from './evaluate.js';
import { MetricsLog, readJson } from './run-dir.js';
import { epochBatch, RunSession } from './session.js';
import { type VideoClipConfig, VideoClipConfigSchema } from './video-clip-config.js';
import { writeVideoClipReport } from './video-clip-report.js';

export type VideoTextModel = MultiEncoder<{ text: TextTransformer; video: VideoEncoder }>;
type Batch = { video: tf.Tensor5D; text: TextInput };
export type VideoDirection = 'video->text' | 'text->video';
export type VideoSplitResults = Record<VideoDirection, RetrievalWithCi>;

/** An accuracy over reversed pairs with its 95% bootstrap interval (pairs resampled). */
export interface PairInterval {
  accuracy: number;
  lower: number;
  upper: number;
  /** Reversed pairs scored (each contributes its two clips). */
  pairs: number;
}

export interface ReversedPairResult {
  /** For each clip, is its own text scored above the text of its reversed motion? */
  'video->text': PairInterval;
  /** For each text, is its own clip scored above the reversed clip? */
  'text->video': PairInterval;
  /** video->text by pair of motions ('left/right', ...). */
  byMotionPair: Record<string, PairInterval>;
  chance: number;
}

export interface VideoClipEvaluation {
  data: {
    frames: number;
    frameSize: number;
    trainClips: number;
    testClips: number;
    trainConcepts: number;
    testConcepts: number;
    truncatedCaptions: number;
    loadMs: number;
    byMotion: Record<string, number>;
    /** Per-channel standardisation of the frames (identity when data.normalize is off). */
    pixels: PixelStats;
  };
  splits: Record<string, VideoSplitResults>;
  reversed: Record<string, ReversedPairResult>;
  /** 8-way motion classification: among the captions of the clip's own emoji with every motion, is its own the top one? */
  motion: Record<string, PairInterval & { chance: number; choices: number }>;
  /** Geometry of the held-out embeddings (flat keys, as in the summary). */
  geometry: Record<string, number>;
  scatter: { video: number[][]; text: number[][]; labels: string[]; axisTitles: [string, string] };
  /** Held-out clips (rows) against their captions (columns), whole reversed pairs side by side. */
  heatmap: { matrix: number[][]; labels: string[] };
  examples: Array<{ concept: string; motion: string; caption: string; rank: number; own: number; reversed: number; top: string[] }>;
}

/**
 * Score differences this small are float32 rounding of equal scores: mean pooling embeds a clip
 * and its reverse ~1e-7 apart (summation order); the temporal modules, untrained at the shipped
 * size, 1e-4 or more (tiny ones ~1e-5: an untrained tiny module is close to order-blind). A tie is half a hit.
 */
export const TIE_TOLERANCE = 1e-6;

/** Trains and evaluates a CLIP-style video-text dual encoder on the built-in emoji-motion clips. */
export async function runVideoClip(name: string, configInput: unknown, options: RunOptions = {}): Promise<RunResult> {
  const session = await RunSession.open<VideoClipConfig>(name, configInput, VideoClipConfigSchema, options);
  const { config } = session;

  // Data: the dataset's in-memory frames ([clips, T, S, S, 3] floats), never its mp4 files.
  const t0 = performance.now();
  const data = await loadMotion(config);
  const { train, test } = data.splits;
  const verbs = motionVerbs(data);
  const stats = config.data.normalize ? pixelStats(train) : IDENTITY_STATS;
  session.log(`emoji-motion: ${train.count} train / ${test.count} held-out clips of ${train.frames} x ${train.size} px frames (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

  const saved = session.resumed?.meta['tokenizer'];
  const tokenizer = saved === undefined ? BpeTokenizer.train(train.clips.map((c) => c.caption), { vocabSize: config.tokenizer.vocabSize }) : ((await loadTokenizer(saved as never)) as BpeTokenizer);
  const ctxLen = config.tokenizer.contextLength;
  const truncated = [...train.clips, ...test.clips].filter((c) => tokenizer.encode(c.caption).length + 2 > ctxLen).length;
  if (truncated > 0) session.log(`warning: ${truncated} captions exceed tokenizer.contextLength ${ctxLen} and lose their last words (the motion)`);

  const model = buildVideoTextModel(config, tokenizer.vocabSize);
  let optimizer!: AdamW;
  tf.tidy(() => {
    optimizer = new AdamW(model.namedVariables(), { weightDecay: config.train.weightDecay, ...(config.train.clipNorm === undefined ? {} : { clipNorm: config.train.clipNorm }) });
  });
  session.log(`model: ${model.parameterCount().toLocaleString('en')} parameters, temporal '${config.model.temporal.kind}'`);

  const { steps, batchSize, lr, warmupSteps } = config.train;
  const trainer = new Trainer<Batch>({
    model,
    optimizer,
    schedule: (s) => warmupCosine(s, { peak: lr, warmupSteps, totalSteps: steps }),
    // Per-tower norms (video, text) only on the steps the Trainer reads, and the temperature.
    step: lossStep((batch: Batch) => ({ loss: model.loss(batch).loss, metrics: { temperature: tf.div(1, model.bindingLoss.logitScale.value()) as tf.Scalar } }), { groupGradNorms: 'modality', metricsEvery: config.train.logEvery }),
    logEvery: config.train.logEvery,
    seed: config.seed,
  });
  const pairs = reversedPairs(train);
  if (batchSize > train.count) throw new Error(`train.batchSize ${batchSize} is larger than the ${train.count} training clips`);
  const rowsOf = (step: number): number[] =>
    config.train.pairedBatches ? epochBatch(pairs.length, batchSize / 2, config.seed, step).flatMap((p) => pairs[p]!) : epochBatch(train.count, batchSize, config.seed, step);
  const probeRows = new Rng(config.seed + 7)
    .shuffle([...pairs])
    .slice(0, Math.min(config.train.probeSize / 2, pairs.length))
    .flat();
  const probe = (): Record<string, number> => {
    const video = embedVideos(model, train, probeRows, stats, config.eval.batchSize);
    const text = embedTexts(model, tokenizer, probeRows.map((r) => train.clips[r]!.caption), ctxLen, config.eval.batchSize);
    const g = embeddingGeometry({ video, text }, { uniformity: { seed: config.seed } });
    const sims = tf.tidy(() => tf.matMul(video, text, false, true).arraySync() as number[][]);
    tf.dispose([video, text]);
    const acc = reversedPairAccuracy(sims, localMirrors(train, probeRows), config.seed).videoToText.accuracy;
    const pair = g.pairs['text|video']!;
    return {
      'probe/reversedPairAccuracy': acc,
      'probe/gap': pair.gap,
      'probe/alignment': pair.alignment ?? Number.NaN,
      'probe/uniformity/video': g.modalities.video!.uniformity,
      'probe/uniformity/text': g.modalities.text!.uniformity,
      'probe/rankMe/video': g.modalities.video!.rankMe,
      'probe/rankMe/text': g.modalities.text!.rankMe,
    };
  };
  const fit = await session.fit(trainer, {
    steps,
    samplesPerStep: batchSize,
    checkpointEvery: config.train.checkpointEvery,
    batches: (step) => {
      const rows = rowsOf(step);
      return { video: clipBatch(train, rows, stats), text: textBatch(tokenizer, rows.map((r) => train.clips[r]!.caption), ctxLen) };
    },
    probe: { every: config.train.probeEvery, fn: probe },
    meta: () => ({ tokenizer: tokenizer.toJSON() as unknown as Record<string, unknown> }),
  });
  trainer.dispose();
  if (!fit.finished) {
    model.dispose();
    optimizer.dispose();
    return session.stopped(fit);
  }

  const evalStart = performance.now();
  const evaluation = evaluateVideoClip(model, tokenizer, data, stats, verbs, config, truncated);
  const temperature = tf.tidy(() => 1 / model.bindingLoss.logitScale.value().arraySync());
  const summary = session.baseSummary(fit, {
    dataset: 'emoji-motion',
    'model/temporal': config.model.temporal.kind,
    parameters: model.parameterCount(),
    'data/frames': train.frames,
    'data/frameSize': train.size,
    'data/trainClips': train.count,
    'data/testClips': test.count,
    'data/truncatedCaptions': truncated,
    'train/temperature': temperature,
    'train/samplesPerSec': (fit.step * batchSize) / fit.seconds,
    'eval/seconds': (performance.now() - evalStart) / 1000,
  });
  Object.assign(summary, flattenEvaluation(evaluation));
  session.log(formatVideoResults(evaluation));
  model.dispose();
  optimizer.dispose();
  const dir = session.runDir;
  return session.finish(summary, evaluation, (file) => writeVideoClipReport(file, { name: session.name, runDir: dir, config, summary, metrics: session.metrics.read(), evaluation }));
}

/** Rebuilds report.html of a finished run from config.json, summary.json, evaluation.json and metrics.jsonl. */
export async function rebuildVideoClipReport(runDir: string): Promise<string> {
  const dir = path.resolve(runDir);
  const saved = readJson<{ name: string; config: unknown }>(path.join(dir, 'config.json'));
  const config = VideoClipConfigSchema.parse(saved.config);
  const summary = readJson<Record<string, number | string>>(path.join(dir, 'summary.json'));
  const evaluation = readJson<VideoClipEvaluation>(path.join(dir, EVALUATION_FILE));
  const metrics = new MetricsLog(path.join(dir, 'metrics.jsonl')).read();
  const file = path.join(dir, 'report.html');
  await writeVideoClipReport(file, { name: saved.name, runDir: dir, config, summary, metrics, evaluation });
  return file;
}

// ---------------------------------------------------------------------------------------------
// Model and batches

/** Per-frame ViT + temporal module, and a text transformer, bound by symmetric InfoNCE; weights are a pure function of the seed. */
export function buildVideoTextModel(config: VideoClipConfig, vocabSize: number): VideoTextModel {
  const rng = new Rng(config.seed);
  const frame = new VisionTransformer(VitConfigSchema.parse(config.model.frame), rng.fork());
  const temporal = createTemporal(config.model.temporal, frame.outputDim, config.data.frames, rng.fork());
  const video = new VideoEncoder({ frame, temporal, maxFrames: config.data.frames });
  const text = new TextTransformer(TextTransformerConfigSchema.parse({ ...config.model.text, vocabSize, contextLength: config.tokenizer.contextLength }), rng.fork());
  return new MultiEncoder(
    { encoders: { text, video }, embedDim: config.model.embedDim, loss: new BindingLoss({}, { init: config.model.logitScaleInit, learnable: config.model.learnTemperature }) },
    rng.fork(),
  );
}

async function loadMotion(config: VideoClipConfig): Promise<EmojiMotionDataset> {
  const d = config.data;
  return loadEmojiMotion({
    frames: d.frames,
    frameSize: d.frameSize,
    spriteSize: d.spriteSize,
    style: d.style,
    concepts: d.concepts,
    pairsPerConcept: d.pairsPerConcept,
    heldOutFraction: d.heldOutFraction,
    seed: config.seed,
  });
}

/** The reversed pairs of a split as [row, mirror row], each pair once. */
function reversedPairs(set: MotionClipSet): Array<[number, number]> {
  return set.clips.flatMap((c, i) => (i < c.mirror ? [[i, c.mirror] as [number, number]] : []));
}

/** For rows of a split that hold whole pairs: the position within `rows` of each row's mirror. */
function localMirrors(set: MotionClipSet, rows: readonly number[]): number[] {
  const at = new Map(rows.map((r, j) => [r, j]));
  return rows.map((r) => {
    const j = at.get(set.clips[r]!.mirror);
    if (j === undefined) throw new Error(`video-clip: row ${r}'s reversed twin ${set.clips[r]!.mirror} is not among the evaluated rows`);
    return j;
  });
}

/** Per-channel mean and std of a clip set's pixels (the identity when normalisation is off). */
export interface PixelStats {
  mean: [number, number, number];
  std: [number, number, number];
}

export function pixelStats(set: MotionClipSet): PixelStats {
  const sum = [0, 0, 0];
  const sq = [0, 0, 0];
  for (let i = 0; i < set.pixels.length; i++) {
    const v = set.pixels[i]!;
    sum[i % 3]! += v;
    sq[i % 3]! += v * v;
  }
  const n = set.pixels.length / 3;
  const mean = sum.map((s) => s / n) as PixelStats['mean'];
  // A floor keeps a constant channel (a blank test set) finite.
  const std = sq.map((s, c) => Math.sqrt(Math.max(s / n - mean[c]! ** 2, 1e-6))) as PixelStats['std'];
  return { mean, std };
}

export const IDENTITY_STATS: PixelStats = { mean: [0, 0, 0], std: [1, 1, 1] };

/** Rows of a clip set as one [B, T, S, S, 3] tensor, standardised by `stats`. */
export function clipBatch(set: MotionClipSet, rows: readonly number[], stats: PixelStats = IDENTITY_STATS): tf.Tensor5D {
  const per = set.frames * set.size * set.size * 3;
  const out = new Float32Array(rows.length * per);
  rows.forEach((r, i) => out.set(set.pixels.subarray(r * per, (r + 1) * per), i * per));
  const { mean, std } = stats;
  for (let i = 0; i < out.length; i++) out[i] = (out[i]! - mean[i % 3]!) / std[i % 3]!;
  return tf.tensor5d(out, [rows.length, set.frames, set.size, set.size, 3]);
}

function embedVideos(model: VideoTextModel, set: MotionClipSet, rows: readonly number[], stats: PixelStats, batchSize: number): tf.Tensor2D {
  const parts: tf.Tensor2D[] = [];
  for (let i = 0; i < rows.length; i += batchSize) {
    const batch = clipBatch(set, rows.slice(i, i + batchSize), stats);
    parts.push(model.encode('video', batch));
    batch.dispose();
  }
  return concatParts(parts);
}

function embedTexts(model: VideoTextModel, tokenizer: BpeTokenizer, texts: readonly string[], contextLength: number, batchSize: number): tf.Tensor2D {
  const parts: tf.Tensor2D[] = [];
  for (let i = 0; i < texts.length; i += batchSize) {
    const batch = textBatch(tokenizer, texts.slice(i, i + batchSize), contextLength);
    parts.push(model.encode('text', batch));
    tf.dispose([batch.ids, batch.mask]);
  }
  return concatParts(parts);
}

function concatParts(parts: tf.Tensor2D[]): tf.Tensor2D {
  if (parts.length === 0) throw new Error('video-clip: nothing to embed (empty row list)');
  if (parts.length === 1) return parts[0]!;
  const out = tf.concat(parts, 0) as tf.Tensor2D;
  tf.dispose(parts);
  return out;
}

/**
 * The verb of each motion as the dataset writes it ("a NAME VERB"), read back from its captions:
 * the data package does not export its verb table. Only motions present in the data are returned.
 */
export function motionVerbs(data: EmojiMotionDataset): Map<Motion, string> {
  const verbs = new Map<Motion, string>();
  for (const set of [data.splits.train, data.splits.test]) {
    for (const c of set.clips) {
      if (verbs.has(c.motion)) continue;
      const name = data.concepts[c.concept]!.name;
      const m = new RegExp(`^an? ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (.+)$`).exec(c.caption);
      if (m === null) throw new Error(`video-clip: caption '${c.caption}' is not 'a ${name} <verb>'; the emoji-motion caption format changed`);
      verbs.set(c.motion, m[1]!);
    }
  }
  return verbs;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** 1 if a > b, 0 if a < b, half a hit when they are equal within TIE_TOLERANCE. */
function hit(a: number, b: number): number {
  return Math.abs(a - b) <= TIE_TOLERANCE ? 0.5 : a > b ? 1 : 0;
}

function pairInterval(perClip: number[], mirror: readonly number[], seed: number): PairInterval {
  // Resample whole pairs: the two clips of a pair are dependent (under mean pooling, exactly complementary).
  const perPair = perClip.flatMap((v, j) => (j < mirror[j]! ? [(v + perClip[mirror[j]!]!) / 2] : []));
  if (perPair.length === 0) return { accuracy: Number.NaN, lower: Number.NaN, upper: Number.NaN, pairs: 0 };
  const ci = bootstrapCi(perPair, { seed, resamples: 1000 });
  return { accuracy: ci.estimate, lower: ci.lower, upper: ci.upper, pairs: perPair.length };
}

/**
 * Reversed-pair accuracy from sims[i][j] = video i . text j, where the texts are the clips' own
 * captions in the same order and mirror[i] is the position of clip i's time-reversed twin.
 * video->text: is clip i's own caption above its twin's caption? text->video: is caption i
 * closer to clip i than to the twin clip? Chance is 1/2; a model blind to order scores exactly 1/2.
 */
export function reversedPairAccuracy(sims: number[][], mirror: readonly number[], seed: number): { videoToText: PairInterval; textToVideo: PairInterval; perClip: number[] } {
  const perClip = mirror.map((m, i) => hit(sims[i]![i]!, sims[i]![m]!));
  const textToVideo = mirror.map((m, i) => hit(sims[i]![i]!, sims[m]![i]!));
  return { videoToText: pairInterval(perClip, mirror, seed), textToVideo: pairInterval(textToVideo, mirror, seed + 1), perClip };
}

function motionPairName(motion: Motion, data: EmojiMotionDataset): string {
  for (const set of [data.splits.train, data.splits.test]) {
    const c = set.clips.find((x) => x.motion === motion);
    if (c) {
      const twin = set.clips[c.mirror]!.motion;
      return [motion, twin].sort().join('/');
    }
  }
  return motion;
}

/** Retrieval, reversed pairs and motion accuracy on held-out clips and a same-size sample of training pairs; geometry and pictures on the held-out ones. */
export function evaluateVideoClip(model: VideoTextModel, tokenizer: BpeTokenizer, data: EmojiMotionDataset, stats: PixelStats, verbs: Map<Motion, string>, config: VideoClipConfig, truncated: number): VideoClipEvaluation {
  const { ks, batchSize } = config.eval;
  const ctxLen = config.tokenizer.contextLength;
  const { train, test } = data.splits;
  const testRows = test.clips.map((_, i) => i);
  const trainRows = new Rng(config.seed + 4)
    .shuffle(reversedPairs(train))
    .slice(0, Math.max(1, Math.floor(test.count / 2)))
    .flat();
  const motions = [...verbs.keys()];
  const out: VideoClipEvaluation = {
    data: {
      frames: train.frames,
      frameSize: train.size,
      trainClips: train.count,
      testClips: test.count,
      trainConcepts: data.card.counts.trainConcepts,
      testConcepts: data.card.counts.testConcepts,
      truncatedCaptions: truncated,
      loadMs: data.card.load.ms,
      byMotion: data.card.counts.byMotion,
      pixels: stats,
    },
    splits: {},
    reversed: {},
    motion: {},
    geometry: {},
    scatter: { video: [], text: [], labels: [], axisTitles: ['PC1', 'PC2'] },
    heatmap: { matrix: [], labels: [] },
    examples: [],
  };
  for (const [split, set, rows] of [['test', test, testRows], ['train-sample', train, trainRows]] as const) {
    const captions = rows.map((r) => set.clips[r]!.caption);
    const mirror = localMirrors(set, rows);
    const video = embedVideos(model, set, rows, stats, batchSize);
    const text = embedTexts(model, tokenizer, captions, ctxLen, batchSize);
    const both = retrievalBothWays(video, text, rows.map((_, j) => j), ks);
    out.splits[split] = { 'video->text': both['image->text'], 'text->video': both['text->image'] };
    const sims = tf.tidy(() => tf.matMul(video, text, false, true).arraySync() as number[][]);
    const acc = reversedPairAccuracy(sims, mirror, config.seed + 11);
    const byMotionPair: Record<string, PairInterval> = {};
    const kinds = [...new Set(rows.map((r) => motionPairName(set.clips[r]!.motion, data)))].sort();
    for (const kind of kinds) {
      const keep = rows.map((r) => motionPairName(set.clips[r]!.motion, data) === kind);
      const sub = rows.flatMap((_, j) => (keep[j] ? [j] : []));
      const subMirror = localMirrors(set, sub.map((j) => rows[j]!));
      byMotionPair[kind] = pairInterval(sub.map((j) => acc.perClip[j]!), subMirror, config.seed + 12);
    }
    out.reversed[split] = { 'video->text': acc.videoToText, 'text->video': acc.textToVideo, byMotionPair, chance: 0.5 };
    out.motion[split] = motionAccuracy(model, tokenizer, data, set, rows, video, mirror, motions, verbs, config);

    if (split === 'test') {
      out.geometry = flattenGeometry(embeddingGeometry({ video, text }, { uniformity: { seed: config.seed } }));
      const stacked = tf.concat([video, text], 0) as tf.Tensor2D;
      const p = pca(stacked, { components: 2 });
      stacked.dispose();
      const n = rows.length;
      const pct = (i: number) => (100 * p.explainedVarianceRatio[i]!).toFixed(1);
      out.scatter = { video: p.projected.slice(0, n), text: p.projected.slice(n), labels: captions, axisTitles: [`PC1 (${pct(0)}%)`, `PC2 (${pct(1)}%)`] };
      // A seeded choice of whole pairs, twin beside twin: a 2x2 block per pair shows whether the model separates them.
      const pairRows = new Rng(config.seed + 5)
        .shuffle(reversedPairs(test))
        .slice(0, 8)
        .flat();
      out.heatmap = { matrix: pairRows.map((i) => pairRows.map((j) => sims[i]![j]!)), labels: pairRows.map((i) => captions[i]!) };
      const picked = new Rng(config.seed + 6).shuffle([...rows]).slice(0, Math.min(config.eval.examples, rows.length));
      out.examples = picked.map((i) => {
        const row = sims[i]!;
        const order = row.map((s, j) => [s, j] as const).sort((a, b) => b[0] - a[0]);
        const clip = set.clips[i]!;
        return {
          concept: data.concepts[clip.concept]!.name,
          motion: clip.motion,
          caption: clip.caption,
          rank: 1 + order.findIndex(([, j]) => j === i),
          own: row[i]!,
          reversed: row[mirror[i]!]!,
          top: order.slice(0, 3).map(([, j]) => captions[j]!),
        };
      });
    }
    tf.dispose([video, text]);
  }
  return out;
}

/** Among the captions of the clip's own emoji with each motion present in the data, is its own caption the top one? */
function motionAccuracy(
  model: VideoTextModel,
  tokenizer: BpeTokenizer,
  data: EmojiMotionDataset,
  set: MotionClipSet,
  rows: readonly number[],
  video: tf.Tensor2D,
  mirror: readonly number[],
  motions: Motion[],
  verbs: Map<Motion, string>,
  config: VideoClipConfig,
): PairInterval & { chance: number; choices: number } {
  const concepts = [...new Set(rows.map((r) => set.clips[r]!.concept))];
  const conceptAt = new Map(concepts.map((c, i) => [c, i]));
  const texts = concepts.flatMap((c) => {
    const name = data.concepts[c]!.name;
    return motions.map((m) => `${/^[aeiou]/.test(name) ? 'an' : 'a'} ${name} ${verbs.get(m)!}`);
  });
  const textEmb = embedTexts(model, tokenizer, texts, config.tokenizer.contextLength, config.eval.batchSize);
  const scores = tf.tidy(() => tf.matMul(video, textEmb, false, true).arraySync() as number[][]); // [N, concepts * motions]
  textEmb.dispose();
  const perClip = rows.map((r, j) => {
    const clip = set.clips[r]!;
    const base = conceptAt.get(clip.concept)! * motions.length;
    const own = scores[j]![base + motions.indexOf(clip.motion)]!;
    let above = 0;
    let tied = 0;
    for (let k = 0; k < motions.length; k++) {
      if (motions[k] === clip.motion) continue;
      const s = scores[j]![base + k]!;
      if (Math.abs(s - own) <= TIE_TOLERANCE) tied++;
      else if (s > own) above++;
    }
    return above > 0 ? 0 : 1 / (1 + tied);
  });
  return { ...pairInterval(perClip, mirror, config.seed + 13), chance: 1 / motions.length, choices: motions.length };
}

function flattenInterval(prefix: string, v: PairInterval): Record<string, number> {
  return { [`${prefix}/accuracy`]: v.accuracy, [`${prefix}/accuracy/ci95/lower`]: v.lower, [`${prefix}/accuracy/ci95/upper`]: v.upper, [`${prefix}/pairs`]: v.pairs };
}

/** Flat summary keys: "<split>/video->text/R@K" (and CI, chance) as evaluate.ts, "<split>/reversed-pair/accuracy", "<split>/motion/accuracy", geometry. */
export function flattenEvaluation(e: VideoClipEvaluation): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [split, r] of Object.entries(e.splits)) {
    const flat = flattenResults(split, { 'image->text': r['video->text'], 'text->image': r['text->video'] });
    for (const [k, v] of Object.entries(flat)) out[k.replace('/image->text/', '/video->text/').replace('/text->image/', '/text->video/')] = v;
  }
  for (const [split, r] of Object.entries(e.reversed)) {
    Object.assign(out, flattenInterval(`${split}/reversed-pair`, r['video->text']));
    out[`${split}/reversed-pair/chance/accuracy`] = r.chance;
    Object.assign(out, flattenInterval(`${split}/reversed-pair/text->video`, r['text->video']));
    out[`${split}/reversed-pair/text->video/chance/accuracy`] = r.chance;
    for (const [kind, v] of Object.entries(r.byMotionPair)) Object.assign(out, flattenInterval(`${split}/reversed-pair/${kind}`, v));
  }
  for (const [split, m] of Object.entries(e.motion)) {
    Object.assign(out, flattenInterval(`${split}/motion`, m));
    out[`${split}/motion/chance/accuracy`] = m.chance;
  }
  Object.assign(out, e.geometry);
  return out;
}

/** The terminal summary: retrieval with chance, reversed-pair and motion accuracy with their intervals. */
function formatVideoResults(e: VideoClipEvaluation): string {
  const retrieval = formatResults(Object.fromEntries(Object.entries(e.splits).map(([s, r]) => [s, { 'image->text': r['video->text'], 'text->image': r['text->video'] }])))
    .replace(/image->text/g, 'video->text')
    .replace(/text->image/g, 'text->video');
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const lines = Object.entries(e.reversed).map(([split, r]) => {
    const v = r['video->text'];
    const m = e.motion[split]!;
    return `${split.padEnd(14)} reversed-pair ${pct(v.accuracy)} [${pct(v.lower)}, ${pct(v.upper)}] (chance 50%, ${v.pairs} pairs)  motion ${pct(m.accuracy)} [${pct(m.lower)}, ${pct(m.upper)}] (chance ${pct(m.chance)})`;
  });
  return [retrieval, ...lines].join('\n');
}
