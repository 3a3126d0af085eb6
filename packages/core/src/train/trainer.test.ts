import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, toTensors } from '../checkpoint/index.js';
import { MultiEncoder } from '../models/multi-encoder.js';
import { FeatureEncoder, randomFeatures, Rng } from '../models/test-support.js';
import { assertAllClose } from '../testing/all-close.js';
import { AdamW } from './adamw.js';
import { sampleModalityDropout } from './modality-dropout.js';
import { warmupCosine } from './schedule.js';
import { Sgd } from './sgd.js';
import { gradCacheStep, lossStep } from './step-functions.js';
import { Trainer, type LogRecord } from './trainer.js';

type Batch = { image: tf.Tensor2D; text: tf.Tensor2D; audio: tf.Tensor2D };

function model(seed: number) {
  const rng = new Rng(seed);
  const encoders = { image: new FeatureEncoder(5, 8, rng.fork()), text: new FeatureEncoder(4, 8, rng.fork()), audio: new FeatureEncoder(6, 8, rng.fork()) };
  return new MultiEncoder({ encoders, embedDim: 8 }, rng.fork());
}

/** A batch that is a pure function of the step, as a resumable data source must be. */
function batchAt(step: number): Batch {
  const rng = new Rng(1000 + step);
  return { image: randomFeatures(6, 5, rng), text: randomFeatures(6, 4, rng), audio: randomFeatures(6, 6, rng) };
}

/** Binding loss with per-sample modality dropout drawn from the trainer's Rng, logging each pair. */
function dropoutStep(m: MultiEncoder) {
  return lossStep<Batch>((batch, ctx) => {
    const keep = sampleModalityDropout({ audio: 0.3, image: 0.3, text: 0.3 }, 6, ctx.rng);
    const out = m.loss(batch, { keep });
    return { loss: out.loss, metrics: out.pairs };
  });
}

function trainer(m: MultiEncoder, logEvery = 1) {
  const schedule = (s: number) => warmupCosine(s, { peak: 1e-2, warmupSteps: 3, totalSteps: 20 });
  return new Trainer<Batch>({ model: m, optimizer: new AdamW(m.namedVariables(), { clipNorm: 1 }), schedule, step: dropoutStep(m), logEvery, seed: 5 });
}

describe('Trainer', () => {
  it('keeps the tensor count constant across 20 steps and reads metrics only at log steps', async () => {
    const m = model(0);
    const t = trainer(m, 5);
    const batch = batchAt(0);
    const records: Array<LogRecord | undefined> = [];
    records.push(await t.trainStep(batch));
    const count = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) records.push(await t.trainStep(batch));
    expect(tf.memory().numTensors).toBe(count);
    expect(records.map((r) => r?.step).filter((s) => s !== undefined)).toEqual([5, 10, 15, 20]);
    const r = records[4]!;
    expect(Number.isFinite(r.loss) && Number.isFinite(r.gradNorm!)).toBe(true);
    expect(Object.keys(r.metrics).sort()).toEqual(['audio:image', 'audio:text', 'image:text']);
    t.dispose();
  });

  it('restores a saved state (through a checkpoint) and continues with identical losses', async () => {
    const run = async (restoreAt?: number) => {
      const a = trainer(model(0));
      const losses: number[] = [];
      a.on('log', (r) => void losses.push(r.loss));
      await a.fit(batchAt, { steps: restoreAt ?? 10 });
      if (restoreAt === undefined) return losses;
      const state = a.state();
      const bytes = await encodeCheckpoint(state);
      tf.dispose(Object.values(state.tensors));
      const decoded = decodeCheckpoint(bytes);
      const b = trainer(model(99)); // different init: everything must come from the state
      const tensors = toTensors(decoded);
      b.loadState({ tensors, meta: decoded.meta });
      tf.dispose(Object.values(tensors));
      b.on('log', (r) => void losses.push(r.loss));
      await b.fit(batchAt, { steps: 10 });
      expect(b.step).toBe(10);
      return losses;
    };
    const straight = await run();
    const resumed = await run(6);
    expect(resumed).toHaveLength(10);
    expect(resumed).toEqual(straight);
  });

  it('averages the loss over a log window, flushes a short last window, and stops on request', async () => {
    const m = model(1);
    const t = trainer(m, 4);
    const logs: LogRecord[] = [];
    t.on('log', (r) => void logs.push(r));
    const last = await t.fit(batchAt, { steps: 6 });
    expect(logs.map((r) => r.step)).toEqual([4, 6]);
    expect(last).toBe(logs[1]);
    const off = t.on('step', ({ step }) => {
      if (step === 8) t.stop();
    });
    await t.fit([batchAt(6), batchAt(7), batchAt(8), batchAt(9)], { steps: 20 });
    expect(t.step).toBe(8);
    off();
    t.dispose();
  });

  it('a GradCache step makes the same updates as the plain step', async () => {
    const run = async (cached: boolean) => {
      const m = model(2);
      const opt = new Sgd(m.namedVariables(), { momentum: 0.9 });
      const step = cached
        ? gradCacheStep<Batch>({ chunks: 3, embed: (c) => m.encodeBatch(c), loss: (e) => m.lossFromEmbeddings(e).loss })
        : lossStep<Batch>((b) => m.loss(b).loss);
      const t = new Trainer<Batch>({ model: m, optimizer: opt, schedule: () => 0.1, step, logEvery: 1 });
      await t.fit(batchAt, { steps: 3 });
      return Array.from(tf.tidy(() => tf.concat(m.trainableVariables().map((v) => tf.reshape(v, [-1]))).dataSync()));
    };
    assertAllClose(await run(true), await run(false), { atol: 1e-5, rtol: 1e-4 });
  });

  it('reports the gradient norm of each tower when asked', async () => {
    const m = model(3);
    const step = lossStep<Batch>((b) => m.loss(b).loss, { groupGradNorms: true });
    const t = new Trainer<Batch>({ model: m, optimizer: new AdamW(m.namedVariables()), schedule: () => 1e-3, step, logEvery: 1 });
    const r = (await t.trainStep(batchAt(0)))!;
    expect(Object.keys(r.metrics)).toEqual(['gradNorm/encoders', 'gradNorm/loss', 'gradNorm/projections']);
    t.dispose();
  });

  it('groups gradient norms by modality (tower + projection), or by a function, and only on the steps asked', async () => {
    const m = model(3);
    const byModality = new Trainer<Batch>({ model: m, optimizer: new Sgd(m.namedVariables()), schedule: () => 0, step: lossStep((b) => m.loss(b).loss, { groupGradNorms: 'modality' }), logEvery: 1 });
    const r = (await byModality.trainStep(batchAt(0)))!;
    const modalities = Object.keys(r.metrics);
    expect(modalities.length).toBeGreaterThan(1);
    for (const k of modalities) expect(k).toMatch(/^gradNorm\/(?!encoders|projections|loss)[a-z]+$/);
    // A modality's norm covers its tower and its projection: the root of the summed squares of both first-level groups' parts.
    const first = new Trainer<Batch>({ model: m, optimizer: new Sgd(m.namedVariables()), schedule: () => 0, step: lossStep((b) => m.loss(b).loss, { groupGradNorms: (p) => (p.startsWith('loss') ? undefined : p.split('.').slice(0, 2).join('.')) }), logEvery: 1 });
    const parts = (await first.trainStep(batchAt(0)))!.metrics;
    for (const k of modalities) {
      const mod = k.slice('gradNorm/'.length);
      expect(r.metrics[k]).toBeCloseTo(Math.hypot(parts[`gradNorm/encoders.${mod}`] ?? 0, parts[`gradNorm/projections.${mod}`] ?? 0), 5);
    }
    expect(Object.keys(parts).some((k) => k.startsWith('gradNorm/loss'))).toBe(false);
    const sparse = new Trainer<Batch>({ model: m, optimizer: new Sgd(m.namedVariables()), schedule: () => 0, step: lossStep((b) => m.loss(b).loss, { groupGradNorms: true, metricsEvery: 2 }), logEvery: 1 });
    expect(Object.keys((await sparse.trainStep(batchAt(0)))!.metrics)).toEqual([]);
    expect(Object.keys((await sparse.trainStep(batchAt(1)))!.metrics)).toEqual(['gradNorm/encoders', 'gradNorm/loss', 'gradNorm/projections']);
    for (const t of [byModality, first, sparse]) t.dispose();
  });

  it('names bad options and states', async () => {
    const m = model(4);
    const opt = new AdamW(m.namedVariables());
    expect(() => new Trainer<Batch>({ model: m, optimizer: opt, schedule: () => 1, step: dropoutStep(m), logEvery: 0 })).toThrow(/logEvery must be a positive integer, got 0/);
    const t = new Trainer<Batch>({ model: m, optimizer: opt, schedule: () => Number.NaN, step: dropoutStep(m) });
    await expect(t.trainStep(batchAt(0))).rejects.toThrow(/schedule\(0\) returned NaN/);
    expect(() => t.loadState({ tensors: {}, meta: { format: 'other' } })).toThrow(/expected meta.format 'modalab-trainer' version 1, got "other"/);
    expect(() => t.loadState({ tensors: {}, meta: { format: 'modalab-trainer', version: 1 } })).toThrow(/missing 'param.encoders.audio.fc1.weight'/);
  });

  it('skips non-finite steps with parameters and momentum unchanged, and stops after N in a row naming the batches', async () => {
    const poisoned = (step: number): Batch => {
      const b = batchAt(step);
      return { ...b, audio: tf.mul(b.audio, Number.NaN) as tf.Tensor2D };
    };
    const run = async (sources: Array<(s: number) => Batch>) => {
      const m = model(6);
      const t = new Trainer<Batch>({ model: m, optimizer: new Sgd(m.namedVariables(), { momentum: 0.9 }), schedule: () => 0.05, step: lossStep((b) => m.loss(b).loss), logEvery: 1, nonFinite: { maxConsecutive: 2 } });
      const records: LogRecord[] = [];
      for (const [i, source] of sources.entries()) records.push((await t.trainStep(source(i)))!);
      t.dispose();
      return { params: Array.from(tf.tidy(() => tf.concat(m.trainableVariables().map((v) => tf.reshape(v, [-1]))).dataSync())), records };
    };
    const clean = await run([batchAt, () => batchAt(2)]);
    const skipped = await run([batchAt, poisoned, () => batchAt(2)]);
    expect(skipped.params).toEqual(clean.params);
    expect(skipped.records.map((r) => r.skippedSteps)).toEqual([0, 1, 1]);
    expect(Number.isNaN(skipped.records[1]!.loss)).toBe(true);

    const m = model(7);
    const t = new Trainer<Batch>({
      model: m,
      optimizer: new AdamW(m.namedVariables()),
      schedule: () => 1e-3,
      step: lossStep((b) => m.loss(b).loss),
      logEvery: 1,
      nonFinite: { maxConsecutive: 3, describeBatch: (b) => `items of a batch of ${b.image.shape[0]}` },
    });
    const before = Array.from(m.trainableVariables()[0]!.dataSync());
    await expect(t.fit(poisoned, { steps: 10 })).rejects.toThrow(/3 non-finite steps in a row up to step 3 \(limit 3\).*Batches: items of a batch of 6; items of a batch of 6; items of a batch of 6/);
    expect(Array.from(m.trainableVariables()[0]!.dataSync())).toEqual(before);
    const batch = batchAt(0);
    await t.trainStep(batch);
    const count = tf.memory().numTensors;
    await t.trainStep(batch);
    expect(tf.memory().numTensors).toBe(count);
    expect(() => new Trainer<Batch>({ model: m, optimizer: new AdamW(m.namedVariables()), schedule: () => 1, step: lossStep((b) => m.loss(b).loss), nonFinite: { maxConsecutive: 0 } })).toThrow(/maxConsecutive must be a positive integer, got 0/);
  });
});
