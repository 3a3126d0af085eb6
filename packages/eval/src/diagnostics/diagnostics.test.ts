import { readFileSync } from 'node:fs';
import { assertAllClose, Rng } from '@modalab/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { alignment, jointUniformity, uniformity } from './alignment-uniformity.js';
import { coneEffect } from './cone-effect.js';
import { embeddingGeometry } from './embedding-geometry.js';
import { gapShift, gapShiftSweep, modalityGap } from './modality-gap.js';
import { rankMe } from './rank-me.js';

// Fixture: tools/reference/eval_reference.py, diagnostics_fixture() (plain numpy definitions).
const fx = JSON.parse(readFileSync(new URL('./fixtures/geometry.json', import.meta.url), 'utf8')) as {
  a: number[][];
  b: number[][];
  c: number[][];
  gap: number;
  gapVector: number[];
  gapAC: number;
  cone: Record<'a' | 'b' | 'c', number>;
  alignment: number;
  alignmentAlpha1: number;
  uniformity: Record<'a' | 'b' | 'c' | 'aT5', number>;
  jointUniformity: number;
  jointUniformityAC: number;
  rankMe: Record<'a' | 'b' | 'c' | 'cT', number>;
  shift: { lambda: number; a: number[][]; b: number[][]; gap: number };
};

/** float64 JS against float64 numpy: differences are summation order only. */
const F64 = { atol: 1e-12, rtol: 1e-10 };
/** float32 tensor input against float64 arrays. */
const F32 = { atol: 1e-6, rtol: 1e-5 };

function close(actual: number, expected: number, tol = F64, what = 'value'): void {
  assertAllClose([actual], [expected], tol, what);
}

/** n unit vectors evenly spaced on a circle, embedded in d >= 2 dims (with an optional rotation by phase). */
function circle(n: number, d = 2, phase = 0): number[][] {
  return Array.from({ length: n }, (_, i) => {
    const row = new Array<number>(d).fill(0);
    row[0] = Math.cos(phase + (2 * Math.PI * i) / n);
    row[1] = Math.sin(phase + (2 * Math.PI * i) / n);
    return row;
  });
}

function gaussian(rng: Rng, n: number, d: number): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal()));
}

describe('modalityGap', () => {
  it('is 0 for identical modalities and for rescaled copies', () => {
    const x = gaussian(new Rng(1), 10, 5);
    expect(modalityGap(x, x).gap).toBe(0);
    close(modalityGap(x, x.map((r) => r.map((v) => 3 * v))).gap, 0, { atol: 1e-15, rtol: 0 });
  });

  it('hand cases: orthogonal singletons give √2; centroids of normalised rows', () => {
    close(modalityGap([[1, 0]], [[0, 1]]).gap, Math.SQRT2);
    // a normalised: (1,0), (0,1) -> centroid (.5,.5); b -> (-1,0); Δ = (1.5, .5)
    const out = modalityGap([[2, 0], [0, 3]], [[-4, 0]]);
    close(out.gap, Math.sqrt(2.5));
    assertAllClose(out.gapVector, [1.5, 0.5], F64, 'gapVector');
    assertAllClose(out.centroidNorms, [Math.SQRT1_2, 1], F64, 'centroidNorms');
  });

  it('matches the numpy fixture, unpaired sizes included', () => {
    const out = modalityGap(fx.a, fx.b);
    close(out.gap, fx.gap);
    assertAllClose(out.gapVector, fx.gapVector, F64, 'gapVector');
    close(modalityGap(fx.a, fx.c).gap, fx.gapAC);
  });

  it('reads tensors (float32) without leaking', () => {
    const ta = tf.tensor2d(fx.a);
    const tb = tf.tensor2d(fx.b);
    modalityGap(ta, tb); // warm-up
    const before = tf.memory().numTensors;
    close(modalityGap(ta, tb).gap, fx.gap, F32);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([ta, tb]);
  });

  it('names the problem in errors', () => {
    expect(() => modalityGap([[1, 0]], [[1, 0, 0]])).toThrow(/share the embedding width, received d = 2 and 3/);
    expect(() => modalityGap([[0, 0]], [[1, 0]])).toThrow(/a\[0\] is a zero vector/);
    expect(() => modalityGap([[1, Number.POSITIVE_INFINITY]], [[1, 0]])).toThrow(/a\[0\]\[1\] is Infinity/);
    expect(() => modalityGap([], [[1, 0]])).toThrow(/non-empty/);
    const t3 = tf.zeros([1, 2, 2]);
    expect(() => modalityGap(t3 as unknown as tf.Tensor2D, [[1, 0]])).toThrow(/rank-2 tensor \[n, d\], received shape \[1,2,2\]/);
    t3.dispose();
  });
});

describe('gapShift', () => {
  // a above the x axis, b mirrored below: c_a = (0, sin θ), c_b = -c_a, Δ = (0, 2 sin θ).
  const theta = 0.4;
  const a = [[Math.cos(theta), Math.sin(theta)], [-Math.cos(theta), Math.sin(theta)]];
  const b = [[Math.cos(theta), -Math.sin(theta)], [-Math.cos(theta), -Math.sin(theta)]];

  it('λ = 0 returns the normalised inputs; λ = 0.5 closes a symmetric gap exactly', () => {
    const zero = gapShift(a, b, 0);
    assertAllClose(zero.a.flat(), a.flat(), F64, 'a at λ=0');
    close(zero.gap, 2 * Math.sin(theta));
    const half = gapShift(a, b, 0.5);
    // a_i - Δ/2 = (±cos θ, 0) -> (±1, 0); the same for b.
    assertAllClose(half.a.flat(), [1, 0, -1, 0], F64, 'a at λ=0.5');
    assertAllClose(half.b.flat(), [1, 0, -1, 0], F64, 'b at λ=0.5');
    close(half.gap, 0, { atol: 1e-15, rtol: 0 });
    // Negative λ widens it.
    expect(gapShift(a, b, -0.5).gap).toBeGreaterThan(zero.gap);
  });

  it('matches the numpy fixture', () => {
    const out = gapShift(fx.a, fx.b, fx.shift.lambda);
    assertAllClose(out.a.flat(), fx.shift.a.flat(), F64, 'shifted a');
    assertAllClose(out.b.flat(), fx.shift.b.flat(), F64, 'shifted b');
    close(out.gap, fx.shift.gap);
    assertAllClose(out.gapVector, fx.gapVector, F64, 'gapVector');
  });

  it('shifts along a given direction', () => {
    const out = gapShift([[1, 0]], [[1, 0]], 1, { direction: [0, 1] });
    assertAllClose(out.a.flat(), [Math.SQRT1_2, -Math.SQRT1_2], F64, 'a');
    assertAllClose(out.b.flat(), [Math.SQRT1_2, Math.SQRT1_2], F64, 'b');
    expect(() => gapShift([[1, 0]], [[1, 0]], 1, { direction: [1] })).toThrow(/direction has length 1, expected d = 2/);
    expect(() => gapShift(a, b, Number.NaN)).toThrow(/lambda must be finite, received NaN/);
  });

  it('gapShiftSweep evaluates a callback per λ on tensors it disposes', async () => {
    const lambdas = [-0.25, 0, 0.25, 0.5];
    const run = () =>
      gapShiftSweep(a, b, lambdas, async ({ a: ta, b: tb, lambda }) => {
        expect(ta.shape).toEqual([2, 2]);
        const sim = tf.tidy(() => tf.sum(tf.mul(ta, tb)));
        const value = (await sim.data())[0]!;
        sim.dispose();
        return { lambda, paired: value };
      });
    await run(); // warm-up
    const before = tf.memory().numTensors;
    const points = await run();
    expect(tf.memory().numTensors).toBe(before);
    expect(points.map((p) => p.lambda)).toEqual(lambdas);
    expect(points.map((p) => p.value.lambda)).toEqual(lambdas);
    assertAllClose(points.map((p) => p.gap), lambdas.map((l) => gapShift(a, b, l).gap), F64, 'gaps');
    // At λ = 0.5 every pair coincides: sum of the two paired cosines = 2 (float32).
    close(points[3]!.value.paired, 2, F32);
    await expect(gapShiftSweep(a, b, [], () => 0)).rejects.toThrow(/lambdas is empty/);
    // A throwing callback still disposes its tensors.
    const beforeThrow = tf.memory().numTensors;
    await expect(gapShiftSweep(a, b, [0], () => { throw new Error('boom'); })).rejects.toThrow(/boom/);
    expect(tf.memory().numTensors).toBe(beforeThrow);
  });
});

describe('coneEffect', () => {
  it('closed forms: evenly spread on a circle gives -1/(n-1); one direction gives 1', () => {
    close(coneEffect(circle(7, 4)), -1 / 6, { atol: 1e-14, rtol: 0 });
    close(coneEffect([[1, 1], [2, 2], [3, 3]]), 1);
    close(coneEffect([[1, 0], [0, 1]]), 0, { atol: 1e-15, rtol: 0 });
  });

  it('matches the numpy fixture', () => {
    for (const key of ['a', 'b', 'c'] as const) close(coneEffect(fx[key]), fx.cone[key], F64, `cone ${key}`);
    expect(() => coneEffect([[1, 0]])).toThrow(/at least 2 embeddings, received 1/);
  });
});

describe('alignment', () => {
  it('is 0 for identical modalities and 2^α for antipodal pairs', () => {
    const x = gaussian(new Rng(2), 8, 3);
    close(alignment(x, x), 0, { atol: 1e-15, rtol: 0 });
    close(alignment([[1, 0]], [[-2, 0]]), 4);
    close(alignment([[1, 0]], [[0, 5]], { alpha: 1 }), Math.SQRT2);
  });

  it('matches the numpy fixture', () => {
    close(alignment(fx.a, fx.b), fx.alignment);
    close(alignment(fx.a, fx.b, { alpha: 1 }), fx.alignmentAlpha1);
  });

  it('names the problem in errors', () => {
    expect(() => alignment([[1, 0]], [[1, 0], [0, 1]])).toThrow(/paired row by row, received 1 and 2 rows/);
    expect(() => alignment([[1, 0]], [[1, 0]], { alpha: 0 })).toThrow(/alpha must be a positive number, received 0/);
  });
});

describe('uniformity', () => {
  /** log((1/(n-1)) Σ_{m=1}^{n-1} exp(-2t(1 - cos(2πm/n)))): distances between circle points. */
  function circleUniformity(n: number, t: number): number {
    let s = 0;
    for (let m = 1; m < n; m++) s += Math.exp(-2 * t * (1 - Math.cos((2 * Math.PI * m) / n)));
    return Math.log(s / (n - 1));
  }

  /** Modified Bessel I0 by its power series (converges fast for the small arguments used). */
  function besselI0(x: number): number {
    let term = 1;
    let sum = 1;
    for (let k = 1; k < 60; k++) {
      term *= (x / 2) ** 2 / (k * k);
      sum += term;
    }
    return sum;
  }

  it('points evenly spread on a circle match the closed form', () => {
    for (const [n, t] of [[2, 2], [5, 2], [12, 2], [12, 0.5], [40, 5]] as const) {
      close(uniformity(circle(n, 3, 0.3), { t }), circleUniformity(n, t), F64, `n=${n}, t=${t}`);
    }
    // Continuous limit: the mean over the circle of exp(-2t(1 - cos φ)) is e^{-2t} I0(2t); the
    // n-point mean excludes the zero self-distance, (n e^{-2t} I0(2t) - 1) / (n - 1).
    const n = 64;
    close(uniformity(circle(n)), Math.log((n * Math.exp(-4) * besselI0(4) - 1) / (n - 1)), { atol: 1e-12, rtol: 1e-12 });
  });

  it('is 0 when every embedding points the same way', () => {
    close(uniformity([[1, 2], [2, 4], [0.5, 1]]), 0, { atol: 1e-15, rtol: 0 });
  });

  it('matches the numpy fixture, per modality and joint', () => {
    for (const key of ['a', 'b', 'c'] as const) close(uniformity(fx[key]), fx.uniformity[key], F64, `uniformity ${key}`);
    close(uniformity(fx.a, { t: 5 }), fx.uniformity.aT5);
    close(jointUniformity(fx.a, fx.b), fx.jointUniformity);
    close(jointUniformity(fx.a, fx.c), fx.jointUniformityAC);
  });

  it('a seeded sample is reproducible and the full set when large enough', () => {
    const x = gaussian(new Rng(3), 50, 4);
    const s1 = uniformity(x, { sampleSize: 20, seed: 9 });
    expect(uniformity(x, { sampleSize: 20, seed: 9 })).toBe(s1);
    expect(uniformity(x, { sampleSize: 20, seed: 10 })).not.toBe(s1);
    expect(uniformity(x, { sampleSize: 50 })).toBe(uniformity(x));
    expect(() => uniformity(x, { sampleSize: 1 })).toThrow(/sample size must be an integer >= 2, received 1/);
    expect(() => uniformity(x, { t: 0 })).toThrow(/t must be in \(0, 150\], received 0/);
    expect(() => uniformity([[1, 0]])).toThrow(/at least 2 embeddings, received 1/);
  });
});

describe('rankMe', () => {
  it('an isotropic Gaussian in d dims scores near d', () => {
    const d = 16;
    const { rankMe: r, singularValues } = rankMe(gaussian(new Rng(4), 2000, d));
    expect(singularValues).toHaveLength(d);
    // Marchenko-Pastur spread at d/n = 0.008 costs well under 1% of the entropy.
    expect(r).toBeGreaterThan(0.99 * d);
    expect(r).toBeLessThanOrEqual(d);
  });

  it('k equal singular values score k; a random rank-k matrix scores about k', () => {
    // Rows cycle through k orthonormal directions of R^10: singular values all sqrt(n/k).
    const k = 4;
    const basis = Array.from({ length: k }, (_, i) => Array.from({ length: 10 }, (_, j) => (j === 2 * i ? 0.6 : j === 2 * i + 1 ? 0.8 : 0)));
    const x = Array.from({ length: 40 }, (_, i) => basis[i % k]!);
    // ε = 1e-7 adds p log p terms of order 1e-6 for the 6 zero directions.
    close(rankMe(x).rankMe, k, { atol: 0, rtol: 1e-4 });
    close(rankMe(x, { epsilon: 0 }).rankMe, k, { atol: 0, rtol: 1e-6 });
    const rng = new Rng(5);
    const left = gaussian(rng, 300, k);
    const right = gaussian(rng, k, 24);
    const lowRank = left.map((row) => right[0]!.map((_, j) => row.reduce((s, v, i) => s + v * right[i]![j]!, 0)));
    const r = rankMe(lowRank).rankMe;
    expect(r).toBeGreaterThan(0.6 * k);
    expect(r).toBeLessThan(k + 0.01);
  });

  it('matches the numpy fixture (tall and wide)', () => {
    for (const key of ['a', 'b', 'c'] as const) close(rankMe(fx[key]).rankMe, fx.rankMe[key], { atol: 1e-10, rtol: 1e-9 }, `rankMe ${key}`);
    const cT = fx.c[0]!.map((_, j) => fx.c.map((row) => row[j]!));
    close(rankMe(cT).rankMe, fx.rankMe.cT, { atol: 1e-10, rtol: 1e-9 }, 'rankMe cT');
  });

  it('names the problem in errors', () => {
    expect(() => rankMe([[0, 0], [0, 0]])).toThrow(/all zeros/);
    expect(() => rankMe([[1]], { epsilon: -1 })).toThrow(/epsilon must be >= 0, received -1/);
  });
});

describe('embeddingGeometry', () => {
  it('walks modalities in sorted order and pairs them', () => {
    const out = embeddingGeometry({ text: fx.b, image: fx.a, audio: fx.c });
    expect(Object.keys(out.modalities)).toEqual(['audio', 'image', 'text']);
    expect(Object.keys(out.pairs)).toEqual(['audio|image', 'audio|text', 'image|text']);
    const image = out.modalities.image!;
    expect([image.n, image.dim]).toEqual([24, 6]);
    close(image.cone, fx.cone.a);
    close(image.uniformity, fx.uniformity.a);
    close(image.rankMe, fx.rankMe.a, { atol: 1e-10, rtol: 1e-9 });
    const pair = out.pairs['image|text']!;
    close(pair.gap, fx.gap);
    close(pair.alignment!, fx.alignment);
    close(pair.jointUniformity, fx.jointUniformity);
    expect(out.pairs['audio|image']!.alignment).toBeUndefined(); // 15 vs 24 rows: not paired
    expect(() => embeddingGeometry({})).toThrow(/embeddings is empty/);
  });

  it('takes tensors without leaking', () => {
    const image = tf.tensor2d(fx.a);
    const text = tf.tensor2d(fx.b);
    embeddingGeometry({ image, text });
    const before = tf.memory().numTensors;
    const out = embeddingGeometry({ image, text });
    expect(tf.memory().numTensors).toBe(before);
    close(out.pairs['image|text']!.gap, fx.gap, F32);
    close(out.modalities.text!.uniformity, fx.uniformity.b, F32);
    tf.dispose([image, text]);
  });
});
