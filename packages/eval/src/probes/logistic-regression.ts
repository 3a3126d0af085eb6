import type { Matrix } from '../linalg/matrix.js';

export interface LogisticRegressionOptions {
  /** L-BFGS iteration cap; default 1000 (weakly regularised separable data never converges, the cap ends it). */
  maxIterations?: number;
  /** Stop when max |gradient| falls below this; default 1e-8 (float64 objective, so tight is cheap). */
  gradientTolerance?: number;
  /** L-BFGS memory; default 10, the common choice (Nocedal & Wright 2006, sec. 7.2). */
  memory?: number;
}

export interface LogisticRegressionModel {
  /** Row-major [d, C]: weights[j * C + c]. */
  weights: Float64Array;
  /** [C], not regularised. */
  bias: Float64Array;
  classCount: number;
  /** Objective at the returned parameters: mean cross-entropy + weightDecay/2 * ||W||^2. */
  loss: number;
  iterations: number;
  converged: boolean;
}

/**
 * Multinomial logistic regression fitted by full-batch L-BFGS in float64, minimising
 *
 *   L(W, b) = (1/N) sum_i -log softmax(x_i W + b)[y_i]  +  (weightDecay / 2) ||W||_F^2
 *
 * (bias not penalised). This is scikit-learn's LogisticRegression(multi_class='multinomial',
 * penalty='l2') with C = 1 / (weightDecay * N), whose objective is N*C times this one.
 * Starts from zero, so it is deterministic; the problem is convex.
 */
export function fitLogisticRegression(
  x: Matrix,
  labels: Int32Array,
  classCount: number,
  weightDecay: number,
  options: LogisticRegressionOptions = {},
): LogisticRegressionModel {
  if (!(weightDecay >= 0) || !Number.isFinite(weightDecay)) {
    throw new Error(`fitLogisticRegression: weightDecay must be a finite number >= 0, received ${weightDecay}`);
  }
  if (labels.length !== x.rows) throw new Error(`fitLogisticRegression: ${labels.length} labels for ${x.rows} rows`);
  if (!Number.isInteger(classCount) || classCount < 2) {
    throw new Error(`fitLogisticRegression: classCount must be an integer >= 2, received ${classCount}`);
  }
  const maxIterations = options.maxIterations ?? 1000;
  const tolerance = options.gradientTolerance ?? 1e-8;
  const memory = options.memory ?? 10;
  const d = x.cols;
  const C = classCount;
  const size = (d + 1) * C; // theta = [W (d*C), b (C)]
  const objective = (theta: Float64Array, grad: Float64Array): number => logisticLoss(x, labels, C, weightDecay, theta, grad);

  let theta = new Float64Array(size);
  let grad = new Float64Array(size);
  let f = objective(theta, grad);
  const sHist: Float64Array[] = [];
  const yHist: Float64Array[] = [];
  const rhoHist: number[] = [];
  let iterations = 0;
  let converged = maxAbs(grad) < tolerance;
  const direction = new Float64Array(size);
  const alphas = new Float64Array(memory);
  while (!converged && iterations < maxIterations) {
    // 1. Two-loop recursion: direction = -H grad.
    direction.set(grad);
    for (let m = sHist.length - 1; m >= 0; m--) {
      alphas[m] = rhoHist[m]! * dot(sHist[m]!, direction);
      axpy(-alphas[m]!, yHist[m]!, direction);
    }
    if (sHist.length > 0) {
      const last = sHist.length - 1;
      scale(direction, dot(sHist[last]!, yHist[last]!) / dot(yHist[last]!, yHist[last]!));
    } else {
      scale(direction, 1 / Math.max(1, Math.sqrt(dot(grad, grad))));
    }
    for (let m = 0; m < sHist.length; m++) {
      const beta = rhoHist[m]! * dot(yHist[m]!, direction);
      axpy(alphas[m]! - beta, sHist[m]!, direction);
    }
    scale(direction, -1);
    let slope = dot(grad, direction);
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      sHist.length = yHist.length = rhoHist.length = 0;
      direction.set(grad);
      scale(direction, -1 / Math.max(1, Math.sqrt(dot(grad, grad))));
      slope = dot(grad, direction);
    }
    // 2. Backtracking line search with the Armijo condition (c1 = 1e-4).
    let step = 1;
    const next = new Float64Array(size);
    const nextGrad = new Float64Array(size);
    let fNext = Number.POSITIVE_INFINITY;
    for (let tries = 0; tries < 50; tries++) {
      for (let i = 0; i < size; i++) next[i] = theta[i]! + step * direction[i]!;
      fNext = objective(next, nextGrad);
      if (fNext <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    iterations++;
    if (!(fNext < f)) break; // no progress possible at float64 precision
    // 3. Update the curvature history.
    const s = new Float64Array(size);
    const y = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      s[i] = next[i]! - theta[i]!;
      y[i] = nextGrad[i]! - grad[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (sHist.length === memory) {
        sHist.shift();
        yHist.shift();
        rhoHist.shift();
      }
      sHist.push(s);
      yHist.push(y);
      rhoHist.push(1 / sy);
    }
    const relativeDecrease = (f - fNext) / Math.max(Math.abs(f), Math.abs(fNext), 1);
    theta = next;
    grad = nextGrad;
    f = fNext;
    converged = maxAbs(grad) < tolerance || relativeDecrease < 1e-15;
  }
  return {
    weights: theta.slice(0, d * C),
    bias: theta.slice(d * C),
    classCount: C,
    loss: f,
    iterations,
    converged,
  };
}

/** Most probable class of each row (the lower index on an exact tie). */
export function predictLogistic(model: LogisticRegressionModel, x: Matrix): Int32Array {
  const C = model.classCount;
  if (model.weights.length !== x.cols * C) {
    throw new Error(`predictLogistic: model expects d = ${model.weights.length / C}, received rows of width ${x.cols}`);
  }
  const out = new Int32Array(x.rows);
  const logits = new Float64Array(C);
  for (let i = 0; i < x.rows; i++) {
    rowLogits(x, i, model.weights, model.bias, C, logits);
    let best = 0;
    for (let c = 1; c < C; c++) if (logits[c]! > logits[best]!) best = c;
    out[i] = best;
  }
  return out;
}

/** The objective above and its gradient (written into grad). */
export function logisticLoss(
  x: Matrix,
  labels: Int32Array,
  C: number,
  weightDecay: number,
  theta: Float64Array,
  grad: Float64Array,
): number {
  const d = x.cols;
  const n = x.rows;
  const weights = theta.subarray(0, d * C);
  const bias = theta.subarray(d * C);
  grad.fill(0);
  const gW = grad.subarray(0, d * C);
  const gB = grad.subarray(d * C);
  const logits = new Float64Array(C);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    rowLogits(x, i, weights, bias, C, logits);
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < C; c++) max = Math.max(max, logits[c]!);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logits[c]! - max);
    const logZ = max + Math.log(sum);
    const y = labels[i]!;
    loss += logZ - logits[y]!;
    // dL/dlogit_c = p_c - [c = y]
    const xo = i * d;
    for (let c = 0; c < C; c++) {
      const g = Math.exp(logits[c]! - logZ) - (c === y ? 1 : 0);
      gB[c]! += g;
      if (g === 0) continue;
      for (let j = 0; j < d; j++) gW[j * C + c]! += g * x.data[xo + j]!;
    }
  }
  let penalty = 0;
  for (let k = 0; k < d * C; k++) {
    penalty += weights[k]! * weights[k]!;
    gW[k] = gW[k]! / n + weightDecay * weights[k]!;
  }
  for (let c = 0; c < C; c++) gB[c] = gB[c]! / n;
  return loss / n + (weightDecay / 2) * penalty;
}

function rowLogits(x: Matrix, i: number, weights: Float64Array, bias: Float64Array, C: number, out: Float64Array): void {
  const d = x.cols;
  const xo = i * d;
  out.set(bias);
  for (let j = 0; j < d; j++) {
    const v = x.data[xo + j]!;
    if (v === 0) continue;
    const wo = j * C;
    for (let c = 0; c < C; c++) out[c]! += v * weights[wo + c]!;
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function axpy(alpha: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i]! += alpha * x[i]!;
}

function scale(x: Float64Array, alpha: number): void {
  for (let i = 0; i < x.length; i++) x[i]! *= alpha;
}

function maxAbs(x: Float64Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}
