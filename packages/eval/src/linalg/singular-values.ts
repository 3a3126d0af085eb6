import { gram, toMatrix, type MatrixInput } from './matrix.js';
import { symmetricEigen } from './symmetric-eigen.js';

/**
 * Singular values of an [n, d] matrix X, descending, min(n, d) of them: the square roots of
 * the eigenvalues of the smaller Gram matrix (XᵀX if d <= n, else XXᵀ). Eigenvalues that
 * rounding pushed slightly below zero are clamped to 0. Squaring halves the relative accuracy
 * of tiny singular values (about sqrt(ε)·σ_max absolute), which is harmless for spectra-based
 * scores such as RankMe but means this is not a substitute for a true SVD of ill-conditioned X.
 */
export function singularValues(x: MatrixInput, name = 'singularValues: x'): Float64Array {
  const m = toMatrix(x, name);
  if (m.rows === 0 || m.cols === 0) throw new Error(`${name}: expected a non-empty [n, d] matrix, received ${m.rows} x ${m.cols}`);
  const g = gram(m, m.cols <= m.rows ? 'cols' : 'rows');
  const { values } = symmetricEigen(g);
  return Float64Array.from(values, (v) => Math.sqrt(Math.max(0, v)));
}
