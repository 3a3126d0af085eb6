import { columnMeans, gram, toMatrix, type Matrix, type MatrixInput } from '../linalg/matrix.js';
import { canonicalSign, symmetricEigen } from '../linalg/symmetric-eigen.js';

export interface PcaOptions {
  /** Number of components k; default 2 (a scatter plot). At most min(n, d), and at most the rank when n < d. */
  components?: number;
}

/** A fitted PCA: everything pcaTransform needs, plus the variance it explains. */
export interface PcaModel {
  /** Column means subtracted before projecting, [d]. */
  mean: number[];
  /**
   * Principal axes, [k, d], unit rows, by decreasing variance. Sign convention: the largest-
   * magnitude loading of each axis is positive, so a refit of the same data gives the same plot.
   */
  components: number[][];
  /** Variance along each axis, with the n - 1 denominator (as scikit-learn), [k]. */
  explainedVariance: number[];
  /** explainedVariance / total variance (trace of the covariance), [k]. */
  explainedVarianceRatio: number[];
  /** Singular values of the centred data along each axis: sqrt((n - 1) · variance), [k]. */
  singularValues: number[];
}

export interface PcaOutput extends PcaModel {
  /** The centred inputs projected on the axes, [n, k]. */
  projected: number[][];
}

/**
 * Exact principal component analysis (Pearson 1901; Jolliffe, Principal Component Analysis,
 * 2002): centre the columns, eigen-decompose the covariance C = XcᵀXc / (n - 1) with the
 * Jacobi solver, keep the k largest eigenpairs. When n < d the n x n Gram matrix XcXcᵀ is
 * decomposed instead and the axes recovered as v = Xcᵀu / sqrt(λ), which is cheaper and
 * exact for the nonzero part of the spectrum. No randomness is involved (this is not a
 * randomised solver); the only arbitrary choice, each axis's sign, is fixed by the
 * convention on `components`. Matches sklearn.decomposition.PCA(svd_solver='full') up to
 * that sign.
 */
export function pca(x: MatrixInput, options: PcaOptions = {}): PcaOutput {
  const m = toMatrix(x, 'pca: x');
  const { rows: n, cols: d } = m;
  if (n < 2 || d < 1) throw new Error(`pca: needs at least 2 rows and 1 column, received ${n} x ${d}`);
  const k = options.components ?? Math.min(2, d);
  if (!Number.isInteger(k) || k < 1 || k > Math.min(n, d)) {
    throw new Error(`pca: components must be an integer in [1, min(n, d) = ${Math.min(n, d)}], received ${k}`);
  }
  const mean = columnMeans(m);
  const centred = new Float64Array(m.data.length);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) centred[i * d + j] = m.data[i * d + j]! - mean[j]!;
  const xc: Matrix = { rows: n, cols: d, data: centred };

  let axes: Float64Array[];
  let variances: number[];
  let total = 0;
  for (let t = 0; t < centred.length; t++) total += centred[t]! ** 2;
  total /= n - 1;

  if (d <= n) {
    const eig = symmetricEigen(gram(xc, 'cols')); // XcᵀXc, [d, d]
    axes = eig.vectors.slice(0, k);
    variances = Array.from(eig.values.subarray(0, k), (v) => Math.max(0, v) / (n - 1));
  } else {
    const eig = symmetricEigen(gram(xc, 'rows')); // XcXcᵀ, [n, n]
    const tol = Math.max(eig.values[0]!, 0) * n * Number.EPSILON * 16;
    const rank = Array.from(eig.values).filter((v) => v > tol).length;
    if (k > rank) {
      throw new Error(`pca: components = ${k} exceeds the rank ${rank} of the centred data (n = ${n} < d = ${d}); ask for at most ${rank}`);
    }
    axes = eig.vectors.slice(0, k).map((u, c) => {
      const inv = 1 / Math.sqrt(eig.values[c]!);
      const v = new Float64Array(d);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) v[j]! += centred[i * d + j]! * u[i]! * inv;
      return canonicalSign(v);
    });
    variances = Array.from(eig.values.subarray(0, k), (v) => v / (n - 1));
  }

  const model: PcaModel = {
    mean: Array.from(mean),
    components: axes.map((v) => Array.from(v)),
    explainedVariance: variances,
    explainedVarianceRatio: variances.map((v) => (total > 0 ? v / total : 0)),
    singularValues: variances.map((v) => Math.sqrt(v * (n - 1))),
  };
  return { ...model, projected: project(model, xc, false) };
}

/** Projects new rows onto a fitted PCA's axes (subtracting its mean): [n, k]. */
export function pcaTransform(model: PcaModel, x: MatrixInput): number[][] {
  const m = toMatrix(x, 'pcaTransform: x');
  if (m.cols !== model.mean.length) {
    throw new Error(`pcaTransform: x has ${m.cols} columns but the model was fitted on ${model.mean.length}`);
  }
  return project(model, m, true);
}

function project(model: PcaModel, m: Matrix, subtractMean: boolean): number[][] {
  const { rows, cols, data } = m;
  return Array.from({ length: rows }, (_, i) =>
    model.components.map((axis) => {
      let s = 0;
      for (let j = 0; j < cols; j++) s += (data[i * cols + j]! - (subtractMean ? model.mean[j]! : 0)) * axis[j]!;
      return s;
    }),
  );
}
