import { AdamW, lossStep, Rng, Trainer } from '@modalab/core';
import { BpeTokenizer, loadShapesVqa, SHAPES_VQA_ANSWERS, SHAPES_VQA_QUESTION_TYPES } from '@modalab/data';
import { inspectReport } from '@modalab/eval';
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { vqaFusion } from '../../defs/vqa-fusion.js';
import { applyOverrides } from '../cli/overrides.js';
import { imageBatch, textBatch } from './embed.js';
import { MetricsLog, readJson } from './run-dir.js';
import { VQA_FUSION_KINDS, VqaFusionConfigSchema } from './vqa-fusion-config.js';
import { answerPriors, evaluateSplit, rebuildVqaFusionReport, runVqaFusion, VqaModel, type VqaBatch } from './vqa-fusion.js';
import { quiet } from '../testing/quiet.js';
import { expectResumeMatches } from '../testing/resume.js';


/** The shipped config shrunk to seconds: 16 px, width 16, one block everywhere, 40 training scenes. */
const TINY = [
  'data.trainScenes=40',
  'data.testScenes=12',
  'data.heldOutScenes=12',
  'data.imageSize=16',
  'model.image.imageSize=16',
  'model.image.width=16',
  'model.image.depth=1',
  'model.image.heads=2',
  'model.text.width=16',
  'model.text.depth=1',
  'model.text.heads=2',
  'model.fusion.dim=16',
  'model.fusion.heads=2',
  'model.fusion.depth=1',
  'model.fusion.hidden=32',
  'model.fusion.latents=4',
  'train.steps=4',
  'train.batchSize=8',
  'train.warmupSteps=1',
  'train.logEvery=1',
  'train.checkpointEvery=2',
  'train.probeEvery=2',
  'train.probeScenes=6',
  'eval.resamples=200',
  'eval.examples=3',
];
const tiny = (extra: string[] = []) => applyOverrides(vqaFusion as Record<string, unknown>, [...TINY, ...extra]);

describe('vqa-fusion config', () => {
  it('the shipped config validates; an unknown key fails with its path; every fusion kind validates', () => {
    const config = VqaFusionConfigSchema.parse(vqaFusion);
    expect(config.model.fusion.kind).toBe('cross-attention');
    expect(() => VqaFusionConfigSchema.parse(applyOverrides(vqaFusion as Record<string, unknown>, ['model.fusion.latentz=3']))).toThrow(/latentz/);
    expect(() => VqaFusionConfigSchema.parse(applyOverrides(vqaFusion as Record<string, unknown>, ['train.stepz=3']))).toThrow(/stepz/);
    expect(() => VqaFusionConfigSchema.parse(applyOverrides(vqaFusion as Record<string, unknown>, ['model.fusion.kind=gated']))).toThrow(/kind/);
    expect(() => VqaFusionConfigSchema.parse(applyOverrides(vqaFusion as Record<string, unknown>, ['model.image.imageSize=16']))).toThrow(/model\.image\.imageSize must equal data\.imageSize/);
    for (const kind of VQA_FUSION_KINDS) {
      expect(VqaFusionConfigSchema.parse(applyOverrides(vqaFusion as Record<string, unknown>, [`model.fusion.kind=${kind}`])).model.fusion.kind).toBe(kind);
    }
  });
});

describe('VqaModel', () => {
  const data = loadShapesVqa({ trainScenes: 12, testScenes: 2, heldOutScenes: 2, imageSize: 16, seed: 1 });
  const train = data.splits.train;
  const tokenizer = BpeTokenizer.train(train.questions.map((q) => q.text), { vocabSize: 300 });

  for (const kind of VQA_FUSION_KINDS) {
    it(`${kind}: builds, trains 2 steps (loss finite, every part gets a gradient) and leaks no tensors`, async () => {
      const config = VqaFusionConfigSchema.parse(tiny([`model.fusion.kind=${kind}`, 'tokenizer.contextLength=20']));
      const model = new VqaModel(config, tokenizer.vocabSize, SHAPES_VQA_ANSWERS.length, new Rng(0));
      let optimizer!: AdamW;
      tf.tidy(() => {
        optimizer = new AdamW(model.namedVariables(), { weightDecay: 0 });
      });
      const trainer = new Trainer<VqaBatch>({ model, optimizer, schedule: () => 1e-3, step: lossStep((b: VqaBatch) => model.loss(b), { groupGradNorms: true }), logEvery: 1 });
      const batch = (step: number): VqaBatch => {
        const rows = [2 * step, 2 * step + 1];
        const qs = train.questions.filter((q) => rows.includes(q.scene));
        const text = textBatch(tokenizer, qs.map((q) => q.text), 20);
        return {
          images: imageBatch(train.images.pixels, 16, rows),
          ids: text.ids,
          mask: text.mask,
          sceneOf: tf.tensor1d(qs.map((q) => rows.indexOf(q.scene)), 'int32'),
          labels: tf.tensor1d(qs.map((q) => q.answerIndex), 'int32'),
        };
      };
      const records: Array<{ loss: number; metrics: Record<string, number> }> = [];
      trainer.on('log', (r) => void records.push(r));
      await trainer.fit(batch, { steps: 1 }); // warm-up: optimizer slots and kernels
      const before = tf.memory().numTensors;
      await trainer.fit(batch, { steps: 2 });
      expect(tf.memory().numTensors).toBe(before);
      expect(records).toHaveLength(2);
      for (const r of records) {
        expect(Number.isFinite(r.loss)).toBe(true);
        expect(r.loss).toBeGreaterThan(0);
      }
      // The logged record of a full step carries every group's gradient norm, all non-zero.
      for (const part of ['image', 'text', 'fusion', 'head']) expect(records[0]!.metrics[`gradNorm/${part}`], part).toBeGreaterThan(0);
      // Logits are [Q, answers]; a padded question gives the same answer as the same question unpadded.
      const q = train.questions[0]!;
      const short = textBatch(tokenizer, [q.text], 20);
      const img = imageBatch(train.images.pixels, 16, [q.scene]);
      const scene0 = tf.tensor1d([0], 'int32');
      const a = model.apply(img, short, scene0);
      const longer = textBatch(tokenizer, [q.text, 'is the circle left of the square? what colour is the yellow object?'], 20);
      const two = tf.tensor1d([0, 0], 'int32');
      const b = model.apply(img, longer, two);
      expect(a.shape).toEqual([1, SHAPES_VQA_ANSWERS.length]);
      const rowA = Array.from(a.dataSync());
      const rowB = Array.from(b.dataSync()).slice(0, SHAPES_VQA_ANSWERS.length);
      rowA.forEach((v, i) => expect(Math.abs(v - rowB[i]!), `logit ${i}`).toBeLessThan(1e-4));
      tf.dispose([a, b, img, scene0, two, short.ids, short.mask, longer.ids, longer.mask]);
      // The per-scene layout (all of a scene's questions as one query sequence) equals the per-question path.
      const probe = batch(3);
      const k = probe.labels.shape[0] / 2;
      const plain = model.apply(probe.images, probe, probe.sceneOf);
      const grouped = model.apply(probe.images, probe, probe.sceneOf, k);
      expect(Array.from(probe.sceneOf.dataSync())).toEqual([...new Array<number>(k).fill(0), ...new Array<number>(k).fill(1)]);
      const want = Array.from(plain.dataSync());
      Array.from(grouped.dataSync()).forEach((v, i) => expect(Math.abs(v - want[i]!), `logit ${i}`).toBeLessThan(1e-4));
      tf.dispose([plain, grouped, ...Object.values(probe)]);
      trainer.dispose();
      optimizer.dispose();
      model.dispose();
    });
  }
});

describe('question-only baselines', () => {
  it('the type-majority answer and the question prior come from the training answers; accuracy counts right answers', () => {
    const data = loadShapesVqa({ trainScenes: 60, testScenes: 20, heldOutScenes: 20, seed: 3 });
    const priors = answerPriors(data.splits.train);
    for (const type of SHAPES_VQA_QUESTION_TYPES) {
      const answers = data.splits.train.questions.filter((q) => q.type === type).map((q) => q.answer);
      const count = (a: string) => answers.filter((x) => x === a).length;
      expect(count(priors.majority[type]!)).toBe(Math.max(...answers.map(count)));
    }
    expect(priors.answersOfType['exists']).toEqual(['yes', 'no']);
    // A model that predicts the type-majority answer scores exactly the majority baseline, and the paired difference is 0.
    const test = data.splits.test;
    const predictions = new Map(test.questions.map((q, i) => [i, SHAPES_VQA_ANSWERS.indexOf(priors.majority[q.type]!)]));
    const e = evaluateSplit(test, predictions, priors, 1, 200);
    expect(e.overall.accuracy).toBeCloseTo(e.overall.majority, 12);
    expect(e.vsMajority.diff).toBe(0);
    const truth = new Map(test.questions.map((q, i) => [i, q.answerIndex]));
    const perfect = evaluateSplit(test, truth, priors, 1, 200);
    expect(perfect.overall.accuracy).toBe(1);
    expect(perfect.vsMajority.diff).toBeCloseTo(1 - perfect.overall.majority, 12);
    expect(perfect.confusion.flat().reduce((a, b) => a + b, 0)).toBe(test.questions.length);
  });
});

describe('runVqaFusion (reduced run)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-vqa-'));

  it('writes a complete run directory with per-type accuracy, CIs and question-only baselines; the report rebuilds', async () => {
    const result = await runVqaFusion('vqa-tiny', tiny(), { runsRoot: root, ...quiet });
    expect(result.finished).toBe(true);
    const dir = result.runDir;
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'evaluation.json', 'report.html', 'tokenizer.json']) expect(fs.existsSync(path.join(dir, f)), f).toBe(true);
    const rows = new MetricsLog(path.join(dir, 'metrics.jsonl')).read();
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3, 4]);
    for (const r of rows) {
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r['gradNorm/image']).toBeGreaterThan(0);
      expect(r['gradNormRatio/image:text']).toBeCloseTo(r['gradNorm/image']! / r['gradNorm/text']!, 6);
    }
    expect(rows.filter((r) => r['probe/test/accuracy'] !== undefined).map((r) => r.step)).toEqual([2, 4]);

    const summary = readJson<Record<string, number | string>>(path.join(dir, 'summary.json'));
    expect(summary.fusion).toBe('cross-attention');
    for (const split of ['test', 'heldOut', 'train-sample']) {
      // A dozen tiny scenes need not ask every type; the types asked each have the full set of keys.
      const types = SHAPES_VQA_QUESTION_TYPES.filter((t) => summary[`${split}/${t}/count`] !== undefined);
      expect(types.length, split).toBeGreaterThanOrEqual(3);
      for (const prefix of [split, ...types.map((t) => `${split}/${t}`)]) {
        const acc = summary[`${prefix}/accuracy`] as number;
        expect(acc, prefix).toBeGreaterThanOrEqual(0);
        expect(acc).toBeLessThanOrEqual(1);
        expect(summary[`${prefix}/accuracy/ci95/lower`] as number).toBeLessThanOrEqual(acc);
        expect(summary[`${prefix}/accuracy/ci95/upper`] as number).toBeGreaterThanOrEqual(acc);
        for (const base of ['majority', 'question-prior', 'chance']) {
          const v = summary[`${prefix}/${base}/accuracy`] as number;
          expect(Number.isFinite(v), `${prefix}/${base}`).toBe(true);
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
        }
        expect(summary[`${prefix}/count`]).toBeGreaterThan(0);
      }
      expect(Number.isFinite(summary[`${split}/vs-majority/diff`] as number)).toBe(true);
    }
    expect(summary['test/exists/chance/accuracy']).toBe(0.5);
    expect(summary['train/accuracy'] as number).toBeGreaterThanOrEqual(0);
    expect(summary['train/accuracy'] as number).toBeLessThanOrEqual(1);
    expect(summary['test/count']).toBe(12 * 4);

    const report = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(report).toContain('data:image/png;base64,');
    const seen = await inspectReport(path.join(dir, 'report.html'));
    // Curves, probe curves, 2 per-type bars, 2 confusions, the example grid.
    expect(seen).toEqual({ plotsDrawn: 7, plotsReady: 7, figureErrors: 0, errors: [], externalRequests: [] });
    fs.rmSync(path.join(dir, 'report.html'));
    expect(await rebuildVqaFusionReport(dir)).toBe(path.join(dir, 'report.html'));
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toContain('id="figure-6"');
  });

  it('concat-mlp runs through the runner too (the other two kinds run in the tests beside it): per-type accuracy beside its baselines', async () => {
    // Fewer steps than logEvery: metrics.jsonl holds only the final window (a loss, no step metrics), and the report still renders.
    const result = await runVqaFusion('vqa-concat', tiny(['model.fusion.kind=concat-mlp', 'train.steps=2', 'train.logEvery=5']), { runsRoot: root, ...quiet });
    const summary = readJson<Record<string, number | string>>(path.join(result.runDir, 'summary.json'));
    expect(summary.fusion).toBe('concat-mlp');
    expect(summary.steps).toBe(2);
    expect(new MetricsLog(path.join(result.runDir, 'metrics.jsonl')).read().map((r) => r.accuracy)).toEqual([undefined]);
    expect(summary['train/accuracy']).toBeUndefined();
    expect(fs.readFileSync(path.join(result.runDir, 'report.html'), 'utf8')).toContain('id="figure-0"');
    for (const type of SHAPES_VQA_QUESTION_TYPES.filter((t) => summary[`test/${t}/count`] !== undefined)) {
      expect(Number.isFinite(summary[`test/${type}/accuracy`] as number), type).toBe(true);
      expect(Number.isFinite(summary[`test/${type}/majority/accuracy`] as number), type).toBe(true);
    }
  });

  it('a run stopped and resumed reaches the same loss and accuracy as the uninterrupted one', async () => {
    const config = tiny(['seed=2', 'model.fusion.kind=perceiver']);
    const { wholeSummary: sa, resumedSummary: sb } = await expectResumeMatches(runVqaFusion, config, { runsRoot: root, stopAfter: 2, steps: 4 });
    expect(sb['test/accuracy']).toBe(sa['test/accuracy']);
  });
});
