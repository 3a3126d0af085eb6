import {
  AdamW,
  ConcatMlpFusion,
  CrossAttentionFusion,
  keyPaddingBias,
  LayerNorm,
  LearnedPositions,
  Linear,
  lossStep,
  Module,
  PerceiverResampler,
  Rng,
  TokenEmbedding,
  Trainer,
  TransformerBlock,
  VisionTransformer,
  VitConfigSchema,
  VitTokens,
  warmupCosine,
  type ActivationKind,
  type Fusion,
  type TextInput,
} from '@modalab/core';
import { BpeTokenizer, loadShapesVqa, loadTokenizer, SHAPES_VQA_ANSWERS, SHAPES_VQA_QUESTION_TYPES, type ShapesVqaDataset, type ShapesVqaSplit } from '@modalab/data';
import { bootstrapCi, pairedBootstrap, vqaAccuracy } from '@modalab/eval';
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import sharp from 'sharp';
import type { RunOptions, RunResult } from './clip-emoji.js';
import { EVALUATION_FILE } from './clip-emoji.js';
import { imageBatch, textBatch } from './embed.js';
import { MetricsLog, readJson, writeJson } from './run-dir.js';
import { epochBatch, RunSession } from './session.js';
import { type VqaFusionConfig, VqaFusionConfigSchema } from './vqa-fusion-config.js';
import { writeVqaFusionReport } from './vqa-fusion-report.js';

// ---------------------------------------------------------------------------------------------
// Model

/**
 * The question tower: token embeddings, learned positions and bidirectional pre-LN blocks with
 * a key-padding mask, returning every token. Core's TextTransformer only returns a pooled
 * vector; a token-level fusion needs the tokens (and a question is short enough that a causal
 * mask would only hide later words from earlier ones).
 */
export class QuestionTokens extends Module {
  readonly outputDim: number;
  private readonly embed: TokenEmbedding;
  private readonly pos: LearnedPositions;
  private readonly blocks: TransformerBlock[];
  private readonly lnFinal: LayerNorm;

  constructor(config: VqaFusionConfig['model']['text'], vocabSize: number, contextLength: number, rng: Rng) {
    super();
    const { width, depth, heads, mlpRatio, activation } = config;
    this.outputDim = width;
    this.embed = this.child('embed', new TokenEmbedding(vocabSize, width, rng));
    this.pos = this.child('pos', new LearnedPositions(contextLength, width, rng));
    this.blocks = Array.from({ length: depth }, (_, i) =>
      this.child(`blocks.${i}`, new TransformerBlock({ dim: width, heads, mlpRatio, activation: activation as ActivationKind, depth }, rng)),
    );
    this.lnFinal = this.child('lnFinal', new LayerNorm(width));
  }

  /** ids, mask: [Q, T] -> tokens [Q, T, D]; padded positions are computed but never attended to. */
  apply({ ids, mask }: TextInput): tf.Tensor3D {
    return tf.tidy(() => {
      const bias = keyPaddingBias(tf.cast(mask, 'float32') as tf.Tensor2D); // [Q, 1, 1, T]
      let x = this.pos.apply(this.embed.apply(ids)); // [Q, T, D]
      for (const block of this.blocks) x = block.apply(x, bias);
      return this.lnFinal.apply(x) as tf.Tensor3D;
    });
  }
}

/** Mean of x [Q, T, D] over the positions where mask [Q, T] is 1: [Q, D]. */
function maskedMean(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const w = tf.div(mask, tf.maximum(tf.sum(mask, 1, true), 1)); // [Q, T]
    return tf.sum(tf.mul(x, tf.expandDims(w, 2)), 1) as tf.Tensor2D;
  });
}

export interface VqaBatch {
  images: tf.Tensor4D; // [S, H, W, 3], one row per scene
  ids: tf.Tensor2D; // [Q, T] int32
  mask: tf.Tensor2D; // [Q, T]
  sceneOf: tf.Tensor1D; // [Q] int32: the image row of each question
  labels: tf.Tensor1D; // [Q] int32 answer index
  /** Set when every scene of the batch has this many questions, in scene order (see VqaModel.apply). */
  perScene?: number;
}

/**
 * Image tower (ViT tokens) + question tower (tokens) + a fusion module + a linear answer head.
 * Core's FusionClassifier takes [B, D] towers and passes no masks to the fusion, so token-level
 * fusion of padded questions is composed here instead; the head and loss are the same.
 * Parameter paths start with image / text / fusion / head: the groups of the gradient norms.
 */
export class VqaModel extends Module {
  readonly image: VitTokens;
  readonly text: QuestionTokens;
  readonly fusion: Fusion[];
  readonly head: Linear;

  constructor(readonly config: VqaFusionConfig, vocabSize: number, readonly numAnswers: number, rng: Rng) {
    super();
    const { image, text, fusion } = config.model;
    this.image = this.child('image', new VitTokens(new VisionTransformer(VitConfigSchema.parse(image), rng.fork())));
    this.text = this.child('text', new QuestionTokens(text, vocabSize, config.tokenizer.contextLength, rng.fork()));
    const dims = { image: this.image.outputDim, text: this.text.outputDim };
    const frng = rng.fork();
    const common = { heads: fusion.heads, mlpRatio: fusion.mlpRatio, activation: fusion.activation };
    if (fusion.kind === 'concat-mlp') {
      this.fusion = [this.child('fusion', new ConcatMlpFusion({ kind: 'concat-mlp', dims, hidden: fusion.hidden, outputDim: fusion.dim, activation: fusion.activation }, frng))];
    } else if (fusion.kind === 'cross-attention') {
      // Stacked blocks: the first projects question tokens to dim, the next ones take dim-wide queries.
      this.fusion = Array.from({ length: fusion.depth }, (_, i) =>
        this.child(
          `fusion.${i}`,
          new CrossAttentionFusion({ kind: 'cross-attention', query: 'text', context: 'image', dims: { image: dims.image, text: i === 0 ? dims.text : fusion.dim }, dim: fusion.dim, ...common }, frng),
        ),
      );
    } else {
      this.fusion = [
        this.child(
          'fusion',
          new PerceiverResampler({ kind: 'perceiver-resampler', dims, dim: fusion.dim, latents: fusion.latents, depth: fusion.depth, selfLayers: fusion.selfLayers, ...common }, frng),
        ),
      ];
    }
    this.head = this.child('head', new Linear({ inFeatures: fusion.dim, outFeatures: numAnswers }, rng.fork()));
  }

  /**
   * Answer logits [Q, C] for questions (ids, mask) about scenes images[sceneOf[q]]. perScene = k
   * promises that the questions come scene by scene, k each (sceneOf = 0,0,..,1,1,..): then
   * cross-attention runs once per scene with all its questions' tokens as one query sequence
   * (query rows never see each other, so the result is the same) and the image tokens are not
   * copied per question.
   */
  apply(images: tf.Tensor4D, question: TextInput, sceneOf: tf.Tensor1D, perScene?: number): tf.Tensor2D {
    return tf.tidy(() => {
      const mask = tf.cast(question.mask, 'float32') as tf.Tensor2D; // [Q, T]
      const [q, t] = question.ids.shape;
      const patches = this.image.apply(images); // [S, 1+N, Di]: the tower runs once per scene
      const words = this.text.apply(question); // [Q, T, Dt]
      const kind = this.config.model.fusion.kind;
      let fused: tf.Tensor2D; // [Q, dim]
      if (kind === 'concat-mlp') {
        const s = patches.shape[0];
        const pooled = this.config.model.image.pool === 'cls' ? tf.reshape(tf.slice(patches, [0, 0, 0], [s, 1, -1]), [s, -1]) : tf.mean(patches, 1); // [S, Di]
        fused = this.fusion[0]!.apply({ image: tf.gather(pooled, sceneOf), text: maskedMean(words, mask) }) as tf.Tensor2D;
      } else if (kind === 'cross-attention') {
        const s = patches.shape[0];
        const grouped = perScene !== undefined && perScene * s === q;
        let x: tf.Tensor = grouped ? tf.reshape(words, [s, perScene * t, -1]) : words; // [S, k*T, Dt] or [Q, T, Dt]
        const context = grouped ? patches : tf.gather(patches, sceneOf); // [S, 1+N, Di] or [Q, 1+N, Di]
        for (const block of this.fusion) x = block.apply({ text: x, image: context });
        fused = maskedMean(tf.reshape(x, [q, t, -1]) as tf.Tensor3D, mask); // [Q, dim]
      } else {
        const latents = this.fusion[0]!.apply({ image: tf.gather(patches, sceneOf), text: words }, { text: mask }); // [Q, L, dim]
        fused = tf.mean(latents, 1) as tf.Tensor2D;
      }
      return this.head.apply(fused) as tf.Tensor2D;
    });
  }

  /** Mean cross-entropy over the answer vocabulary and the fraction answered right. */
  loss(batch: VqaBatch): { loss: tf.Scalar; metrics: { accuracy: tf.Scalar } } {
    return tf.tidy(() => {
      const logits = this.apply(batch.images, { ids: batch.ids, mask: batch.mask }, batch.sceneOf, batch.perScene);
      const target = tf.oneHot(batch.labels, this.numAnswers); // [Q, C]
      const loss = tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits, 1)), 1))) as tf.Scalar;
      const accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), batch.labels), 'float32')) as tf.Scalar;
      return { loss, metrics: { accuracy } };
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Data

type Tokenizer = Awaited<ReturnType<typeof loadTokenizer>>;

/** The questions of each scene, by scene row. */
function questionsByScene(split: ShapesVqaSplit): number[][] {
  const out: number[][] = split.scenes.map(() => []);
  split.questions.forEach((q, i) => out[q.scene]!.push(i));
  return out;
}

/** Scenes `rows` of a split with all their questions, as one batch. */
function sceneBatch(split: ShapesVqaSplit, byScene: number[][], rows: readonly number[], tokenizer: Tokenizer, contextLength: number): VqaBatch & { questions: number[] } {
  const questions: number[] = [];
  const sceneOf: number[] = [];
  rows.forEach((r, s) => byScene[r]!.forEach((q) => (questions.push(q), sceneOf.push(s))));
  const counts = rows.map((r) => byScene[r]!.length);
  const text = textBatch(tokenizer, questions.map((q) => split.questions[q]!.text), contextLength);
  return {
    images: imageBatch(split.images.pixels, split.images.size, rows),
    ids: text.ids,
    mask: text.mask,
    sceneOf: tf.tensor1d(sceneOf, 'int32'),
    labels: tf.tensor1d(questions.map((q) => split.questions[q]!.answerIndex), 'int32'),
    ...(counts.every((c) => c === counts[0]) ? { perScene: counts[0] } : {}),
    questions,
  };
}

/** The arg-max answer of every question of scenes `rows`, as question index -> answer index. */
async function predict(model: VqaModel, split: ShapesVqaSplit, byScene: number[][], rows: readonly number[], tokenizer: Tokenizer, config: VqaFusionConfig): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (let i = 0; i < rows.length; i += config.eval.batchSize) {
    const { questions, perScene, ...batch } = sceneBatch(split, byScene, rows.slice(i, i + config.eval.batchSize), tokenizer, config.tokenizer.contextLength);
    if (questions.length > 0) {
      const best = tf.tidy(() => tf.argMax(model.apply(batch.images, { ids: batch.ids, mask: batch.mask }, batch.sceneOf, perScene), 1));
      const answers = await best.data();
      best.dispose();
      questions.forEach((q, j) => out.set(q, answers[j]!));
    }
    tf.dispose(Object.values(batch));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** Question-only answers from the training set: the honest floor of VQA (Goyal et al. 2017 on blind priors). */
export interface AnswerPriors {
  /** The most frequent training answer of each question type. */
  majority: Record<string, string>;
  /** The most frequent training answer of each exact question text (a stronger blind model). */
  byQuestion: Record<string, string>;
  /** The answers each type has in training: chance is 1 / their number. */
  answersOfType: Record<string, string[]>;
}

function mostFrequent(answers: string[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
  // Ties go to the earlier answer of the vocabulary, so the prior does not depend on question order.
  return [...counts].sort((a, b) => b[1] - a[1] || SHAPES_VQA_ANSWERS.indexOf(a[0]) - SHAPES_VQA_ANSWERS.indexOf(b[0]))[0]![0];
}

export function answerPriors(train: ShapesVqaSplit): AnswerPriors {
  const byType = new Map<string, string[]>();
  const byText = new Map<string, string[]>();
  const push = (m: Map<string, string[]>, key: string, answer: string) => (m.get(key) ?? m.set(key, []).get(key)!).push(answer);
  for (const q of train.questions) {
    push(byType, q.type, q.answer);
    push(byText, q.text, q.answer);
  }
  const majority: Record<string, string> = {};
  const answersOfType: Record<string, string[]> = {};
  for (const [t, answers] of byType) {
    majority[t] = mostFrequent(answers);
    answersOfType[t] = SHAPES_VQA_ANSWERS.filter((a) => answers.includes(a));
  }
  const byQuestion: Record<string, string> = {};
  for (const [text, answers] of byText) byQuestion[text] = mostFrequent(answers);
  return { majority, byQuestion, answersOfType };
}

export interface Scored {
  accuracy: number;
  lower: number;
  upper: number;
  count: number;
  chance: number;
  majority: number;
  questionPrior: number;
}

export interface SplitEvaluation {
  overall: Scored;
  perType: Record<string, Scored>;
  /** Model minus type-majority accuracy on the same questions: paired bootstrap. */
  vsMajority: { diff: number; lower: number; upper: number; pValue: number };
  /** confusion[truth][prediction] counts over SHAPES_VQA_ANSWERS. */
  confusion: number[][];
}

export interface VqaExample {
  split: string;
  question: string;
  type: string;
  prediction: string;
  truth: string;
  /** The scene, upscaled, as a PNG data URL. */
  png: string;
}

export interface VqaEvaluation {
  answers: readonly string[];
  questionTypes: readonly string[];
  heldOutPairs: string[];
  priors: Pick<AnswerPriors, 'majority' | 'answersOfType'>;
  splits: Record<string, SplitEvaluation>;
  examples: VqaExample[];
}

/** Accuracy with a 95% bootstrap interval (over questions) and the three question-only references. */
function score(hits: number[], chance: number[], majority: number[], prior: number[], seed: number, resamples: number): Scored {
  const ci = bootstrapCi(hits, { seed, resamples });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { accuracy: ci.estimate, lower: ci.lower, upper: ci.upper, count: hits.length, chance: mean(chance), majority: mean(majority), questionPrior: mean(prior) };
}

export function evaluateSplit(split: ShapesVqaSplit, predictions: Map<number, number>, priors: AnswerPriors, seed: number, resamples: number): SplitEvaluation {
  const asked = [...predictions.keys()].sort((a, b) => a - b);
  if (asked.length === 0) throw new Error('evaluateSplit: no questions were predicted');
  const qs = asked.map((i) => split.questions[i]!);
  const predicted = asked.map((i) => SHAPES_VQA_ANSWERS[predictions.get(i)!]!);
  // vqaAccuracy's exact match is the headline; per-question hits feed the bootstrap.
  const official = vqaAccuracy(qs.map((q, j) => ({ prediction: predicted[j]!, answers: [q.answer], questionType: q.type })));
  const hits = qs.map((q, j) => (predicted[j] === q.answer ? 1 : 0));
  const majority = qs.map((q) => (priors.majority[q.type] === q.answer ? 1 : 0));
  const prior = qs.map((q) => ((priors.byQuestion[q.text] ?? priors.majority[q.type]) === q.answer ? 1 : 0));
  const chance = qs.map((q) => 1 / Math.max(1, priors.answersOfType[q.type]?.length ?? SHAPES_VQA_ANSWERS.length));
  const overall = score(hits, chance, majority, prior, seed, resamples);
  if (Math.abs(overall.accuracy - official.exactMatch) > 1e-12) throw new Error(`evaluateSplit: accuracy ${overall.accuracy} disagrees with vqaAccuracy ${official.exactMatch}`);
  const perType: Record<string, Scored> = {};
  for (const type of Object.keys(official.perType)) {
    const idx = qs.map((q, j) => (q.type === type ? j : -1)).filter((j) => j >= 0);
    const pick = (xs: number[]) => idx.map((j) => xs[j]!);
    perType[type] = score(pick(hits), pick(chance), pick(majority), pick(prior), seed + 1, resamples);
  }
  const diff = pairedBootstrap(hits, majority, { seed: seed + 2, resamples });
  const n = SHAPES_VQA_ANSWERS.length;
  const confusion = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  qs.forEach((q, j) => confusion[q.answerIndex]![predictions.get(asked[j]!)!]!++);
  return { overall, perType, vsMajority: { diff: diff.estimate, lower: diff.lower, upper: diff.upper, pValue: diff.pValue }, confusion };
}

/** Flat summary keys: "<split>/accuracy", ".../ci95/lower", "<split>/<type>/accuracy", "<split>/<type>/majority/accuracy"... */
export function flattenVqa(split: string, e: SplitEvaluation): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (prefix: string, s: Scored) => {
    out[`${prefix}/accuracy`] = s.accuracy;
    out[`${prefix}/accuracy/ci95/lower`] = s.lower;
    out[`${prefix}/accuracy/ci95/upper`] = s.upper;
    out[`${prefix}/count`] = s.count;
    out[`${prefix}/chance/accuracy`] = s.chance;
    out[`${prefix}/majority/accuracy`] = s.majority;
    out[`${prefix}/question-prior/accuracy`] = s.questionPrior;
  };
  put(split, e.overall);
  for (const [type, s] of Object.entries(e.perType)) put(`${split}/${type}`, s);
  out[`${split}/vs-majority/diff`] = e.vsMajority.diff;
  out[`${split}/vs-majority/diff/ci95/lower`] = e.vsMajority.lower;
  out[`${split}/vs-majority/diff/ci95/upper`] = e.vsMajority.upper;
  out[`${split}/vs-majority/pValue`] = e.vsMajority.pValue;
  return out;
}

/** A scene as a PNG data URL, upscaled with nearest-neighbour so the shapes stay crisp in the report. */
async function scenePng(split: ShapesVqaSplit, row: number, scale = 4): Promise<string> {
  const s = split.images.size;
  const px = split.images.pixels.subarray(row * s * s * 3, (row + 1) * s * s * 3);
  const bytes = Buffer.from(Uint8Array.from(px, (v) => Math.round(255 * Math.min(1, Math.max(0, v)))));
  const png = await sharp(bytes, { raw: { width: s, height: s, channels: 3 } }).resize(s * scale, s * scale, { kernel: 'nearest' }).png().toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** A seeded sample of questions from distinct scenes, right and wrong alike. */
async function pickExamples(name: string, split: ShapesVqaSplit, predictions: Map<number, number>, count: number, seed: number): Promise<VqaExample[]> {
  const seen = new Set<number>();
  const picked: number[] = [];
  for (const q of new Rng(seed).shuffle([...predictions.keys()])) {
    if (picked.length >= count) break;
    const scene = split.questions[q]!.scene;
    if (seen.has(scene)) continue;
    seen.add(scene);
    picked.push(q);
  }
  return Promise.all(
    picked.map(async (i) => {
      const q = split.questions[i]!;
      return { split: name, question: q.text, type: q.type, prediction: SHAPES_VQA_ANSWERS[predictions.get(i)!]!, truth: q.answer, png: await scenePng(split, q.scene) };
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Runner

/** The dataset of a config (deterministic in data.seed; generated in memory in well under a second). */
export function loadVqaData(config: VqaFusionConfig): ShapesVqaDataset {
  const { seed, trainScenes, testScenes, heldOutScenes, questionsPerScene, imageSize } = config.data;
  return loadShapesVqa({ seed, trainScenes, testScenes, heldOutScenes, questionsPerScene, imageSize });
}

/** Trains and evaluates a VQA classifier (ViT tokens + question tokens + a fusion module) on shapes-vqa. */
export async function runVqaFusion(name: string, configInput: unknown, options: RunOptions = {}): Promise<RunResult> {
  const session = await RunSession.open<VqaFusionConfig>(name, configInput, VqaFusionConfigSchema, options);
  const { config, log } = session;
  const data = loadVqaData(config);
  const { train, test, heldOut } = data.splits;
  log(`shapes-vqa: ${train.questions.length} train / ${test.questions.length} test / ${heldOut.questions.length} heldOut questions; held-out pairs ${data.card.heldOutPairs.join(', ')}`);

  // Tokenizer: trained on training questions only (held-out questions reuse the same words).
  const tokenizer = session.resumed
    ? await loadTokenizer(session.resumed.meta['tokenizer'])
    : BpeTokenizer.train(train.questions.map((q) => q.text), { vocabSize: config.tokenizer.vocabSize });
  if (!session.resumed) await writeJson(path.join(session.runDir, 'tokenizer.json'), tokenizer.toJSON());
  const longest = Math.max(...tokenizer.encodeBatch([...train.questions, ...heldOut.questions].map((q) => q.text), 64).lengths);
  if (longest > config.tokenizer.contextLength) {
    throw new Error(`tokenizer.contextLength ${config.tokenizer.contextLength} truncates questions of ${longest} tokens: raise it (or tokenizer.vocabSize, so words merge into fewer tokens)`);
  }

  const model = new VqaModel(config, tokenizer.vocabSize, SHAPES_VQA_ANSWERS.length, new Rng(config.seed));
  let optimizer!: AdamW;
  tf.tidy(() => {
    optimizer = new AdamW(model.namedVariables(), { weightDecay: config.train.weightDecay, ...(config.train.clipNorm === undefined ? {} : { clipNorm: config.train.clipNorm }) });
  });
  log(`model: ${model.parameterCount().toLocaleString('en')} parameters, fusion ${config.model.fusion.kind}`);
  const { steps, batchSize, lr, warmupSteps, logEvery, checkpointEvery, probeEvery, probeScenes } = config.train;
  const trainer = new Trainer<VqaBatch>({
    model,
    optimizer,
    schedule: (step) => warmupCosine(step, { peak: lr, warmupSteps, totalSteps: steps }),
    step: lossStep((batch: VqaBatch) => model.loss(batch), { groupGradNorms: true, metricsEvery: logEvery }),
    logEvery,
    seed: config.seed,
  });

  const byScene = { train: questionsByScene(train), test: questionsByScene(test), heldOut: questionsByScene(heldOut) };
  const priors = answerPriors(train);
  // A fixed probe sample of each held-out split: the validation curves beside the training ones.
  const probeRows = (split: ShapesVqaSplit, salt: number) => new Rng(config.seed * 31 + salt).shuffle(split.scenes.map((_, i) => i)).slice(0, Math.min(probeScenes, split.scenes.length));
  const probes = [['test', test, byScene.test, probeRows(test, 1)], ['heldOut', heldOut, byScene.heldOut, probeRows(heldOut, 2)]] as const;
  const questionsPerStep = (batchSize * train.questions.length) / train.scenes.length;
  try {
    const fit = await session.fit(trainer, {
      steps,
      samplesPerStep: Math.round(questionsPerStep),
      checkpointEvery,
      batches: (step) => {
        const { questions: _questions, ...batch } = sceneBatch(train, byScene.train, epochBatch(train.scenes.length, batchSize, config.seed, step), tokenizer, config.tokenizer.contextLength);
        return batch;
      },
      probe: {
        every: probeEvery,
        fn: async () => {
          const row: Record<string, number> = {};
          for (const [splitName, split, index, rows] of probes) {
            const p = await predict(model, split, index, rows, tokenizer, config);
            let right = 0;
            for (const [q, a] of p) right += split.questions[q]!.answerIndex === a ? 1 : 0;
            row[`probe/${splitName}/accuracy`] = right / Math.max(1, p.size);
          }
          return row;
        },
      },
      meta: () => ({ tokenizer: tokenizer.toJSON() as unknown as Record<string, unknown> }),
      show: 'accuracy',
    });
    if (!fit.finished) return session.stopped(fit);

    const evalStart = performance.now();
    const all = (split: ShapesVqaSplit) => split.scenes.map((_, i) => i);
    const trainSample = new Rng(config.seed * 31 + 3).shuffle(all(train)).slice(0, test.scenes.length);
    const sets: Array<[string, ShapesVqaSplit, number[][], number[]]> = [
      ['test', test, byScene.test, all(test)],
      ['heldOut', heldOut, byScene.heldOut, all(heldOut)],
      ['train-sample', train, byScene.train, trainSample],
    ];
    const evaluation: VqaEvaluation = {
      answers: SHAPES_VQA_ANSWERS,
      questionTypes: SHAPES_VQA_QUESTION_TYPES,
      heldOutPairs: data.card.heldOutPairs,
      priors: { majority: priors.majority, answersOfType: priors.answersOfType },
      splits: {},
      examples: [],
    };
    for (const [i, [splitName, split, index, rows]] of sets.entries()) {
      const predictions = await predict(model, split, index, rows, tokenizer, config);
      evaluation.splits[splitName] = evaluateSplit(split, predictions, priors, 11 + 10 * i, config.eval.resamples);
      if (splitName !== 'train-sample') evaluation.examples.push(...(await pickExamples(splitName, split, predictions, config.eval.examples, config.seed + 5 + i)));
    }
    const rows = session.metrics.read();
    // Absent when the run was shorter than logEvery (only the final window, without step metrics, was logged).
    const lastAccuracy = [...rows].reverse().find((r) => r.accuracy !== undefined)?.accuracy;
    const summary = session.baseSummary(fit, {
      dataset: 'shapes-vqa',
      fusion: config.model.fusion.kind,
      parameters: model.parameterCount(),
      ...(lastAccuracy === undefined ? {} : { 'train/accuracy': lastAccuracy }),
      'train/samplesPerSec': (fit.step * questionsPerStep) / fit.seconds,
      'eval/seconds': (performance.now() - evalStart) / 1000,
    });
    for (const [split, e] of Object.entries(evaluation.splits)) Object.assign(summary, flattenVqa(split, e));
    log(formatVqa(evaluation));
    return await session.finish(summary, evaluation, (file) => writeVqaFusionReport(file, { name: session.name, runDir: session.runDir, config, summary, metrics: rows, evaluation }));
  } finally {
    trainer.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

/** Rebuilds report.html of a finished run from config.json, summary.json, evaluation.json and metrics.jsonl. */
export async function rebuildVqaFusionReport(runDir: string): Promise<string> {
  const dir = path.resolve(runDir);
  const saved = readJson<{ name: string; config: unknown }>(path.join(dir, 'config.json'));
  const config = VqaFusionConfigSchema.parse(saved.config);
  const summary = readJson<Record<string, number | string>>(path.join(dir, 'summary.json'));
  const evaluation = readJson<VqaEvaluation>(path.join(dir, EVALUATION_FILE));
  const metrics = new MetricsLog(path.join(dir, 'metrics.jsonl')).read();
  const file = path.join(dir, 'report.html');
  await writeVqaFusionReport(file, { name: saved.name, runDir: dir, config, summary, metrics, evaluation });
  return file;
}

/** A plain-text table for the terminal: accuracy [CI] against the type-majority baseline, per split and type. */
export function formatVqa(e: VqaEvaluation): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const line = (label: string, s: Scored) =>
    `${label.padEnd(26)} ${pct(s.accuracy).padStart(6)} [${pct(s.lower)}, ${pct(s.upper)}]  majority ${pct(s.majority)}  question-prior ${pct(s.questionPrior)}  chance ${pct(s.chance)}  (n=${s.count})`;
  const lines: string[] = [];
  for (const [split, r] of Object.entries(e.splits)) {
    lines.push(line(split, r.overall));
    for (const [type, s] of Object.entries(r.perType)) lines.push(line(`  ${type}`, s));
  }
  return lines.join('\n');
}
