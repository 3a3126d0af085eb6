import { readFileSync } from 'node:fs';
import { assertAllClose } from '@modalab/core';
import { describe, expect, it } from 'vitest';
import { gram, toMatrix } from './matrix.js';
import { singularValues } from './singular-values.js';
import { canonicalSign, symmetricEigen } from './symmetric-eigen.js';

// Fixtures: tools/reference/eval_reference.py (numpy.linalg.eigh / svd on seeded random input).
interface EighCase {
  name: string;
  a: number[][];
  values: number[];
  vectors: number[][];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/eigh.json', import.meta.url), 'utf8')) as {
  cases: EighCase[];
  svd: Array<{ x: number[][]; singularValues: number[] }>;
};

const TOL = { atol: 1e-10, rtol: 1e-10 };

/** Rotation by angle phi in the (i, j) plane of an n-dim identity. */
function givens(n: number, i: number, j: number, phi: number): number[][] {
  const g: number[][] = Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => (r === c ? 1 : 0)));
  g[i]![i] = Math.cos(phi);
  g[j]![j] = Math.cos(phi);
  g[i]![j] = -Math.sin(phi);
  g[j]![i] = Math.sin(phi);
  return g;
}

function matmul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
}

function transpose(a: number[][]): number[][] {
  return a[0]!.map((_, j) => a.map((row) => row[j]!));
}

/** Q diag(d) Qᵀ with Q a product of plane rotations: a dense matrix with a known spectrum. */
function rotatedDiagonal(d: number[]): number[][] {
  const n = d.length;
  let q = givens(n, 0, 1, 0.3);
  for (let i = 0; i < n - 1; i++) q = matmul(q, givens(n, i, i + 1, 0.7 + 0.45 * i));
  q = matmul(q, givens(n, 0, n - 1, -1.1));
  const diag = d.map((v, i) => d.map((_, j) => (i === j ? v : 0)));
  const a = matmul(matmul(q, diag), transpose(q));
  // Exact symmetry (rounding in the products leaves ~1e-16 asymmetry).
  return a.map((row, i) => row.map((v, j) => (i <= j ? v : a[j]![i]!)));
}

/** ||A v - λ v|| <= tol ||A||_F and V orthonormal. */
function expectEigenpairs(a: number[][], values: Float64Array, vectors: Float64Array[], tol = 1e-11): void {
  const n = a.length;
  const frob = Math.sqrt(a.flat().reduce((s, v) => s + v * v, 0));
  vectors.forEach((v, k) => {
    let res = 0;
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let j = 0; j < n; j++) av += a[i]![j]! * v[j]!;
      res += (av - values[k]! * v[i]!) ** 2;
    }
    expect(Math.sqrt(res), `residual of pair ${k}`).toBeLessThanOrEqual(tol * Math.max(frob, 1));
    vectors.forEach((w, l) => {
      const dot = v.reduce((s, x, i) => s + x * w[i]!, 0);
      expect(Math.abs(dot - (k === l ? 1 : 0)), `v${k}·v${l}`).toBeLessThanOrEqual(1e-12);
    });
  });
  for (let k = 1; k < values.length; k++) expect(values[k]!).toBeLessThanOrEqual(values[k - 1]!);
}

describe('symmetricEigen', () => {
  it('diagonal: values sorted descending, vectors are the unit axes', () => {
    const out = symmetricEigen([[2, 0, 0], [0, -1, 0], [0, 0, 5]]);
    assertAllClose(out.values, [5, 2, -1], TOL, 'values');
    assertAllClose(out.vectors[0]!, [0, 0, 1], TOL, 'v0');
    assertAllClose(out.vectors[1]!, [1, 0, 0], TOL, 'v1');
    assertAllClose(out.vectors[2]!, [0, 1, 0], TOL, 'v2');
    expect(out.sweeps).toBe(1);
  });

  it('2x2 by hand: [[2, 1], [1, 2]] has 3 and 1 with (1, 1)/√2 and (1, -1)/√2', () => {
    const out = symmetricEigen([[2, 1], [1, 2]]);
    assertAllClose(out.values, [3, 1], TOL, 'values');
    assertAllClose(out.vectors[0]!, [Math.SQRT1_2, Math.SQRT1_2], TOL, 'v0');
    // Tie in magnitude: the first entry is made positive.
    assertAllClose(out.vectors[1]!, [Math.SQRT1_2, -Math.SQRT1_2], TOL, 'v1');
  });

  it('rotated diagonal recovers the spectrum, including negative values', () => {
    const d = [7, -3, 2.5, 0.001, -0.5, 1e-6];
    const a = rotatedDiagonal(d);
    const out = symmetricEigen(a);
    assertAllClose(out.values, [...d].sort((x, y) => y - x), { atol: 1e-12, rtol: 1e-10 }, 'values');
    expectEigenpairs(a, out.values, out.vectors);
  });

  it('rank-deficient: zero eigenvalues come out as (near) zero', () => {
    const a = rotatedDiagonal([4, 1, 0, 0, 0]);
    const out = symmetricEigen(a);
    assertAllClose(out.values, [4, 1, 0, 0, 0], { atol: 1e-13, rtol: 1e-12 }, 'values');
    expectEigenpairs(a, out.values, out.vectors);
    // The all-zero matrix converges immediately.
    const zero = symmetricEigen([[0, 0], [0, 0]]);
    expect(Array.from(zero.values)).toEqual([0, 0]);
  });

  it('repeated eigenvalues: any orthonormal basis of the eigenspace', () => {
    const a = rotatedDiagonal([3, 3, 3, -2, -2, 1]);
    const out = symmetricEigen(a);
    assertAllClose(out.values, [3, 3, 3, 1, -2, -2], { atol: 1e-12, rtol: 1e-12 }, 'values');
    expectEigenpairs(a, out.values, out.vectors);
    // The identity: every rotation is skipped, the vectors are the axes.
    const eye = symmetricEigen(Array.from({ length: 4 }, (_, i) => [0, 1, 2, 3].map((j) => (i === j ? 1 : 0))));
    assertAllClose(eye.values, [1, 1, 1, 1], TOL, 'identity values');
  });

  it('degenerate sizes: 1x1 and 0x0', () => {
    const one = symmetricEigen([[-4]]);
    expect(Array.from(one.values)).toEqual([-4]);
    expect(Array.from(one.vectors[0]!)).toEqual([1]);
    const empty = symmetricEigen([]);
    expect(empty.values.length).toBe(0);
    expect(empty.vectors).toEqual([]);
  });

  it('matches numpy.linalg.eigh fixtures', () => {
    for (const c of fixture.cases) {
      const out = symmetricEigen(c.a);
      const scale = Math.max(...c.values.map(Math.abs));
      assertAllClose(out.values, c.values, { atol: 1e-12 * scale, rtol: 1e-10 }, `${c.name} values`);
      expectEigenpairs(c.a, out.values, out.vectors);
      // Vectors are unique (up to the sign convention) only for well-separated eigenvalues.
      c.values.forEach((lambda, k) => {
        const gapToNeighbour = Math.min(
          k > 0 ? Math.abs(c.values[k - 1]! - lambda) : Infinity,
          k + 1 < c.values.length ? Math.abs(c.values[k + 1]! - lambda) : Infinity,
        );
        if (gapToNeighbour > 1e-6 * scale) assertAllClose(out.vectors[k]!, c.vectors[k]!, { atol: 1e-9, rtol: 1e-9 }, `${c.name} v${k}`);
      });
    }
  });

  it('a 60x60 random Gram matrix converges in a few sweeps', () => {
    const x = toMatrix(Array.from({ length: 80 }, (_, i) => Array.from({ length: 60 }, (_, j) => Math.sin(1 + i * 0.37 + j * j * 0.11))), 'x');
    const g = gram(x, 'cols');
    const rows = Array.from({ length: 60 }, (_, i) => Array.from(g.data.subarray(i * 60, (i + 1) * 60)));
    const out = symmetricEigen(g);
    expect(out.sweeps).toBeLessThanOrEqual(15);
    expectEigenpairs(rows, out.values, out.vectors, 1e-11);
  });

  it('names the problem in errors', () => {
    expect(() => symmetricEigen([[1, 2], [3, 4]])).toThrow(/not symmetric: a\[0\]\[1\] = 2 but a\[1\]\[0\] = 3/);
    expect(() => symmetricEigen([[1, 2, 3], [2, 1, 0]])).toThrow(/must be square, received 2 x 3/);
    expect(() => symmetricEigen([[1, Number.NaN], [Number.NaN, 1]])).toThrow(/a\[0\]\[1\] is NaN/);
    expect(() => symmetricEigen([[1, 0], [0]])).toThrow(/a\[1\] has 1 columns but .*a\[0\] has 2/);
    expect(() => symmetricEigen([[1]], { maxSweeps: 0 })).toThrow(/maxSweeps must be an integer >= 1, received 0/);
  });
});

describe('canonicalSign', () => {
  it('makes the largest-magnitude entry positive', () => {
    expect(Array.from(canonicalSign(Float64Array.from([0.1, -0.9, 0.3])))).toEqual([-0.1, 0.9, -0.3]);
    expect(Array.from(canonicalSign(Float64Array.from([-0.5, 0.5])))).toEqual([0.5, -0.5]);
  });
});

describe('singularValues', () => {
  it('matches numpy.linalg.svd for tall and wide matrices', () => {
    for (const c of fixture.svd) {
      const s = singularValues(c.x);
      expect(s.length).toBe(Math.min(c.x.length, c.x[0]!.length));
      assertAllClose(s, c.singularValues, { atol: 1e-10, rtol: 1e-9 }, 'singular values');
    }
  });

  it('of a diagonal matrix are |diagonal| sorted', () => {
    assertAllClose(singularValues([[0, 0], [0, -3], [2, 0]]), [3, 2], TOL, 'singular values');
    expect(() => singularValues([])).toThrow(/non-empty/);
  });
});
