import { AdamW, Linear, lossStep, Module, Rng, Trainer } from '@modalab/core';
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { epochBatch, RunSession } from './session.js';
import { MetricsLog } from './run-dir.js';

const Schema = z.object({ seed: z.number().int(), steps: z.number().int() }).strict();
type Config = z.infer<typeof Schema>;

class Regressor extends Module {
  readonly a: Linear;
  readonly b: Linear;
  constructor(rng: Rng) {
    super();
    this.a = this.child('a', new Linear({ inFeatures: 3, outFeatures: 4 }, rng));
    this.b = this.child('b', new Linear({ inFeatures: 4, outFeatures: 1 }, rng));
  }
}

const xs = Array.from({ length: 40 }, (_, i) => [Math.sin(i), Math.cos(i * 0.7), (i % 5) / 5]);
const ys = xs.map((x) => 2 * x[0]! - x[1]! + 0.5 * x[2]!);
const nullStream = new Writable({ write: (_c, _e, cb) => cb() }) as unknown as NodeJS.WriteStream;

async function train(dir: string, options: { stopAfter?: number; resume?: string }): Promise<{ finished: boolean; params: Float32Array }> {
  const session = await RunSession.open<Config>('toy', { seed: 3, steps: 12 }, Schema, { runDir: options.resume === undefined ? dir : undefined, ...options, progress: nullStream, log: () => {} } as never);
  const model = new Regressor(new Rng(session.config.seed));
  let opt!: AdamW;
  tf.tidy(() => {
    opt = new AdamW(model.namedVariables(), { weightDecay: 0 });
  });
  const trainer = new Trainer<{ x: tf.Tensor2D; y: tf.Tensor2D }>({
    model,
    optimizer: opt,
    schedule: () => 0.05,
    logEvery: 2,
    step: lossStep((batch) => tf.mean(tf.square(tf.sub(model.b.apply(tf.tanh(model.a.apply(batch.x))), batch.y))) as tf.Scalar, { groupGradNorms: true }),
  });
  const fit = await session.fit(trainer, {
    steps: session.config.steps,
    samplesPerStep: 8,
    checkpointEvery: 4,
    batches: (step) => {
      const rows = epochBatch(xs.length, 8, session.config.seed, step);
      return { x: tf.tensor2d(rows.map((r) => xs[r]!)), y: tf.tensor2d(rows.map((r) => [ys[r]!])) };
    },
    probe: { every: 5, fn: () => ({ 'probe/x': 1 }) },
  });
  const params = tf.tidy(() => tf.concat([...model.namedVariables().values()].map((v) => tf.reshape(v, [-1]))).dataSync() as Float32Array);
  if (fit.finished) await session.finish(session.baseSummary(fit), { ok: true }, async (f) => fs.writeFileSync(f, '<html></html>'));
  trainer.dispose();
  opt.dispose();
  model.dispose();
  return { finished: fit.finished, params };
}

describe('RunSession', () => {
  it('a run stopped and resumed equals the uninterrupted run, and leaks no tensors', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'session-'));
    const before = tf.memory().numTensors;
    const whole = await train(path.join(root, 'whole'), {});
    expect(tf.memory().numTensors).toBe(before);
    expect(whole.finished).toBe(true);
    const first = await train(path.join(root, 'split'), { stopAfter: 6 });
    expect(first.finished).toBe(false);
    const second = await train('', { resume: path.join(root, 'split') });
    expect(second.finished).toBe(true);
    expect(Array.from(second.params)).toEqual(Array.from(whole.params));
    expect(tf.memory().numTensors).toBe(before);

    const rows = new MetricsLog(path.join(root, 'split', 'metrics.jsonl')).read();
    expect(rows.map((r) => r.step)).toEqual([2, 4, 6, 8, 10, 12]);
    expect(rows.filter((r) => r['probe/x'] === 1).map((r) => r.step)).toEqual([6, 10, 12]);
    expect(rows[0]!['gradNormRatio/a:b']).toBeCloseTo(rows[0]!['gradNorm/a']! / rows[0]!['gradNorm/b']!, 6);
    const summary = JSON.parse(fs.readFileSync(path.join(root, 'split', 'summary.json'), 'utf8'));
    expect(summary.steps).toBe(12);
    expect(Number.isFinite(summary['train/loss'])).toBe(true);
  });

  it('epochBatch: every item once per epoch, the same batches for the same seed', () => {
    const seen = Array.from({ length: 5 }, (_, s) => epochBatch(23, 4, 1, s)).flat();
    expect(new Set(seen).size).toBe(20);
    expect(epochBatch(23, 4, 1, 7)).toEqual(epochBatch(23, 4, 1, 7));
    expect(epochBatch(23, 4, 2, 0)).not.toEqual(epochBatch(23, 4, 1, 0));
    expect(() => epochBatch(3, 4, 1, 0)).toThrow(/larger than the 3/);
  });
});
