import { Rng } from '@modalab/core';
import type { Matrix } from '../linalg/matrix.js';
import { accuracyOf, checkWidths, classCountOf, majorityBaseline, readSplit, type LabelledEmbeddings, type LabelledMatrix } from './labelled.js';
import { fitLogisticRegression, predictLogistic, type LogisticRegressionOptions } from './logistic-regression.js';

/** Default sweep: 1e-6 .. 1 by decades, the span CLIP's probe search covers (Radford et al. 2021, app. A.3). */
export const DEFAULT_WEIGHT_DECAYS = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1];

export interface LinearProbeOptions extends LogisticRegressionOptions {
  /** Seed of the train/validation split (used only when `validation` is not given). Required, so a probe can be reproduced. */
  seed: number;
  /** Held-out split for choosing the weight decay; default: `validationFraction` of train, drawn with `seed`. */
  validation?: LabelledEmbeddings;
  /** Share of train held out when `validation` is not given; default 0.2. */
  validationFraction?: number;
  /** Candidate L2 penalties lambda (objective: mean CE + lambda/2 ||W||^2); default DEFAULT_WEIGHT_DECAYS. */
  weightDecays?: number[];
  /** Standardise each feature with the training split's mean and std before fitting; default true (conditioning). */
  standardize?: boolean;
}

export interface LinearProbeSweepPoint {
  weightDecay: number;
  trainAccuracy: number;
  validationAccuracy: number;
  /** Objective value at the fitted parameters. */
  loss: number;
  iterations: number;
  converged: boolean;
}

export interface LinearProbeOutput {
  /** Test accuracy of the model with the chosen weight decay. */
  accuracy: number;
  weightDecay: number;
  validationAccuracy: number;
  predictions: Int32Array;
  sweep: LinearProbeSweepPoint[];
  classCount: number;
  /** Baseline: always answer the most frequent training class. */
  chance: number;
  trainCount: number;
  validationCount: number;
}

/**
 * Linear probe on frozen embeddings (Radford et al. 2021, sec. 3.2 and app. A.3; Kornblith
 * et al. 2019): multinomial logistic regression (fitLogisticRegression, L-BFGS in float64)
 * fitted on the training split for each weight decay in the sweep; the one with the best
 * validation accuracy (the larger weight decay on a tie: the simpler model) is reported on
 * test. The test split is used for nothing but that final score, and standardisation
 * statistics come from the training rows only.
 */
export function linearProbe(train: LabelledEmbeddings, test: LabelledEmbeddings, options: LinearProbeOptions): LinearProbeOutput {
  if (!Number.isFinite(options.seed)) throw new Error(`linearProbe: seed must be a finite number, received ${options.seed}`);
  const weightDecays = options.weightDecays ?? DEFAULT_WEIGHT_DECAYS;
  if (weightDecays.length === 0) throw new Error('linearProbe: weightDecays is empty');
  const all = readSplit(train, 'train');
  const te = readSplit(test, 'test');
  let tr: LabelledMatrix;
  let va: LabelledMatrix;
  if (options.validation === undefined) {
    [tr, va] = splitRows(all, options.validationFraction ?? 0.2, options.seed);
  } else {
    tr = all;
    va = readSplit(options.validation, 'validation');
  }
  checkWidths(tr.x, te.x, 'train.embeddings', 'test.embeddings');
  checkWidths(tr.x, va.x, 'train.embeddings', 'validation.embeddings');
  const classCount = Math.max(2, classCountOf(all.y, va.y, te.y));

  const { mean, std } = options.standardize === false ? identityScaling(tr.x.cols) : columnScaling(tr.x);
  const xTrain = applyScaling(tr.x, mean, std);
  const xVal = applyScaling(va.x, mean, std);

  let best: { point: LinearProbeSweepPoint; model: ReturnType<typeof fitLogisticRegression> } | undefined;
  const sweep: LinearProbeSweepPoint[] = [];
  for (const weightDecay of [...weightDecays].sort((a, b) => a - b)) {
    const model = fitLogisticRegression(xTrain, tr.y, classCount, weightDecay, options);
    const point: LinearProbeSweepPoint = {
      weightDecay,
      trainAccuracy: accuracyOf(predictLogistic(model, xTrain), tr.y),
      validationAccuracy: accuracyOf(predictLogistic(model, xVal), va.y),
      loss: model.loss,
      iterations: model.iterations,
      converged: model.converged,
    };
    sweep.push(point);
    // Ascending sweep and ">=": a tie goes to the larger weight decay.
    if (best === undefined || point.validationAccuracy >= best.point.validationAccuracy) best = { point, model };
  }
  const chosen = best!;
  const predictions = predictLogistic(chosen.model, applyScaling(te.x, mean, std));
  return {
    accuracy: accuracyOf(predictions, te.y),
    weightDecay: chosen.point.weightDecay,
    validationAccuracy: chosen.point.validationAccuracy,
    predictions,
    sweep,
    classCount,
    chance: majorityBaseline(tr.y, te.y),
    trainCount: tr.x.rows,
    validationCount: va.x.rows,
  };
}

/** A seeded split: round(fraction * n) shuffled rows for validation, the rest (in order) for training. */
export function splitRows(split: LabelledMatrix, fraction: number, seed: number): [LabelledMatrix, LabelledMatrix] {
  const n = split.x.rows;
  if (!(fraction > 0 && fraction < 1)) throw new Error(`linearProbe: validationFraction must be in (0, 1), received ${fraction}`);
  const valCount = Math.round(fraction * n);
  if (valCount < 1 || valCount > n - 1) {
    throw new Error(`linearProbe: validationFraction ${fraction} of ${n} training rows leaves an empty split; pass more rows or options.validation`);
  }
  const order = new Rng(seed).shuffle(Array.from({ length: n }, (_, i) => i));
  const valRows = order.slice(0, valCount).sort((a, b) => a - b);
  const trainRows = order.slice(valCount).sort((a, b) => a - b);
  return [takeRows(split, trainRows), takeRows(split, valRows)];
}

function takeRows(split: LabelledMatrix, rows: number[]): LabelledMatrix {
  const d = split.x.cols;
  const data = new Float64Array(rows.length * d);
  const y = new Int32Array(rows.length);
  rows.forEach((r, k) => {
    data.set(split.x.data.subarray(r * d, (r + 1) * d), k * d);
    y[k] = split.y[r]!;
  });
  return { x: { rows: rows.length, cols: d, data }, y };
}

function columnScaling(x: Matrix): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(x.cols);
  const std = new Float64Array(x.cols);
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < x.cols; j++) mean[j]! += x.data[i * x.cols + j]! / x.rows;
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < x.cols; j++) std[j]! += (x.data[i * x.cols + j]! - mean[j]!) ** 2 / x.rows;
  for (let j = 0; j < x.cols; j++) std[j] = std[j]! > 0 ? Math.sqrt(std[j]!) : 1; // a constant feature stays 0
  return { mean, std };
}

function identityScaling(d: number): { mean: Float64Array; std: Float64Array } {
  return { mean: new Float64Array(d), std: new Float64Array(d).fill(1) };
}

function applyScaling(x: Matrix, mean: Float64Array, std: Float64Array): Matrix {
  const data = new Float64Array(x.data.length);
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < x.cols; j++) data[i * x.cols + j] = (x.data[i * x.cols + j]! - mean[j]!) / std[j]!;
  return { rows: x.rows, cols: x.cols, data };
}
