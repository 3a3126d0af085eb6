import { toMatrix, type Matrix, type MatrixInput } from './matrix.js';

export interface SymmetricEigenOptions {
  /**
   * Maximum cyclic sweeps before giving up. Cyclic Jacobi converges quadratically once the
   * off-diagonal mass is small; 6-10 sweeps is typical for n <= 500, so 50 only catches bugs.
   */
  maxSweeps?: number;
  /**
   * Largest allowed |A - Aᵀ| relative to max|A|; default 1e-10 (a Gram matrix built in
   * float64 is symmetric to rounding). The solver reads the upper triangle only.
   */
  symmetryTol?: number;
}

export interface SymmetricEigenOutput {
  /** Eigenvalues, sorted descending. */
  values: Float64Array;
  /**
   * vectors[k] is the unit eigenvector of values[k]. Sign convention: its entry of largest
   * magnitude is positive (the first such entry on an exact tie), so the output is
   * deterministic and comparable with numpy after applying the same rule.
   */
  vectors: Float64Array[];
  /** Sweeps used (diagnostic). */
  sweeps: number;
}

/**
 * Eigen-decomposition A = V diag(λ) Vᵀ of a real symmetric matrix by the cyclic Jacobi method
 * (Golub & Van Loan, Matrix Computations, 4th ed., sec. 8.5; rotation formulas as in
 * Numerical Recipes `jacobi`), in float64 on plain arrays, because tfjs has no SVD or eigh.
 *
 * Each step zeroes one off-diagonal a_pq with a plane rotation:
 *   1. θ = (a_qq - a_pp) / (2 a_pq),  t = sign(θ) / (|θ| + sqrt(θ² + 1))  (the smaller root)
 *   2. c = 1 / sqrt(t² + 1),  s = t c
 *   3. a_pp -= t a_pq,  a_qq += t a_pq,  a_pq = 0;  rows/columns p, q rotated by (c, s)
 *   4. V accumulates the same rotation, so its columns become the eigenvectors.
 * An element is treated as converged (set to zero without rotating) when
 * |a_pq| <= ε sqrt(|a_pp a_qq|) (the relative criterion of Demmel & Veselić 1992, which keeps
 * small eigenvalues accurate) or |a_pq| <= ε² ||A||_F; the solver stops after a sweep with no
 * rotation. Cost is about 4n³ flops a sweep: fine to n of a few hundred.
 */
export function symmetricEigen(a: MatrixInput, options: SymmetricEigenOptions = {}): SymmetricEigenOutput {
  const m = toMatrix(a, 'symmetricEigen: a');
  const maxSweeps = options.maxSweeps ?? 50;
  const symmetryTol = options.symmetryTol ?? 1e-10;
  if (m.rows !== m.cols) throw new Error(`symmetricEigen: a must be square, received ${m.rows} x ${m.cols}`);
  if (!Number.isInteger(maxSweeps) || maxSweeps < 1) {
    throw new Error(`symmetricEigen: maxSweeps must be an integer >= 1, received ${maxSweeps}`);
  }
  const n = m.rows;
  checkSymmetric(m, symmetryTol);
  const A = m.data; // worked on in place (toMatrix copied it)
  // Mirror the upper triangle so rows and columns agree exactly.
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) A[j * n + i] = A[i * n + j]!;

  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  let frob = 0;
  for (let k = 0; k < A.length; k++) frob += A[k]! ** 2;
  frob = Math.sqrt(frob);
  const eps = Number.EPSILON;
  const absFloor = eps * eps * frob;

  let sweeps = 0;
  for (; sweeps < maxSweeps; sweeps++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (apq === 0) continue;
        const app = A[p * n + p]!;
        const aqq = A[q * n + q]!;
        if (Math.abs(apq) <= eps * Math.sqrt(Math.abs(app * aqq)) || Math.abs(apq) <= absFloor) {
          A[p * n + q] = 0;
          A[q * n + p] = 0;
          continue;
        }
        rotated = true;
        const theta = (aqq - app) / (2 * apq);
        const t =
          Math.abs(theta) > 1e150
            ? 1 / (2 * theta) // θ² would overflow; t ≈ 1/(2θ)
            : (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        A[p * n + p] = app - t * apq;
        A[q * n + q] = aqq + t * apq;
        A[p * n + q] = 0;
        A[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          if (k === p || k === q) continue;
          const akp = A[k * n + p]!;
          const akq = A[k * n + q]!;
          const nkp = c * akp - s * akq;
          const nkq = s * akp + c * akq;
          A[k * n + p] = nkp;
          A[p * n + k] = nkp;
          A[k * n + q] = nkq;
          A[q * n + k] = nkq;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p]!;
          const vkq = V[k * n + q]!;
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
    if (!rotated) break;
  }
  if (sweeps === maxSweeps) {
    throw new Error(`symmetricEigen: no convergence after ${maxSweeps} sweeps (n = ${n}); raise maxSweeps or check the input`);
  }

  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[j * n + j]! - A[i * n + i]! || i - j);
  const values = Float64Array.from(order, (i) => A[i * n + i]!);
  const vectors = order.map((col) => {
    const v = Float64Array.from({ length: n }, (_, k) => V[k * n + col]!);
    return canonicalSign(v);
  });
  return { values, vectors, sweeps: sweeps + 1 };
}

/** Flips v in place so that its entry of largest magnitude (first on a tie) is positive. */
export function canonicalSign(v: Float64Array): Float64Array {
  let best = 0;
  for (let k = 1; k < v.length; k++) if (Math.abs(v[k]!) > Math.abs(v[best]!)) best = k;
  if (v.length > 0 && v[best]! < 0) for (let k = 0; k < v.length; k++) v[k] = -v[k]!;
  return v;
}

function checkSymmetric(m: Matrix, tol: number): void {
  const n = m.rows;
  let scale = 0;
  for (let k = 0; k < m.data.length; k++) scale = Math.max(scale, Math.abs(m.data[k]!));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = Math.abs(m.data[i * n + j]! - m.data[j * n + i]!);
      if (d > tol * scale) {
        throw new Error(
          `symmetricEigen: a is not symmetric: a[${i}][${j}] = ${m.data[i * n + j]} but a[${j}][${i}] = ${m.data[j * n + i]} ` +
            `(allowed difference ${tol} x max|a| = ${tol * scale})`,
        );
      }
    }
  }
}
