import { AdamW, ConcatMlpFusion, FusionClassifier, groupGradNorms, Linear, Module, Rng, type Encoder } from '@modalab/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { collapseBars } from '../plots/collapse-bars.js';
import { collapseReport, runCollapseDiagnostics, type CollapseReport } from './collapse-report.js';
import { fusionClassifierScorer } from './fusion-classifier-scorer.js';
import { gradNormRatio, type GradNormPoint } from './grad-norm-ratio.js';

/** A tiny tower for features [B, F]: linear, tanh, linear (width 8). */
class Tower extends Module implements Encoder<tf.Tensor2D> {
  readonly outputDim = 8;
  private readonly fc1: Linear;
  private readonly fc2: Linear;
  constructor(inFeatures: number, rng: Rng) {
    super();
    this.fc1 = this.child('fc1', new Linear({ inFeatures, outFeatures: 8 }, rng));
    this.fc2 = this.child('fc2', new Linear({ inFeatures: 8, outFeatures: 8 }, rng));
  }
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.fc2.apply(tf.tanh(this.fc1.apply(x))) as tf.Tensor2D); // [B, 8]
  }
}

const CLASSES = 3;
const DIM = 6;

/**
 * Two Gaussian-feature modalities for 3 classes: x_m = s_m · e_y + N(0, I_6), e_y the y-th basis
 * vector. s = 0 makes a modality useless; with s = 1.5 each alone is about 75% accurate
 * (pairwise error Φ(-s/√2)) and both together about 87% (the separations add in quadrature).
 */
function sampleBatch(b: number, rng: Rng, separation: { image: number; text: number }) {
  const labels = Array.from({ length: b }, () => rng.int(CLASSES));
  const modality = (s: number) => tf.tensor2d(labels.flatMap((y) => Array.from({ length: DIM }, (_, j) => (j === y ? s : 0) + rng.normal())), [b, DIM]);
  return { image: modality(separation.image), text: modality(separation.text), labels: tf.tensor1d(labels, 'int32') };
}

interface PlantedRun {
  report: CollapseReport;
  gradNorms: GradNormPoint[];
}

/** Trains a concat-fusion classifier for `steps` fresh batches of 64, then reports collapse on 600 held-out rows. */
async function trainAndReport(separation: { image: number; text: number }, seed: number, steps = 300): Promise<PlantedRun> {
  const rng = new Rng(seed);
  const fusion = new ConcatMlpFusion({ kind: 'concat-mlp', dims: { image: 8, text: 8 }, hidden: 16, outputDim: 8, activation: 'gelu' }, rng.fork());
  const model = new FusionClassifier({ encoders: { image: new Tower(DIM, rng.fork()), text: new Tower(DIM, rng.fork()) }, fusion, numClasses: CLASSES }, rng.fork());
  const named = model.namedVariables();
  const pathOf = new Map([...named].map(([path, v]) => [v.name, path]));
  // Built inside tidy: AdamW's constructor drops the zerosLike it copies each moment from (28
  // tensors here, a core leak reported separately); tidy frees them and keeps the variables.
  let opt!: AdamW;
  tf.tidy(() => {
    opt = new AdamW(named, { weightDecay: 0 });
  });
  const dataRng = rng.fork();
  const gradNorms: GradNormPoint[] = [];
  for (let step = 0; step < steps; step++) {
    const batch = sampleBatch(64, dataRng, separation);
    const { value, grads } = tf.variableGrads(() => model.loss({ image: batch.image, text: batch.text }, batch.labels).loss, [...named.values()]);
    if (step % 10 === 9) {
      // Encoder norms by modality: groups 'encoders.image' and 'encoders.text' at depth 2.
      const norms = groupGradNorms(grads, pathOf, 2);
      const read = { image: (await norms['encoders.image']!.data())[0]!, text: (await norms['encoders.text']!.data())[0]! };
      tf.dispose(Object.values(norms));
      gradNorms.push({ step: step + 1, norms: read });
    }
    tf.dispose(opt.applyGradients(grads, 1e-2));
    tf.dispose([value, ...Object.values(grads), batch.image, batch.text, batch.labels]);
  }
  const test = sampleBatch(600, new Rng(seed + 1000), separation);
  const features = model.features({ image: test.image, text: test.text });
  const diagnostics = await runCollapseDiagnostics(features, fusionClassifierScorer(model, test.labels), { permutation: { seed, repeats: 5 } });
  const report = collapseReport({ ...diagnostics, gradNorms: gradNormRatio(gradNorms) });
  tf.dispose([...Object.values(features), test.image, test.text, test.labels]);
  model.dispose();
  opt.dispose();
  return { report, gradNorms };
}

describe('planted modality collapse (FusionClassifier, concat fusion, wasm)', () => {
  it('flags text when only the image carries the label', async () => {
    const { report } = await trainAndReport({ image: 2.5, text: 0 }, 1);
    expect(report.flagged).toEqual(['text']);
    expect(report.fusedAccuracy).toBeGreaterThan(0.85);
    expect(report.records.image!.permutationDrop).toBeGreaterThan(0.4);
    expect(Math.abs(report.records.text!.permutationDrop)).toBeLessThan(0.02);
    expect(report.records.text!.unimodalAccuracy).toBeLessThan(0.45); // about chance, 1/3
    expect(report.records.image!.gradNormShare!).toBeGreaterThan(report.records.text!.gradNormShare!);
    expect(collapseBars(report).data.map((t) => t.name)).toEqual(['image', 'text (collapsed)']);
  });

  it('flags nothing when both modalities are informative, each alone partly sufficient', async () => {
    const { report } = await trainAndReport({ image: 1.5, text: 1.5 }, 2);
    expect(report.flagged).toEqual([]);
    for (const m of ['image', 'text']) {
      expect(report.records[m]!.permutationDrop).toBeGreaterThan(0.1);
      expect(report.records[m]!.unimodalAccuracy!).toBeGreaterThan(0.5);
      expect(report.records[m]!.unimodalAccuracy!).toBeLessThan(report.fusedAccuracy);
    }
  });

  it('is deterministic per seed, and a whole run (training, diagnostics, report) leaks no tensors', async () => {
    const a = await trainAndReport({ image: 2.5, text: 0 }, 3, 60);
    const before = tf.memory().numTensors; // after a warm-up run: kernels may cache constants
    const b = await trainAndReport({ image: 2.5, text: 0 }, 3, 60);
    expect(tf.memory().numTensors).toBe(before);
    expect(b.report.summary).toBe(a.report.summary);
    expect(b.gradNorms).toEqual(a.gradNorms);
  });
});
