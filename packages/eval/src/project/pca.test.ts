import { readFileSync } from 'node:fs';
import { assertAllClose } from '@modalab/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { pca, pcaTransform } from './pca.js';

// Fixture: tools/reference/eval_reference.py, project_fixture() (sklearn PCA, svd_solver='full',
// components re-signed to the largest-loading-positive convention).
interface PcaCase {
  name: string;
  x: number[][];
  components: number[][];
  mean: number[];
  explainedVariance: number[];
  explainedVarianceRatio: number[];
  singularValues: number[];
  projected: number[][];
  new: number[][];
  newProjected: number[][];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/pca.json', import.meta.url), 'utf8')) as { cases: PcaCase[] };
const TOL = { atol: 1e-10, rtol: 1e-9 };

describe('pca', () => {
  it('matches scikit-learn on a tall and a wide (n < d) matrix', () => {
    for (const c of fixture.cases) {
      const k = c.components.length;
      const out = pca(c.x, { components: k });
      assertAllClose(out.mean, c.mean, TOL, `${c.name} mean`);
      assertAllClose(out.components.flat(), c.components.flat(), TOL, `${c.name} components`);
      assertAllClose(out.explainedVariance, c.explainedVariance, TOL, `${c.name} explainedVariance`);
      assertAllClose(out.explainedVarianceRatio, c.explainedVarianceRatio, TOL, `${c.name} ratio`);
      assertAllClose(out.singularValues, c.singularValues, TOL, `${c.name} singularValues`);
      assertAllClose(out.projected.flat(), c.projected.flat(), TOL, `${c.name} projected`);
      assertAllClose(pcaTransform(out, c.new).flat(), c.newProjected.flat(), TOL, `${c.name} transform`);
      expect(out.projected).toHaveLength(c.x.length);
      expect(out.projected[0]).toHaveLength(k);
    }
  });

  it('points on a line: one axis explains everything, with the positive sign', () => {
    // x = t·(-3, 4)/5 + (1, 1): the axis is ±(-0.6, 0.8); the convention picks +0.8.
    const ts = [-2, -1, 0, 1, 2];
    const out = pca(ts.map((t) => [1 - 0.6 * t, 1 + 0.8 * t]), { components: 1 });
    assertAllClose(out.components[0]!, [-0.6, 0.8], TOL, 'axis');
    assertAllClose(out.explainedVariance, [2.5], TOL, 'variance'); // var(ts) with n - 1
    assertAllClose(out.explainedVarianceRatio, [1], TOL, 'ratio');
    assertAllClose(out.projected.flat(), ts, TOL, 'projected');
  });

  it('is deterministic and defaults to 2 components; batch of 2 works', () => {
    const x = fixture.cases[0]!.x;
    expect(pca(x)).toEqual(pca(x));
    expect(pca(x).components).toHaveLength(2);
    const two = pca([[0, 0, 1], [2, 0, 1]], { components: 1 });
    assertAllClose(two.components[0]!, [1, 0, 0], TOL, 'axis');
    assertAllClose(two.projected.flat(), [-1, 1], TOL, 'projected');
  });

  it('reads tensors without leaking', () => {
    const c = fixture.cases[0]!;
    const t = tf.tensor2d(c.x);
    pca(t);
    const before = tf.memory().numTensors;
    const out = pca(t, { components: 2 });
    expect(tf.memory().numTensors).toBe(before);
    assertAllClose(out.explainedVariance, c.explainedVariance.slice(0, 2), { atol: 1e-5, rtol: 1e-5 }, 'float32 input');
    t.dispose();
  });

  it('names the problem in errors', () => {
    expect(() => pca([[1, 2]])).toThrow(/at least 2 rows and 1 column, received 1 x 2/);
    expect(() => pca([[1, 2], [3, 4]], { components: 3 })).toThrow(/components must be an integer in \[1, min\(n, d\) = 2\], received 3/);
    // Two points in 3-D: the centred data has rank 1.
    expect(() => pca([[0, 0, 1], [2, 0, 1]], { components: 2 })).toThrow(/exceeds the rank 1 of the centred data/);
    const model = pca([[0, 1], [1, 0], [2, 2]]);
    expect(() => pcaTransform(model, [[1, 2, 3]])).toThrow(/x has 3 columns but the model was fitted on 2/);
  });
});
