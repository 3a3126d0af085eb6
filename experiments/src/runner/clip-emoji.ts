import {
  AdamW,
  groupGradNorms,
  type DualEncoder,
  Rng,
  saveCheckpoint,
  warmupCosine,
} from '@modalab/core';
import { augmentImages, BatchSampler, type BatchSamplerState, BpeTokenizer, loadTokenizer, TiktokenTokenizer } from '@modalab/data';
import { loadPairedData, type PairedData } from './paired-data.js';
import { embeddingGeometry, gapShiftSweep, pca, rankRetrieval, zeroShotClassifier, zeroShotEvaluate, type ZeroShotResult } from '@modalab/eval';
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import { buildDualEncoder } from './build-model.js';
import { categoryProbes, type CategoryProbes } from './category-probes.js';
import { type ClipEmojiConfig, ClipEmojiConfigSchema } from './clip-emoji-config.js';
import { embedImages, embedTexts, imageBatch, textBatch, type TextTokenizer } from './embed.js';
import { flattenGeometry, flattenResults, formatResults, retrievalBothWays, type SplitResults } from './evaluate.js';
import { ProgressBar, formatDuration } from './progress.js';
import { writeClipReport } from './report.js';
import { CHECKPOINT_FILE, EVALUATION_FILE, MetricsLog, type RunOptions, type RunResult, writeJson } from './run-dir.js';
import { backendSummary, RunSession } from './session.js';

export { CHECKPOINT_FILE, EVALUATION_FILE, type RunOptions, type RunResult } from './run-dir.js';

/** Trains and evaluates a CLIP-style dual encoder on the built-in emoji dataset. */
export async function runClipEmoji(name: string, configInput: unknown, options: RunOptions = {}): Promise<RunResult> {
  // The run directory (new or resumed), config.json and the checkpoint being resumed: as every runner.
  const session = await RunSession.open<ClipEmojiConfig>(name, configInput, ClipEmojiConfigSchema, options);
  const { runDir, config, backend, log } = session;
  name = session.name;

  // Data
  const t0 = performance.now();
  const data = await loadPairedData(config, runDir);
  if (data.report) {
    const bad = data.report.toJSON().counts.bad;
    if (bad > 0) log(`data: ${bad} bad items skipped, each listed in ${path.join(runDir, 'data-report.json')}`);
  }
  const { train, test } = subsample(data, config);
  const trainPixels = data.images[data.trainStyle]!.pixels;
  const captionMode = config.data.captions ?? (data.source === 'emoji' ? 'name+tags' : 'any');
  log(`${data.source}: ${data.concepts.length} items, ${train.length} train / ${test.length} held out (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

  // Tokenizer: trained on training captions only, so held-out names may split into sub-words.
  const metrics = new MetricsLog(path.join(runDir, 'metrics.jsonl'));
  let tokenizer: BpeTokenizer | TiktokenTokenizer;
  const ckpt = session.resumed;
  if (ckpt) {
    tokenizer = await loadTokenizer(ckpt.meta.tokenizer);
  } else {
    tokenizer =
      config.tokenizer.kind === 'bpe'
        ? BpeTokenizer.train(train.flatMap((i) => data.concepts[i]!.captions), { vocabSize: config.tokenizer.vocabSize })
        : await TiktokenTokenizer.load(config.tokenizer.kind);
    await writeJson(path.join(runDir, 'tokenizer.json'), tokenizer.toJSON());
  }

  const model = buildDualEncoder(config, tokenizer.vocabSize);
  const params = model.namedVariables();
  const optimizer = new AdamW(params, { weightDecay: config.train.weightDecay, ...(config.train.clipNorm === undefined ? {} : { clipNorm: config.train.clipNorm }) });
  log(`model: ${model.parameterCount().toLocaleString('en')} parameters`);

  let step = 0;
  if (train.length < config.train.batchSize) {
    throw new Error(`train.batchSize ${config.train.batchSize} is larger than the ${train.length} training items`);
  }
  // Batches of distinct items, the last partial batch of an epoch dropped: a repeated item would be a false negative for InfoNCE.
  let sampler: BatchSampler;
  let epoch = 0;
  let captionRng: Rng;
  let augmentRng: Rng;
  let elapsedBefore = 0;
  if (ckpt) {
    const { tensors } = ckpt;
    for (const [n, v] of params) {
      const t = tensors[`param.${n}`];
      if (!t) throw new Error(`Checkpoint ${path.join(runDir, CHECKPOINT_FILE)} has no tensor 'param.${n}'`);
      v.assign(t);
    }
    const opt: Record<string, tf.Tensor> = {};
    for (const [k, t] of Object.entries(tensors)) if (k.startsWith('opt.')) opt[k.slice(4)] = t;
    optimizer.loadState(opt, ckpt.meta.optimizerStep as number);
    tf.dispose(Object.values(tensors));
    step = ckpt.meta.step as number;
    sampler = BatchSampler.fromState(ckpt.meta.sampler as unknown as BatchSamplerState);
    captionRng = Rng.fromState(ckpt.meta.captionRng as number[]);
    augmentRng = Rng.fromState(ckpt.meta.augmentRng as number[]);
    elapsedBefore = ckpt.meta.trainSeconds as number;
    await metrics.truncateAfter(step);
    log(`resumed at step ${step}`);
  } else {
    sampler = new BatchSampler({ size: train.length, batchSize: config.train.batchSize, seed: config.seed + 1, dropLast: true });
    captionRng = new Rng(config.seed + 2);
    augmentRng = new Rng(config.seed + 6);
  }

  const save = async () => {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [n, v] of params) tensors[`param.${n}`] = v;
    for (const [k, t] of Object.entries(optimizer.stateTensors())) tensors[`opt.${k}`] = t;
    await saveCheckpoint(path.join(runDir, CHECKPOINT_FILE), {
      tensors,
      meta: {
        step,
        optimizerStep: optimizer.stepCount,
        sampler: sampler.state() as unknown as Record<string, unknown>,
        captionRng: captionRng.state(),
        augmentRng: augmentRng.state(),
        trainSeconds: elapsedBefore + trainSeconds(),
        tokenizer: tokenizer.toJSON() as unknown as Record<string, unknown>,
        config: config as unknown as Record<string, unknown>,
        backend: backend.name,
      },
    });
  };

  // Ctrl-C: finish the step in flight, write a checkpoint, exit resumable.
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log('\ninterrupt: saving a checkpoint after this step (Ctrl-C again to quit now)');
  };
  process.on('SIGINT', onSigint);

  const { steps, batchSize, logEvery, checkpointEvery } = config.train;
  const stopAt = Math.min(steps, options.stopAfter ?? steps);
  const bar = new ProgressBar(steps, options.progress);
  bar.samplesPerStep = batchSize;
  // A fixed probe batch of training concepts (seeded), to watch the geometry form.
  const probeRows = new Rng(config.seed + 7).shuffle([...train]).slice(0, Math.min(config.train.probeSize, train.length));
  const probeNames = probeRows.map((i) => data.concepts[i]!.name);
  const probe = (): Record<string, number> => {
    const img = embedImages(model, trainPixels, config.data.imageSize, probeRows, config.eval.batchSize);
    const txt = embedTexts(model, tokenizer, probeNames, config.tokenizer.contextLength, config.eval.batchSize);
    const g = embeddingGeometry({ image: img, text: txt }, { uniformity: { seed: config.seed } });
    tf.dispose([img, txt]);
    const pair = g.pairs['image|text']!;
    return {
      'probe/gap': pair.gap,
      'probe/alignment': pair.alignment ?? Number.NaN,
      'probe/uniformity/image': g.modalities.image!.uniformity,
      'probe/uniformity/text': g.modalities.text!.uniformity,
      'probe/rankMe/image': g.modalities.image!.rankMe,
      'probe/rankMe/text': g.modalities.text!.rankMe,
    };
  };
  const trainable = model.trainableVariables();
  const pathOf = new Map([...params].map(([p, v]) => [v.name, p] as const));
  const trainStart = performance.now();
  const trainSeconds = () => (performance.now() - trainStart) / 1000;
  let windowStart = performance.now();
  let windowSteps = 0;
  let lastLoss = Number.NaN;
  try {
    while (step < stopAt && !interrupted) {
      const drawn = sampler.next();
      epoch = drawn.epoch;
      const rows = drawn.indices.map((i) => train[i]!);
      const captions = rows.map((i) => trainingCaption(data.concepts[i]!, captionMode, captionRng));
      const raw = imageBatch(trainPixels, config.data.imageSize, rows);
      const augment = config.data.augment;
      const images = augment === false ? raw : augmentImages(raw, augment, augmentRng);
      if (images !== raw) raw.dispose();
      const text = textBatch(tokenizer, captions, config.tokenizer.contextLength);
      const lr = warmupCosine(step, { peak: config.train.lr, warmupSteps: config.train.warmupSteps, totalSteps: steps });
      const logNow = (step + 1) % logEvery === 0 || step + 1 === stopAt || (step + 1) % config.train.probeEvery === 0;
      const { value: loss, grads } = tf.variableGrads(() => model.loss({ image: images, text }).loss, trainable);
      // Per-tower gradient norms: the signal that one tower stopped learning (modality collapse).
      const towerNorms = logNow ? groupGradNorms(grads, pathOf) : {};
      const gradNorm = optimizer.applyGradients(grads, lr);
      tf.dispose(grads);
      model.afterStep();
      tf.dispose([images, text.ids, text.mask]);
      step += 1;
      windowSteps += 1;
      const probeNow = step % config.train.probeEvery === 0 || step === stopAt;
      if (logNow) {
        const towerNames = Object.keys(towerNorms);
        const [l, g, s, ...towers] = await Promise.all([loss.data(), gradNorm.data(), readScale(model), ...towerNames.map((k) => towerNorms[k]!.data())]);
        const perTower: Record<string, number> = {};
        towerNames.forEach((k, i) => (perTower[`gradNorm/${k}`] = towers[i]![0]!));
        if (perTower['gradNorm/image'] !== undefined && perTower['gradNorm/text'] !== undefined) {
          perTower['gradNormRatio/image:text'] = perTower['gradNorm/image'] / perTower['gradNorm/text'];
        }
        tf.dispose(Object.values(towerNorms));
        lastLoss = l[0]!;
        const now = performance.now();
        const samplesPerSec = (windowSteps * batchSize) / ((now - windowStart) / 1000);
        windowStart = now;
        windowSteps = 0;
        const seconds = elapsedBefore + trainSeconds();
        metrics.append({ step, loss: lastLoss, logitScale: s, temperature: 1 / s, lr, gradNorm: g[0]!, ...perTower, samplesPerSec, epoch, seconds, ...(probeNow ? probe() : {}) });
        // The probe's own time is not training time.
        windowStart = performance.now();
        bar.update(step, { loss: lastLoss, temperature: 1 / s, samplesPerSec }, step === stopAt);
      }
      tf.dispose([loss, gradNorm]);
      if (step % checkpointEvery === 0 || step === stopAt || interrupted) await save();
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  const totalTrainSeconds = elapsedBefore + trainSeconds();
  if (step < steps) {
    bar.done(`stopped at step ${step}/${steps}; checkpoint written. Continue with: pnpm exp run ${name} --resume ${runDir}`);
    model.dispose();
    optimizer.dispose();
    return { runDir, finished: false, step };
  }
  bar.done(`trained ${steps} steps in ${formatDuration(totalTrainSeconds)} (final loss ${lastLoss.toFixed(4)})`);

  // Evaluation
  const evalStart = performance.now();
  const results = await evaluateEmoji(model, tokenizer, data, config, train, test);
  const summary: Record<string, number | string> = {
    experiment: name,
    dataset: data.source,
    seed: config.seed,
    ...backendSummary(backend),
    parameters: model.parameterCount(),
    steps,
    'train/loss': lastLoss,
    'train/temperature': 1 / (await readScale(model)),
    'train/seconds': totalTrainSeconds,
    'train/samplesPerSec': (steps * batchSize) / totalTrainSeconds,
    'eval/seconds': (performance.now() - evalStart) / 1000,
  };
  for (const [split, r] of Object.entries(results.splits)) Object.assign(summary, flattenResults(split, r));
  for (const [split, r] of Object.entries(results.baselines)) {
    for (const [k, v] of Object.entries(flattenResults(split, r))) if (!k.includes('/chance/')) summary[k.replace(`${split}/`, `${split}/baseline-pixel-nn/`)] = v;
  }
  Object.assign(summary, results.geometry);
  if (results.zeroShot.classes.length > 0) {
    const zs = results.zeroShot.result;
    for (const [k, v] of Object.entries(zs.topK)) summary[`test/zero-shot-category/top${k}`] = v;
    for (const [k, v] of Object.entries(zs.chance.topK)) summary[`test/zero-shot-category/chance/top${k}`] = v;
    summary['test/zero-shot-category/meanPerClassRecall'] = zs.meanPerClassRecall;
  }
  for (const [probe, p] of Object.entries(results.probes?.scores ?? {})) {
    summary[`test/probe-category/${probe}/accuracy`] = p.accuracy;
    summary[`test/probe-category/${probe}/accuracy/ci95/lower`] = p.lower;
    summary[`test/probe-category/${probe}/accuracy/ci95/upper`] = p.upper;
    summary[`test/probe-category/${probe}/chance`] = p.chance;
  }
  await writeJson(path.join(runDir, 'summary.json'), summary);
  log(formatResults(results.splits));
  // Everything the report shows, so `exp report` can rebuild it without the model.
  await writeJson(path.join(runDir, EVALUATION_FILE), results);
  await writeClipReport(path.join(runDir, 'report.html'), { name, runDir, config, summary, metrics: metrics.read(), evaluation: results, dataSource: data.source });
  log(`report: ${path.join(runDir, 'report.html')}`);
  model.dispose();
  optimizer.dispose();
  return { runDir, finished: true, step, summary };
}

/** The text a concept is trained with this step (see data.captions). */
export function trainingCaption(concept: { name: string; captions: string[] }, mode: NonNullable<ClipEmojiConfig['data']['captions']>, rng: Rng): string {
  if (mode === 'name') return concept.name;
  const others = concept.captions.filter((c) => c !== concept.name);
  if (mode === 'any') return concept.captions[rng.int(concept.captions.length)]!;
  const extra = Math.min(others.length, rng.int(3));
  const picked = rng.shuffle([...others]).slice(0, extra);
  return [concept.name, ...picked].join(', ');
}

/** Raw-pixel nearest neighbour to the training exemplars (see EmojiEvaluation.baselines). */
function pixelExemplarBaseline(data: PairedData, config: ClipEmojiConfig, rows: number[], style: string, trained: Set<number>, ks: number[]): SplitResults {
  const size = config.data.imageSize;
  const per = size * size * 3;
  const queryPixels = data.images[style]!.pixels;
  const exemplarPixels = data.images[data.trainStyle]!.pixels;
  const exemplars = new Float32Array(rows.length * per); // zero rows: no exemplar, scores 0, ranked last
  rows.forEach((c, j) => {
    if (trained.has(c)) exemplars.set(exemplarPixels.subarray(c * per, (c + 1) * per), j * per);
  });
  const unit = (x: tf.Tensor2D) => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D;
  const queries = tf.tidy(() => unit(tf.reshape(imageBatch(queryPixels, size, rows), [rows.length, per]) as tf.Tensor2D));
  const gallery = tf.tidy(() => unit(tf.tensor2d(exemplars, [rows.length, per])));
  const result = retrievalBothWays(queries, gallery, rows.map((_, j) => j), ks);
  tf.dispose([queries, gallery]);
  return result;
}

async function readScale(model: DualEncoder): Promise<number> {
  const s = model.scale();
  const v = (await s.data())[0]!;
  s.dispose();
  return v;
}

/** Applies data.maxConcepts by a seeded subsample of each split (tests and smoke runs). */
function subsample(data: PairedData, config: ClipEmojiConfig): { train: number[]; test: number[] } {
  const max = config.data.maxConcepts;
  if (max === undefined) return { train: data.split.train, test: data.split.test };
  const rng = new Rng(config.seed + 3);
  const nTest = Math.max(2, Math.round(max * config.data.heldOutFraction));
  return { train: rng.shuffle([...data.split.train]).slice(0, max - nTest), test: rng.shuffle([...data.split.test]).slice(0, nTest) };
}

export interface EmojiEvaluation {
  splits: Record<string, SplitResults>;
  /** Geometry of the held-out embeddings: gap, alignment, uniformity, cone, RankMe (flat keys). */
  geometry: Record<string, number>;
  /**
   * A no-learning exemplar baseline: each image of the style never trained on is matched by raw
   * pixels to the training images it was trained with; a name is as good as its concept's
   * training image. Concepts never trained on cannot be named this way, which is the point.
   */
  baselines: Record<string, SplitResults>;
  /** Zero-shot classification of held-out images into the emoji categories, from the category names. */
  zeroShot: { classes: string[]; templates: string[]; result: Omit<ZeroShotResult, 'ranks'> };
  /** The gap-shift intervention (Liang et al. 2022) on the held-out split: recall against lambda. */
  gapShift: Array<{ lambda: number; gap: number; metrics: Record<string, number> }>;
  /** PCA of the held-out image and text embeddings together, for the gap picture. */
  scatter: { image: number[][]; text: number[][]; labels: string[]; axisTitles: [string, string] };
  heatmap: { matrix: number[][]; labels: string[] };
  examples: Array<{ concept: string; top: string[]; rank: number }>;
  /** Linear and k-NN probes of the categories on frozen image embeddings, and a raw-pixel k-NN (absent without categories). */
  probes?: CategoryProbes;
}

/**
 * Retrieval on: held-out concepts in the training style ("test"), the same concepts in the
 * style never trained on ("test-other-style"), every concept in that style ("all-other-style"),
 * and a same-size sample of training concepts ("train-sample", to show the generalisation gap).
 * The text of a concept is its name.
 */
export const ZERO_SHOT_TEMPLATES = ['{}', 'an emoji of {}', 'a {} emoji'];
export const GAP_SHIFT_LAMBDAS = [-0.5, -0.25, 0, 0.25, 0.5, 0.75];

export async function evaluateEmoji(model: DualEncoder, tokenizer: TextTokenizer, data: PairedData, config: ClipEmojiConfig, train: number[], test: number[]): Promise<EmojiEvaluation> {
  const { imageSize } = config.data;
  const { ks, batchSize } = config.eval;
  const ctx = config.tokenizer.contextLength;
  const all = data.concepts.map((_, i) => i);
  const trainSample = new Rng(config.seed + 4).shuffle([...train]).slice(0, test.length);
  const other = data.otherStyle !== undefined && data.images[data.otherStyle] !== undefined ? data.otherStyle : undefined;
  const sets: Array<[string, number[], string]> = [
    ['test', test, data.trainStyle],
    ...(other === undefined ? [] : ([['test-other-style', test, other], ['all-other-style', all, other]] as Array<[string, number[], string]>)),
    ['train-sample', trainSample, data.trainStyle],
  ];
  const splits: Record<string, SplitResults> = {};
  let heatmap: EmojiEvaluation['heatmap'] = { matrix: [], labels: [] };
  let examples: EmojiEvaluation['examples'] = [];
  let geometry: EmojiEvaluation['geometry'] = {};
  let zeroShot: EmojiEvaluation['zeroShot'] = { classes: [], templates: ZERO_SHOT_TEMPLATES, result: { n: 0, classCount: 0, topK: {}, meanPerClassRecall: Number.NaN, confusion: [], chance: { topK: {} } } };
  let gapShift: EmojiEvaluation['gapShift'] = [];
  let probes: CategoryProbes | undefined;
  const baselines: EmojiEvaluation['baselines'] = {};
  let scatter: EmojiEvaluation['scatter'] = { image: [], text: [], labels: [], axisTitles: ['PC1', 'PC2'] };
  for (const [split, rows, style] of sets) {
    const names = rows.map((i) => data.concepts[i]!.name);
    const texts: string[] = [];
    const owner: number[] = [];
    rows.forEach((i, j) => data.evalTexts(i).forEach((t) => (texts.push(t), owner.push(j))));
    const img = embedImages(model, data.images[style]!.pixels, imageSize, rows, batchSize);
    const txt = embedTexts(model, tokenizer, texts, ctx, batchSize);
    splits[split] = retrievalBothWays(img, txt, owner, ks);
    if (split === 'test') {
      // Pairwise analyses use one text per item (its first); retrieval above used all of them.
      const first = tf.tensor1d(rows.map((_, j) => owner.indexOf(j)), 'int32');
      const paired = tf.gather(txt, first) as tf.Tensor2D;
      first.dispose();
      geometry = flattenGeometry(embeddingGeometry({ image: img, text: paired }, { uniformity: { seed: config.seed } }));
      const classes = [...new Set(data.concepts.map((c) => c.category))].filter((c) => c !== '').sort();
      if (classes.length >= 2 && rows.every((i) => data.concepts[i]!.category !== '')) {
        const classEmb = await zeroShotClassifier(
          classes.map((c) => c.toLowerCase()),
          ZERO_SHOT_TEMPLATES,
          (texts) => embedTexts(model, tokenizer, texts, ctx, batchSize),
        );
        const { ranks: _ranks, ...zs } = zeroShotEvaluate(img, classEmb, rows.map((i) => classes.indexOf(data.concepts[i]!.category)), { ks: [1, 3] });
        classEmb.dispose();
        zeroShot = { classes, templates: ZERO_SHOT_TEMPLATES, result: zs };
        probes = probeCategories(model, data, config, train, rows, img, classes);
      }
      const diagonal = rows.map((_, j) => [j]);
      const sweep = await gapShiftSweep(img, paired, GAP_SHIFT_LAMBDAS, ({ a, b }) => {
        const i2t = rankRetrieval(a, b, diagonal, { ks: [1, 10] });
        const t2i = rankRetrieval(b, a, diagonal, { ks: [1, 10] });
        return { 'image->text R@1': i2t.recall[1]!, 'image->text R@10': i2t.recall[10]!, 'text->image R@10': t2i.recall[10]! };
      });
      gapShift = sweep.map((p) => ({ lambda: p.lambda, gap: p.gap, metrics: p.value }));
      const both = tf.concat([img, paired], 0) as tf.Tensor2D;
      const p = pca(both, { components: 2 });
      both.dispose();
      const n = rows.length;
      const pct = (i: number) => (100 * p.explainedVarianceRatio[i]!).toFixed(1);
      scatter = { image: p.projected.slice(0, n), text: p.projected.slice(n), labels: names, axisTitles: [`PC1 (${pct(0)}%)`, `PC2 (${pct(1)}%)`] };
      // A seeded sample across the split: consecutive held-out concepts are near-duplicates (all faces).
      const sample = new Rng(config.seed + 5).shuffle(rows.map((_, j) => j)).slice(0, Math.min(16, rows.length));
      const picked = tf.tensor1d(sample, 'int32');
      const sims = tf.tidy(() => tf.matMul(tf.gather(img, picked), tf.gather(paired, picked), false, true).arraySync() as number[][]);
      heatmap = { matrix: sims, labels: sample.map((j) => names[j]!) };
      const scores = tf.tidy(() => tf.matMul(tf.gather(img, picked), paired, false, true).arraySync() as number[][]);
      picked.dispose();
      examples = scores.slice(0, 12).map((row, q) => {
        const own = sample[q]!;
        const order = row.map((s, j) => [s, j] as const).sort((a, b) => b[0] - a[0]);
        return { concept: names[own]!, top: order.slice(0, 3).map(([, j]) => names[j]!), rank: 1 + order.findIndex(([, j]) => j === own) };
      });
      paired.dispose();
    }
    if (split === 'all-other-style') baselines[split] = pixelExemplarBaseline(data, config, rows, style, new Set(train), ks);
    tf.dispose([img, txt]);
  }
  return { splits, heatmap, examples, geometry, scatter, zeroShot, gapShift, baselines, ...(probes ? { probes } : {}) };
}

/** Category probes: training concepts' images (training style) fit, held-out images `testImg` score. */
function probeCategories(model: DualEncoder, data: PairedData, config: ClipEmojiConfig, train: number[], test: number[], testImg: tf.Tensor2D, classes: string[]): CategoryProbes | undefined {
  const labelled = train.filter((i) => data.concepts[i]!.category !== '');
  if (labelled.length < 10) return undefined;
  const size = config.data.imageSize;
  const pixels = data.images[data.trainStyle]!.pixels;
  const per = size * size * 3;
  const rowsOf = (rows: number[]) => rows.map((i) => Array.from(pixels.subarray(i * per, (i + 1) * per)));
  const trainImg = embedImages(model, pixels, size, labelled, config.eval.batchSize);
  const trainEmb = trainImg.arraySync() as number[][];
  trainImg.dispose();
  const label = (i: number) => classes.indexOf(data.concepts[i]!.category);
  return categoryProbes(
    {
      classes,
      train: { embeddings: trainEmb, pixels: rowsOf(labelled), labels: labelled.map(label) },
      test: { embeddings: testImg.arraySync() as number[][], pixels: rowsOf(test), labels: test.map(label) },
    },
    config.seed,
  );
}
