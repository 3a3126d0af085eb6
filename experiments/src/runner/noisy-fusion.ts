import {
  activation,
  AdamW,
  FusionClassifier,
  globalNorm,
  Linear,
  Module,
  ogmCoefficients,
  Rng,
  sampleModalityDropout,
  Trainer,
  warmupCosine,
  ConcatMlpFusion,
  GatedFusion,
  type ActivationKind,
  type Encoder,
  type FusionLike,
  type StepFunction,
} from '@modalab/core';
import { loadNoisyPairs, type NoisyPairsCard, type NoisyPairsSplit } from '@modalab/data';
import {
  bootstrapCi,
  collapseReport,
  fusionClassifierScorer,
  gradNormHistory,
  gradNormRatio,
  linearProbe,
  runCollapseDiagnostics,
  type CollapseReport,
  type GradNormRatioOutput,
} from '@modalab/eval';
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import type { RunOptions, RunResult } from './clip-emoji.js';
import { EVALUATION_FILE } from './clip-emoji.js';
import { NoisyFusionConfigSchema, type NoisyFusionConfig } from './noisy-fusion-config.js';
import { writeNoisyFusionReport } from './noisy-fusion-report.js';
import { MetricsLog, readJson } from './run-dir.js';
import { epochBatch, RunSession } from './session.js';

export const MODALITIES = ['image', 'text'] as const;

/** A tower over flat features [B, F]: linear, activation, linear. */
export class FlatTower extends Module implements Encoder<tf.Tensor2D> {
  readonly outputDim: number;
  private readonly fc1: Linear;
  private readonly fc2: Linear;
  private readonly act: (x: tf.Tensor) => tf.Tensor;
  constructor(inFeatures: number, config: NoisyFusionConfig['model']['image'], rng: Rng) {
    super();
    this.outputDim = config.outputDim;
    this.fc1 = this.child('fc1', new Linear({ inFeatures, outFeatures: config.hidden }, rng));
    this.fc2 = this.child('fc2', new Linear({ inFeatures: config.hidden, outFeatures: config.outputDim }, rng));
    this.act = activation(config.activation as ActivationKind);
  }
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.fc2.apply(this.act(this.fc1.apply(x))) as tf.Tensor2D); // [B, outputDim]
  }
}

/**
 * A FusionClassifier with, for the 'reweight' remedy, one linear head per modality on its tower
 * features (`aux.<m>`): the auxiliary unimodal classifiers whose losses are added to the fused one.
 */
export class NoisyFusionModel extends FusionClassifier {
  readonly aux: Record<string, Linear> | undefined;
  constructor(options: ConstructorParameters<typeof FusionClassifier>[0], auxHeads: boolean, rng: Rng) {
    super(options, rng);
    if (auxHeads) {
      this.aux = Object.fromEntries(
        this.modalities.map((m) => [m, this.child(`aux.${m}`, new Linear({ inFeatures: options.encoders[m]!.outputDim, outFeatures: options.numClasses }, rng))]),
      );
    }
  }
  /** Logits [B, C] of each auxiliary head from its tower's features. */
  auxLogits(features: Readonly<Record<string, tf.Tensor2D>>): Record<string, tf.Tensor2D> {
    const aux = this.aux;
    if (aux === undefined) throw new Error("NoisyFusionModel.auxLogits: the model was built without auxiliary heads (train.remedy is not 'reweight')");
    return tf.tidy(() => Object.fromEntries(this.modalities.map((m) => [m, aux[m]!.apply(features[m]!) as tf.Tensor2D])));
  }
}

/** The widths the data fixes: pixels per image, vocabulary, classes. */
export interface DataShape {
  pixels: number;
  vocab: number;
  classes: number;
}

export function buildNoisyFusionModel(config: NoisyFusionConfig, shape: DataShape, rng: Rng): NoisyFusionModel {
  const image = new FlatTower(shape.pixels, config.model.image, rng.fork());
  const text = new FlatTower(shape.vocab, config.model.text, rng.fork());
  const dims = { image: image.outputDim, text: text.outputDim };
  const f = config.model.fusion;
  const fusion: FusionLike = f.kind === 'concat-mlp' ? new ConcatMlpFusion({ ...f, dims }, rng.fork()) : new GatedFusion({ ...f, dims }, rng.fork());
  return new NoisyFusionModel({ encoders: { image, text }, fusion, numClasses: shape.classes }, config.train.remedy === 'reweight', rng.fork());
}

/** One split as host arrays: flattened pixels [n, S*S*3], token counts [n, vocab], labels, and what each modality shows. */
export interface FlatSplit {
  n: number;
  image: Float32Array;
  text: Float32Array;
  labels: Int32Array;
  shown: NoisyPairsSplit['shown'];
  shape: DataShape;
}

export function flattenSplit(split: NoisyPairsSplit, classes: number): FlatSplit {
  const n = split.labels.length;
  const pixels = split.image.size * split.image.size * 3;
  const { length, vocabSize } = split.text;
  const text = new Float32Array(n * vocabSize); // a bag of tokens: order carries no class in noisy-pairs
  for (let i = 0; i < n; i++) for (let t = 0; t < length; t++) text[i * vocabSize + split.text.ids[i * length + t]!]! += 1;
  return { n, image: split.image.pixels, text, labels: split.labels, shown: split.shown, shape: { pixels, vocab: vocabSize, classes } };
}

export interface FusionBatch {
  inputs: { image: tf.Tensor2D; text: tf.Tensor2D };
  labels: tf.Tensor1D;
}

export function batchOf(split: FlatSplit, rows: readonly number[]): FusionBatch {
  const { pixels, vocab } = split.shape;
  const image = new Float32Array(rows.length * pixels);
  const text = new Float32Array(rows.length * vocab);
  rows.forEach((r, i) => {
    image.set(split.image.subarray(r * pixels, (r + 1) * pixels), i * pixels);
    text.set(split.text.subarray(r * vocab, (r + 1) * vocab), i * vocab);
  });
  return {
    inputs: { image: tf.tensor2d(image, [rows.length, pixels]), text: tf.tensor2d(text, [rows.length, vocab]) },
    labels: tf.tensor1d(rows.map((r) => split.labels[r]!), 'int32'),
  };
}

const crossEntropy = (logits: tf.Tensor2D, target: tf.Tensor): tf.Scalar => tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits, 1)), 1))) as tf.Scalar;

/** The identity forward, zero backward: a loss weight computed from the loss itself must not be differentiated. */
const stopGradient = tf.customGrad(((x: tf.Tensor) => ({ value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

/**
 * The training step of every remedy, logging each tower's gradient norm before any modulation
 * (`gradNorm/<m>`: what the loss asks of that tower) and the train-batch accuracy.
 *  - none: cross-entropy of the fused logits.
 *  - modality-dropout: the same on features where each sample's modality m is zeroed with
 *    probability train.dropout[m] (sampleModalityDropout, at least one kept).
 *  - ogm-ge: core's OGM-GE (ogmCoefficients) applied here rather than through ogmGeStep so the
 *    raw tower norms can be logged beside the coefficients; the parity test checks it against ogmGeStep.
 *  - reweight: fused cross-entropy + sum_m w_m CE(aux_m(features_m)); w_m = weight, times
 *    CE_m / mean_k CE_k (no gradient) with balance, so the modality that lags weighs more.
 */
export function noisyFusionStep(model: NoisyFusionModel, train: NoisyFusionConfig['train']): StepFunction<FusionBatch> {
  const names = [...model.modalities];
  return ({ inputs, labels }, ctx) => {
    const batch = labels.shape[0];
    const keep = train.remedy === 'modality-dropout' ? sampleModalityDropout(train.dropout, batch, ctx.rng) : undefined;
    const metrics: Record<string, tf.Scalar> = {};
    let scores: Record<string, tf.Scalar> = {};
    const { value, grads } = tf.variableGrads(() => {
      const features = model.features(inputs);
      const logits = model.classify(features, keep === undefined ? {} : { keep }); // [B, C]
      const target = tf.oneHot(labels, model.numClasses); // [B, C]
      let loss = crossEntropy(logits, target);
      metrics['accuracy'] = tf.keep(tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')) as tf.Scalar);
      if (train.remedy === 'ogm-ge') {
        // As ogmGeStep: the summed probability of the label with only m kept; no path into the loss.
        scores = tf.tidy(() => {
          const only = (m: string) => Object.fromEntries(names.filter((n) => n !== m).map((n) => [n, new Array<boolean>(batch).fill(false)]));
          return Object.fromEntries(names.map((m) => [m, tf.sum(tf.mul(tf.softmax(model.classify(features, { keep: only(m) }), 1), target)) as tf.Scalar]));
        });
        for (const s of Object.values(scores)) tf.keep(s);
      }
      if (train.remedy === 'reweight') {
        const aux = model.auxLogits(features);
        const losses = names.map((m) => crossEntropy(aux[m]!, target));
        const meanLoss = tf.div(tf.addN(losses), names.length);
        names.forEach((m, i) => {
          const w = train.reweight.balance ? tf.mul(train.reweight.weight, stopGradient(tf.div(losses[i]!, tf.maximum(meanLoss, 1e-12)))) : tf.scalar(train.reweight.weight);
          loss = tf.add(loss, tf.mul(w, losses[i]!)) as tf.Scalar;
          metrics[`aux/${m}/loss`] = tf.keep(tf.clone(losses[i]!));
          metrics[`aux/${m}/weight`] = tf.keep(tf.clone(w) as tf.Scalar);
        });
      }
      return loss;
    }, [...ctx.variables.values()]);
    for (const v of ctx.variables.values()) if (grads[v.name] === undefined) grads[v.name] = tf.zerosLike(v);
    const towerOf = (p: string) => names.find((m) => p.startsWith(`encoders.${m}.`));
    for (const m of names) metrics[`gradNorm/${m}`] = globalNorm([...ctx.variables].filter(([p]) => towerOf(p) === m).map(([, v]) => grads[v.name]!));
    let applied: tf.NamedTensorMap = grads;
    if (train.remedy === 'ogm-ge') {
      const coefficients = ogmCoefficients(scores, train.ogmGe.alpha);
      applied = {};
      tf.tidy(() => {
        for (const [p, v] of ctx.variables) {
          const g = grads[v.name]!;
          const m = towerOf(p);
          let out = m === undefined ? tf.clone(g) : tf.mul(g, coefficients[m]!);
          if (m !== undefined && train.ogmGe.noise) {
            const std = tf.sqrt(tf.add(tf.moments(g).variance, 1e-16));
            out = tf.add(out, tf.mul(tf.randomNormal(g.shape, 0, 1, 'float32', ctx.rng.nextUint32()), std));
          }
          applied[v.name] = tf.keep(out);
        }
      });
      for (const m of names) {
        metrics[`ogm/${m}`] = coefficients[m]!;
        metrics[`score/${m}`] = scores[m]!;
      }
      tf.dispose(grads);
    }
    try {
      return { loss: value, gradNorm: ctx.optimizer.applyGradients(applied, ctx.lr), metrics };
    } finally {
      tf.dispose(applied);
    }
  };
}

/** A proportion with its 95% bootstrap interval and what a random guess scores. */
export interface Proportion {
  estimate: number;
  lower: number;
  upper: number;
  chance: number;
  n: number;
}

export interface NoisyFusionEvaluation {
  /** The dataset card: options, counts, which modality is noisy. */
  card: NoisyPairsCard;
  /** Summary key -> proportion with CI: test/accuracy, test/alone/<m>, test/alone-zeroed/<m>, test/probe/<m>, conflict/follows/<image|text|neither>. */
  proportions: Record<string, Proportion>;
  collapse: CollapseReport;
  gradNorms: GradNormRatioOutput;
}

/** Arg-max class of each row of the logits `f` computes, read back once. */
async function predict(f: () => tf.Tensor2D): Promise<Int32Array> {
  const p = tf.tidy(() => tf.argMax(f(), 1));
  try {
    return (await p.data()) as Int32Array;
  } finally {
    p.dispose();
  }
}

/** `features` with every modality but `m` replaced by its batch mean (or zeros). */
function only(features: Record<string, tf.Tensor2D>, m: string, replace: 'mean' | 'zero'): Record<string, tf.Tensor2D> {
  return tf.tidy(() =>
    Object.fromEntries(Object.entries(features).map(([k, x]) => [k, k === m ? tf.clone(x) : replace === 'zero' ? tf.zerosLike(x) : tf.add(tf.zerosLike(x), tf.mean(x, 0, true))])),
  ) as Record<string, tf.Tensor2D>;
}

function proportion(hits: number[], chance: number, seed: number, resamples: number): Proportion {
  const ci = bootstrapCi(hits, { seed, resamples });
  return { estimate: ci.estimate, lower: ci.lower, upper: ci.upper, chance, n: hits.length };
}

async function featuresOf(model: NoisyFusionModel, split: FlatSplit): Promise<{ features: Record<string, tf.Tensor2D>; labels: tf.Tensor1D }> {
  const b = batchOf(split, Array.from({ length: split.n }, (_, i) => i));
  const features = model.features(b.inputs);
  tf.dispose(b.inputs);
  return { features, labels: b.labels };
}

/**
 * Test accuracy; each modality alone (the others mean-replaced, as collapseReport reads it, and
 * zeroed, as modality dropout trains it); a linear probe per tower; which modality the model
 * follows on the conflict split; collapseReport over permutation/ablation/unimodal diagnostics
 * and the logged gradient norms.
 */
export async function evaluateNoisyFusion(
  model: NoisyFusionModel,
  splits: { train: FlatSplit; test: FlatSplit; conflict: FlatSplit },
  card: NoisyPairsCard,
  config: NoisyFusionConfig,
  rows: Array<Record<string, number>>,
): Promise<NoisyFusionEvaluation> {
  const { seed } = config;
  const resamples = config.eval.bootstrapResamples;
  const classes = card.config.classes;
  const chance = 1 / classes;
  const proportions: Record<string, Proportion> = {};
  const hitsOf = (pred: Int32Array, target: ArrayLike<number>) => Array.from(pred, (p, i) => (p === target[i] ? 1 : 0));
  let ciSeed = seed * 1000;

  const test = await featuresOf(model, splits.test);
  const y = splits.test.labels;
  proportions['test/accuracy'] = proportion(hitsOf(await predict(() => model.classify(test.features)), y), chance, ciSeed++, resamples);
  for (const replace of ['mean', 'zero'] as const) {
    for (const m of MODALITIES) {
      const kept = only(test.features, m, replace);
      const pred = await predict(() => model.classify(kept));
      tf.dispose(Object.values(kept));
      proportions[`test/${replace === 'mean' ? 'alone' : 'alone-zeroed'}/${m}`] = proportion(hitsOf(pred, y), chance, ciSeed++, resamples);
    }
  }
  if (config.eval.probe) {
    const train = await featuresOf(model, splits.train);
    for (const m of MODALITIES) {
      const probe = linearProbe({ embeddings: train.features[m]!, labels: splits.train.labels }, { embeddings: test.features[m]!, labels: y }, { seed });
      proportions[`test/probe/${m}`] = proportion(hitsOf(probe.predictions, y), chance, ciSeed++, resamples);
    }
    tf.dispose([...Object.values(train.features), train.labels]);
  }

  if (splits.conflict.n > 0) {
    const conflict = await featuresOf(model, splits.conflict);
    const pred = await predict(() => model.classify(conflict.features));
    const image = hitsOf(pred, splits.conflict.shown.image);
    const text = hitsOf(pred, splits.conflict.shown.text);
    proportions['conflict/follows/image'] = proportion(image, chance, ciSeed++, resamples);
    proportions['conflict/follows/text'] = proportion(text, chance, ciSeed++, resamples);
    proportions['conflict/follows/neither'] = proportion(image.map((h, i) => (h === 0 && text[i] === 0 ? 1 : 0)), 1 - 2 * chance, ciSeed++, resamples);
    tf.dispose([...Object.values(conflict.features), conflict.labels]);
  }

  const diagnostics = await runCollapseDiagnostics(test.features, fusionClassifierScorer(model, test.labels), { permutation: { seed, repeats: config.eval.permutationRepeats } });
  const gradNorms = gradNormRatio(gradNormHistory(rows.map((r) => ({ step: r.step!, metrics: r })), { modalities: [...MODALITIES] }));
  const collapse = collapseReport({ ...diagnostics, gradNorms });
  tf.dispose([...Object.values(test.features), test.labels]);
  return { card, proportions, collapse, gradNorms };
}

/** Flat summary keys: each proportion with /ci95/lower, /ci95/upper, /chance; the collapse verdict and its evidence per modality. */
export function flattenNoisyFusion(e: NoisyFusionEvaluation): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const [k, p] of Object.entries(e.proportions)) {
    out[k] = p.estimate;
    out[`${k}/ci95/lower`] = p.lower;
    out[`${k}/ci95/upper`] = p.upper;
    out[`${k}/chance`] = p.chance;
  }
  const c = e.collapse;
  out['collapse/flagged'] = c.flagged.length === 0 ? 'none' : c.flagged.join(',');
  out['collapse/fusedAccuracy'] = c.fusedAccuracy;
  for (const m of c.modalities) {
    const r = c.records[m]!;
    out[`collapse/${m}/collapsed`] = r.collapsed ? 1 : 0;
    out[`collapse/${m}/permutationDrop`] = r.permutationDrop;
    out[`collapse/${m}/perceptualScore`] = r.perceptualScore;
    for (const key of ['zeroAblationDrop', 'meanAblationDrop', 'gradNormShare', 'normalizedRankMe'] as const) {
      const v = r[key];
      if (v !== undefined) out[`collapse/${m}/${key}`] = v;
    }
  }
  const [a, b] = e.gradNorms.modalities;
  out[`train/gradNormRatio/${a}:${b}`] = e.gradNorms.meanRatio[a!]!;
  for (const m of e.gradNorms.modalities) out[`train/gradNormShare/${m}`] = e.gradNorms.meanShare[m]!;
  return out;
}

/** Trains a two-tower fusion classifier on noisy-pairs with the configured remedy and diagnoses modality collapse. */
export async function runNoisyFusion(name: string, configInput: unknown, options: RunOptions = {}): Promise<RunResult> {
  const session = await RunSession.open(name, configInput, NoisyFusionConfigSchema, options);
  const config = session.config;
  const data = loadNoisyPairs({ ...config.data, seed: config.seed });
  const classes = data.card.config.classes;
  const splits = { train: flattenSplit(data.splits.train, classes), test: flattenSplit(data.splits.test, classes), conflict: flattenSplit(data.splits.conflict, classes) };
  const { steps, batchSize, logEvery, checkpointEvery } = config.train;
  if (batchSize > splits.train.n) throw new Error(`train.batchSize ${batchSize} is larger than data.trainSize ${splits.train.n}`);
  if (splits.test.n < 2) throw new Error(`data.testSize ${splits.test.n} is too small: the collapse diagnostics shuffle test rows, which needs at least 2`);
  session.log(`noisy-pairs: ${data.card.tests} ${splits.train.n} train / ${splits.test.n} test / ${splits.conflict.n} conflict`);

  const model = buildNoisyFusionModel(config, splits.train.shape, new Rng(config.seed + 1));
  let optimizer!: AdamW;
  tf.tidy(() => {
    // In tidy: AdamW's constructor may leave the zerosLike it copies its moments from.
    optimizer = new AdamW(model.namedVariables(), { weightDecay: config.train.weightDecay, ...(config.train.clipNorm === undefined ? {} : { clipNorm: config.train.clipNorm }) });
  });
  const trainer = new Trainer<FusionBatch>({
    model,
    optimizer,
    schedule: (s) => warmupCosine(s, { peak: config.train.lr, warmupSteps: config.train.warmupSteps, totalSteps: steps }),
    step: noisyFusionStep(model, config.train),
    logEvery,
    seed: config.seed + 2,
  });
  session.log(`model: ${model.parameterCount().toLocaleString('en')} parameters, remedy ${config.train.remedy}`);
  try {
    const fit = await session.fit(trainer, {
      steps,
      batches: (step) => batchOf(splits.train, epochBatch(splits.train.n, batchSize, config.seed, step)),
      samplesPerStep: batchSize,
      checkpointEvery,
      show: 'accuracy',
    });
    if (!fit.finished) return session.stopped(fit);
    const evalStart = performance.now();
    const evaluation = await evaluateNoisyFusion(model, splits, data.card, config, session.metrics.read());
    const summary = session.baseSummary(fit, {
      remedy: config.train.remedy,
      parameters: model.parameterCount(),
      ...flattenNoisyFusion(evaluation),
      'eval/seconds': (performance.now() - evalStart) / 1000,
    });
    session.log(evaluation.collapse.summary);
    return await session.finish(summary, evaluation, (file) =>
      writeNoisyFusionReport(file, { name: session.name, runDir: session.runDir, config, summary, metrics: session.metrics.read(), evaluation }),
    );
  } finally {
    trainer.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

/** Rewrites report.html of a finished run from config.json, summary.json, evaluation.json and metrics.jsonl. */
export async function rebuildNoisyFusionReport(runDir: string): Promise<string> {
  const saved = readJson<{ name: string; config: unknown }>(path.join(runDir, 'config.json'));
  const config = NoisyFusionConfigSchema.parse(saved.config);
  const summary = readJson<Record<string, number | string>>(path.join(runDir, 'summary.json'));
  const evaluation = readJson<NoisyFusionEvaluation>(path.join(runDir, EVALUATION_FILE));
  const file = path.join(runDir, 'report.html');
  await writeNoisyFusionReport(file, { name: saved.name, runDir, config, summary, metrics: new MetricsLog(path.join(runDir, 'metrics.jsonl')).read(), evaluation });
  return file;
}
