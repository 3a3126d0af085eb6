import { ogmGeStep, Rng, Sgd, type StepContext } from '@modalab/core';
import { loadNoisyPairs } from '@modalab/data';
import { inspectReport } from '@modalab/eval';
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { noisyFusion } from '../../defs/noisy-fusion.js';
import { applyOverrides } from '../cli/overrides.js';
import { CHECKPOINT_FILE } from './clip-emoji.js';
import { NoisyFusionConfigSchema, REMEDIES } from './noisy-fusion-config.js';
import { batchOf, buildNoisyFusionModel, flattenSplit, noisyFusionStep, rebuildNoisyFusionReport, runNoisyFusion } from './noisy-fusion.js';
import { MetricsLog, readJson } from './run-dir.js';
import { quiet } from '../testing/quiet.js';

const shipped = noisyFusion as Record<string, unknown>;

/**
 * Seconds per run: 4 classes, 8 px images (4 cells, one painted), 4-token texts, width-16 towers.
 * The text still shows the right class for half the samples (chance 25%), the image always.
 */
const TINY = [
  'data.classes=4',
  'data.imageSize=8',
  'data.redundancy=1',
  'data.textLength=4',
  'data.trainSize=400',
  'data.testSize=200',
  'data.conflictSize=40',
  'model.image.hidden=16',
  'model.text.hidden=16',
  'train.batchSize=32',
  'train.lr=0.01',
  'train.warmupSteps=5',
  'train.logEvery=5',
  'train.checkpointEvery=10',
  'eval.bootstrapResamples=200',
];
const tiny = (extra: string[]) => applyOverrides(shipped, [...TINY, ...extra]);

function finite(summary: Record<string, unknown>, key: string): number {
  const v = summary[key];
  expect(typeof v === 'number' && Number.isFinite(v), `${key} = ${String(v)}`).toBe(true);
  return v as number;
}

describe('noisy-fusion config', () => {
  it('the shipped config and every remedy validate; unknown keys and bad data fail with their path', () => {
    expect(NoisyFusionConfigSchema.parse(shipped).train.remedy).toBe('none');
    for (const remedy of REMEDIES) expect(NoisyFusionConfigSchema.parse(applyOverrides(shipped, [`train.remedy=${remedy}`])).train.remedy).toBe(remedy);
    expect(() => NoisyFusionConfigSchema.parse(applyOverrides(shipped, ['train.remedy=gradblend']))).toThrow(/remedy/);
    expect(() => NoisyFusionConfigSchema.parse(applyOverrides(shipped, ['train.ogmGe.beta=1']))).toThrow(/ogmGe[\s\S]*beta|beta[\s\S]*ogmGe/);
    expect(() => NoisyFusionConfigSchema.parse(applyOverrides(shipped, ['data.seed=3']))).toThrow(/seed/);
    expect(() => NoisyFusionConfigSchema.parse(applyOverrides(shipped, ['data.textLength=1']))).toThrow(/"data",\s*"redundancy"[\s\S]*exceeds textLength 1/);
    expect(() => NoisyFusionConfigSchema.parse(applyOverrides(shipped, ['train.remedy=modality-dropout', 'train.dropout.image=1', 'train.dropout.text=1']))).toThrow(/dropout[\s\S]*at least one must be below 1/);
  });
});

describe('runNoisyFusion (tiny)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-noisy-fusion-'));

  it('plants a collapse with remedy none: the report flags the text, which alone scores chance; files complete, report rebuilt, no leak', async () => {
    // Measured over seeds 0-3 at this size: text permutation drop <= 0.002 against image 0.72-0.76,
    // text alone 0.245-0.25 (chance 0.25), fused 0.995-1, text grad-norm share 0.06-0.09. Tiny, yet far from the thresholds.
    const before = tf.memory().numTensors;
    const result = await runNoisyFusion('tiny-none', tiny(['train.steps=120']), { runsRoot: root, ...quiet });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.finished).toBe(true);
    const dir = result.runDir;
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'evaluation.json', 'report.html', CHECKPOINT_FILE]) expect(fs.existsSync(path.join(dir, f)), f).toBe(true);

    const rows = new MetricsLog(path.join(dir, 'metrics.jsonl')).read();
    expect(rows.map((r) => r.step)).toEqual(Array.from({ length: 24 }, (_, i) => 5 * (i + 1)));
    for (const r of rows) {
      expect(r['gradNorm/image']).toBeGreaterThan(0);
      expect(r['gradNormRatio/image:text']).toBeCloseTo(r['gradNorm/image']! / r['gradNorm/text']!, 6);
    }

    const s = readJson<Record<string, number | string>>(path.join(dir, 'summary.json'));
    for (const key of ['test/accuracy', 'test/alone/image', 'test/alone/text', 'test/alone-zeroed/image', 'test/alone-zeroed/text', 'test/probe/image', 'test/probe/text', 'conflict/follows/image', 'conflict/follows/text', 'conflict/follows/neither']) {
      const v = finite(s, key);
      expect(finite(s, `${key}/ci95/lower`)).toBeLessThanOrEqual(v);
      expect(finite(s, `${key}/ci95/upper`)).toBeGreaterThanOrEqual(v);
      expect(finite(s, `${key}/chance`)).toBeGreaterThan(0);
    }
    expect(s['test/accuracy/chance']).toBeCloseTo(0.25, 12);
    for (const key of ['collapse/text/permutationDrop', 'collapse/image/permutationDrop', 'collapse/text/gradNormShare', 'train/gradNormRatio/image:text', 'train/gradNormShare/text']) finite(s, key);

    // The planted collapse, read from the summary.
    expect(s['collapse/flagged']).toBe('text');
    expect(s['collapse/text/collapsed']).toBe(1);
    expect(s['collapse/image/collapsed']).toBe(0);
    expect(s['test/accuracy']).toBeGreaterThan(0.9);
    expect(s['test/alone/image']).toBeGreaterThan(0.9);
    expect(s['test/alone/text']).toBeLessThan(0.25 + 0.1);
    expect(s['train/gradNormShare/text']).toBeLessThan(0.2);
    expect(s['conflict/follows/image']).toBeGreaterThan(0.8);

    // The per-sample accuracies agree with the diagnostics they sit beside.
    const e = readJson<{ collapse: { records: Record<string, { unimodalAccuracy: number; zeroAblationDrop: number }>; fusedAccuracy: number } }>(path.join(dir, 'evaluation.json'));
    expect(e.collapse.fusedAccuracy).toBeCloseTo(s['test/accuracy'] as number, 6);
    expect(e.collapse.records.text!.unimodalAccuracy).toBeCloseTo(s['test/alone/text'] as number, 6);
    // Zeroing the image leaves the text alone.
    expect(e.collapse.fusedAccuracy - e.collapse.records.image!.zeroAblationDrop).toBeCloseTo(s['test/alone-zeroed/text'] as number, 6);

    const report = path.join(dir, 'report.html');
    const html = fs.readFileSync(report, 'utf8');
    expect(html).toContain('figure-4');
    expect(html).toContain('COLLAPSED');
    expect(html).toContain('Modality collapse: flagged text');
    fs.rmSync(report);
    expect(await rebuildNoisyFusionReport(dir)).toBe(report);
    expect(fs.readFileSync(report, 'utf8')).toBe(html);
    const seen = await inspectReport(report);
    expect(seen).toEqual({ plotsDrawn: 5, plotsReady: 5, figureErrors: 0, errors: [], externalRequests: [] });
  });

  it('every remedy trains a reduced run and logs what it does; modality dropout resumes to the same result', async () => {
    const runs: Record<string, Record<string, number | string>> = {};
    for (const remedy of ['modality-dropout', 'ogm-ge', 'reweight'] as const) {
      const r = await runNoisyFusion(`tiny-${remedy}`, tiny(['train.steps=20', `train.remedy=${remedy}`, 'eval.probe=false']), { runsRoot: root, ...quiet });
      expect(r.finished, remedy).toBe(true);
      runs[remedy] = r.summary!;
      for (const key of ['test/accuracy', 'test/alone/text', 'collapse/text/permutationDrop', 'train/gradNormShare/text']) finite(r.summary!, key);
      const last = new MetricsLog(path.join(r.runDir, 'metrics.jsonl')).read().at(-1)!;
      if (remedy === 'ogm-ge') {
        for (const m of ['image', 'text']) expect(last[`ogm/${m}`]! > 0 && last[`ogm/${m}`]! <= 1, `ogm/${m} = ${last[`ogm/${m}`]}`).toBe(true);
        expect(Math.min(last['ogm/image']!, last['ogm/text']!)).toBeLessThan(1); // the stronger one is slowed
      }
      if (remedy === 'reweight') {
        for (const m of ['image', 'text']) expect(last[`aux/${m}/loss`]).toBeGreaterThan(0);
        expect(last['aux/image/weight']! + last['aux/text/weight']!).toBeCloseTo(2, 5); // balance: weights average to 1
      }
      expect(fs.readFileSync(path.join(r.runDir, 'report.html'), 'utf8')).toContain(remedy === 'ogm-ge' ? 'Peng' : remedy === 'reweight' ? 'Gradient-Blending' : 'ModDrop');
    }
    const config = tiny(['train.steps=20', 'train.remedy=modality-dropout', 'eval.probe=false']);
    const stopped = await runNoisyFusion('tiny-parted', config, { runsRoot: root, stopAfter: 10, ...quiet });
    expect(stopped.finished).toBe(false);
    const resumed = await runNoisyFusion('ignored', undefined, { resume: stopped.runDir, ...quiet });
    expect(resumed.summary!['test/accuracy']).toBe(runs['modality-dropout']!['test/accuracy']);
    expect(resumed.summary!['train/loss']).toBeCloseTo(runs['modality-dropout']!['train/loss'] as number, 5);
  });
});

describe('noisyFusionStep', () => {
  it.each([false, true])("ogm-ge (GE noise %s) applies the same update as core's ogmGeStep", (noise) => {
    // The noise draws seeds from ctx.rng in variable order in both, so even the noisy update matches.
    const config = NoisyFusionConfigSchema.parse(tiny(['train.steps=1', 'train.warmupSteps=0', 'train.remedy=ogm-ge', 'train.ogmGe.alpha=50', `train.ogmGe.noise=${noise}`]));
    const data = loadNoisyPairs({ ...config.data, trainSize: 32, testSize: 0, conflictSize: 0, seed: 0 });
    const split = flattenSplit(data.splits.train, config.data.classes);
    // Plain SGD: the update is lr * gradient, so a modulation coefficient shows in it (Adam's first step would hide it).
    const after = (which: 'runner' | 'core' | 'unmodulated', rngSeed = 1): Float32Array => {
      const model = buildNoisyFusionModel(config, split.shape, new Rng(7));
      const variables = new Map([...model.namedVariables()].filter(([, v]) => v.trainable));
      const optimizer = new Sgd(variables, { momentum: 0 });
      const batch = batchOf(split, Array.from({ length: 32 }, (_, i) => i));
      const ctx: StepContext = { step: 0, lr: 0.01, optimizer, variables, rng: new Rng(rngSeed) };
      const step =
        which === 'core' ? ogmGeStep(model, { alpha: config.train.ogmGe.alpha, noise }) : noisyFusionStep(model, which === 'runner' ? config.train : { ...config.train, remedy: 'none' });
      const out = step(batch, ctx);
      tf.dispose([out.loss, out.gradNorm, ...Object.values(out.metrics ?? {}), batch.inputs.image, batch.inputs.text, batch.labels]);
      const flat = tf.tidy(() => tf.concat([...variables.values()].map((v) => tf.reshape(v, [-1]))).dataSync() as Float32Array);
      optimizer.dispose();
      model.dispose();
      return flat;
    };
    const before = tf.memory().numTensors;
    const a = after('runner');
    const b = after('core');
    expect(tf.memory().numTensors).toBe(before);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1e-6 + Math.abs(b[i]!)));
    expect(a.length).toBeGreaterThan(1000);
    expect(worst).toBeLessThan(1e-5);
    // Another noise stream moves the parameters elsewhere only when there is noise.
    const other = after('runner', 2);
    expect(other.some((v, i) => v !== a[i])).toBe(noise);
    // ...and the modulation itself changes the update (alpha 50: at init the two scores differ by a few percent only).
    const plain = after('unmodulated');
    let moved = 0;
    for (let i = 0; i < a.length; i++) moved = Math.max(moved, Math.abs(a[i]! - plain[i]!));
    expect(moved).toBeGreaterThan(1e-6);
  });
});
