import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend } from './heap.js';
import { registerWasmTrainingKernels } from './index.js';
import '../../train/register-gradients.js';
import { expectNoLeak, expectParity, runAndDispose } from './test-parity.js';
import type { OpCase } from './training-op-cases.js';

/** A matmul case from logical shapes [...batchA, M, K] x [...batchB, K, N]; flags swap the stored last two axes. */
function matMulCase(batchA: number[], batchB: number[], m: number, k: number, n: number, tA: boolean, tB: boolean): OpCase {
  const aShape = [...batchA, ...(tA ? [k, m] : [m, k])];
  const bShape = [...batchB, ...(tB ? [n, k] : [k, n])];
  return { name: `[${aShape}]${tA ? 'ᵀ' : ''} x [${bShape}]${tB ? 'ᵀ' : ''}`, shapes: [aShape, bShape], fn: (a, b) => tf.matMul(a!, b!, tA, tB) };
}

const FLAGS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

const SHAPES: { label: string; batchA: number[]; batchB: number[]; m: number; k: number; n: number }[] = [
  { label: '2D odd sizes', batchA: [], batchB: [], m: 5, k: 7, n: 3 },
  { label: '2D all ones', batchA: [], batchB: [], m: 1, k: 1, n: 1 },
  { label: '2D row vector', batchA: [], batchB: [], m: 1, k: 9, n: 4 },
  { label: '2D column result', batchA: [], batchB: [], m: 6, k: 3, n: 1 },
  { label: '2D inner 1 (outer product)', batchA: [], batchB: [], m: 4, k: 1, n: 5 },
  { label: '3D batch 1', batchA: [1], batchB: [1], m: 5, k: 7, n: 3 },
  { label: '3D batch 3', batchA: [3], batchB: [3], m: 5, k: 7, n: 3 },
  { label: '4D batch [2,3]', batchA: [2, 3], batchB: [2, 3], m: 4, k: 5, n: 6 },
  { label: 'broadcast b: [2,3,M,K] x [K,N]', batchA: [2, 3], batchB: [], m: 5, k: 4, n: 6 },
  { label: 'broadcast a: [M,K] x [2,K,N]', batchA: [], batchB: [2], m: 5, k: 4, n: 6 },
  { label: 'broadcast batch-1 a: [1,M,K] x [4,K,N]', batchA: [1], batchB: [4], m: 3, k: 5, n: 2 },
  { label: 'batched M=1', batchA: [3], batchB: [3], m: 1, k: 4, n: 5 },
  { label: 'batched N=1, K=1', batchA: [3], batchB: [3], m: 4, k: 1, n: 1 },
];

describe('BatchMatMul on wasm (fast routes)', () => {

  for (const s of SHAPES) {
    it.each(FLAGS)(`${s.label}, transposeA=%s transposeB=%s: forward and gradients match cpu`, async (tA, tB) => {
      await expectParity(matMulCase(s.batchA, s.batchB, s.m, s.k, s.n, tA, tB));
    });
  }

  // cpu (and wasm as shipped) sizes the output [2,3,..] but computes only max(2,3) items, so
  // the reference tiles both operands to the full batch first; tile's gradient sums them back.
  it.each(FLAGS)('broadcast both ways [2,1] x [1,3], transposeA=%s transposeB=%s: matches a tiled reference', async (tA, tB) => {
    const c = matMulCase([2, 1], [1, 3], 3, 4, 2, tA, tB);
    const reference: OpCase = { ...c, fn: (a, b) => tf.matMul(tf.tile(a!, [1, 3, 1, 1]), tf.tile(b!, [2, 1, 1, 1]), tA, tB) };
    await expectParity(c, 1e-4, reference);
  });

  it('matches cpu at attention size (65 tokens, head 16, 8 items)', async () => {
    await expectParity(matMulCase([8], [8], 65, 16, 65, false, true), 1e-4);
    await expectParity(matMulCase([8], [8], 65, 65, 16, true, false), 1e-4);
  });

  it('gives empty and all-zero results for zero-sized dimensions, like cpu', () => {
    expect(tf.matMul(tf.zeros([0, 3]), tf.zeros([3, 4])).shape).toEqual([0, 4]);
    expect(tf.matMul(tf.zeros([2, 0, 3]), tf.zeros([2, 3, 4])).shape).toEqual([2, 0, 4]);
    const k0 = tf.matMul(tf.zeros([2, 0]), tf.zeros([0, 3]));
    expect(k0.shape).toEqual([2, 3]);
    expect(Array.from(k0.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('names the mismatched inner sizes', () => {
    const run = () => tf.engine().runKernel(tf.BatchMatMul, { a: tf.ones([2, 7]), b: tf.ones([6, 3]) }, { transposeA: false, transposeB: false });
    expect(run).toThrow(/inner shapes \(7\) and \(6\)/);
  });

  it('leaves no tensors or backend data behind, forward and backward', () => {
    for (const [tA, tB] of FLAGS) {
      expectNoLeak(() => runAndDispose(matMulCase([2, 3], [2, 3], 4, 5, 6, tA, tB)));
      expectNoLeak(() => runAndDispose(matMulCase([2, 3], [], 4, 5, 6, tA, tB)));
    }
  });

  it('does not grow the wasm heap over repeated batched products (heap views are released)', () => {
    const backend = asWasmBackend(tf.engine().backend);
    const a = tf.randomNormal([256, 65, 16]);
    const b = tf.randomNormal([256, 16, 65]);
    for (let i = 0; i < 3; i++) tf.matMul(a, b).dispose();
    const heap = backend.wasm.HEAPU8.length;
    for (let i = 0; i < 30; i++) tf.matMul(a, b, false, false).dispose();
    expect(backend.wasm.HEAPU8.length).toBe(heap);
    tf.dispose([a, b]);
  });

  it('registers once: a second call keeps the same kernels', () => {
    const before = tf.getKernel(tf.BatchMatMul, 'wasm')!.kernelFunc;
    registerWasmTrainingKernels();
    expect(tf.getKernel(tf.BatchMatMul, 'wasm')!.kernelFunc).toBe(before);
  });
});

describe('_FusedMatMul on wasm (fast routes)', () => {

  const fusedCase = (batch: number[], m: number, k: number, n: number, tA: boolean, tB: boolean, activation: 'relu' | 'linear' | 'sigmoid', bias: boolean): OpCase => {
    const base = matMulCase(batch, batch, m, k, n, tA, tB);
    return {
      name: `fused ${activation} ${bias ? 'bias ' : ''}${base.name}`,
      shapes: bias ? [...base.shapes, [n]] : base.shapes,
      fn: (a, b, c) => tf.fused.matMul({ a: a!, b: b!, transposeA: tA, transposeB: tB, activation, ...(c ? { bias: c } : {}) }),
    };
  };

  for (const [tA, tB] of FLAGS) {
    it(`bias + relu, transposeA=${tA} transposeB=${tB}, 2D and batched`, async () => {
      await expectParity(fusedCase([], 6, 5, 4, tA, tB, 'relu', true));
      await expectParity(fusedCase([3], 6, 5, 4, tA, tB, 'relu', true));
    });
  }

  it('sigmoid without bias, batch 1 and degenerate sizes', async () => {
    await expectParity(fusedCase([1], 1, 1, 1, false, false, 'sigmoid', false));
    await expectParity(fusedCase([], 7, 3, 1, true, false, 'linear', true));
  });

  it('leaves no tensors behind', () => {
    expectNoLeak(() => runAndDispose(fusedCase([2], 4, 5, 3, true, true, 'relu', true)));
  });
});
