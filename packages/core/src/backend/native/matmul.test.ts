import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '../../train/register-gradients.js';
import { maxRelError } from '../wasm-kernels/compare.js';
import { asWasmBackend } from '../wasm-kernels/heap.js';
import { expectNoLeak, expectParity, runAndDispose } from '../wasm-kernels/test-parity.js';
import type { OpCase } from '../wasm-kernels/training-op-cases.js';
import { loadNativeAddon, nativeThreads } from './addon.js';
import { registerNativeKernels, setNativeKernels } from './index.js';
import { addon, countCalls, expectNativeMatchesWasm, FLAGS, fusedCase, matMulCase, skipNative, skipReason } from './test-native.js';

const SHAPES = [
  { label: '2D odd sizes', batchA: [], batchB: [], m: 5, k: 7, n: 3 },
  { label: '2D all ones', batchA: [], batchB: [], m: 1, k: 1, n: 1 },
  { label: '2D row vector', batchA: [], batchB: [], m: 1, k: 9, n: 4 },
  { label: '3D batch 1', batchA: [1], batchB: [1], m: 5, k: 7, n: 3 },
  { label: '3D batch 3', batchA: [3], batchB: [3], m: 5, k: 7, n: 3 },
  { label: '4D batch [2,3]', batchA: [2, 3], batchB: [2, 3], m: 4, k: 5, n: 6 },
  { label: 'broadcast b: [2,3,M,K] x [K,N]', batchA: [2, 3], batchB: [], m: 5, k: 4, n: 6 },
  { label: 'broadcast a: [M,K] x [2,K,N]', batchA: [], batchB: [2], m: 5, k: 4, n: 6 },
  { label: 'broadcast batch-1 a: [1,M,K] x [4,K,N]', batchA: [1], batchB: [4], m: 3, k: 5, n: 2 },
  { label: 'attention-sized [2,4,17,8] x [2,4,17,8]', batchA: [2, 4], batchB: [2, 4], m: 17, k: 8, n: 17 },
];

describe.skipIf(skipNative)(`native BatchMatMul and _FusedMatMul (oneDNN)${skipNative ? `: skipped, ${skipReason}` : ''}`, () => {
  beforeAll(() => {
    expect(registerNativeKernels({ env: {} }).active).toBe(true);
  });
  afterAll(() => setNativeKernels(false));

  for (const s of SHAPES) {
    it.each(FLAGS)(`${s.label}, transposeA=%s transposeB=%s: forward and gradients match cpu and wasm`, async (tA, tB) => {
      const c = matMulCase(s.batchA, s.batchB, s.m, s.k, s.n, tA, tB);
      expect(countCalls('matmul', () => runAndDispose(c))).toBeGreaterThanOrEqual(3); // forward + both gradients
      await expectParity(c);
      expectNativeMatchesWasm(c);
    });
  }

  // cpu sizes a two-sided broadcast right but computes only max(2,3) items (see wasm-kernels):
  // the reference tiles both operands to the full batch first.
  it.each(FLAGS)('broadcast both ways [2,1] x [1,3], transposeA=%s transposeB=%s: matches a tiled reference', async (tA, tB) => {
    const c = matMulCase([2, 1], [1, 3], 3, 4, 2, tA, tB);
    await expectParity(c, 1e-4, { ...c, fn: (a, b) => tf.matMul(tf.tile(a!, [1, 3, 1, 1]), tf.tile(b!, [2, 1, 1, 1]), tA, tB) });
    expectNativeMatchesWasm(c);
  });

  // Sums over K = 1040 rows (the weight gradient) in another order than XNNPACK's differ by
  // about sqrt(K) * eps relative to the largest entry, hence 3e-4 here; the float64 test below
  // checks that neither side is the less accurate one.
  it('matches wasm at training sizes (1040 x 128 x 512, 256 heads of 65 x 32) forward and backward', () => {
    expectNativeMatchesWasm(matMulCase([], [], 1040, 128, 512, false, false), 3e-4);
    expectNativeMatchesWasm(matMulCase([256], [256], 65, 32, 65, false, true), 3e-4);
  });

  it('is as accurate as wasm against a float64 product at K = 4096', () => {
    const [m, k, n] = [24, 4096, 20];
    const a = tf.randomNormal([m, k], 0, 1, 'float32', 5), b = tf.randomNormal([k, n], 0, 1, 'float32', 6);
    const av = a.dataSync(), bv = b.dataSync();
    const exact = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) exact[i * n + j]! += av[i * k + p]! * bv[p * n + j]!;
    const scale = exact.reduce((mx, x) => Math.max(mx, Math.abs(x)), 0);
    // Worst absolute error as a fraction of the largest entry.
    const errorOf = () => tf.tidy(() => maxRelError(tf.matMul(a, b).dataSync(), exact, scale));
    const native = errorOf();
    setNativeKernels(false);
    const wasm = errorOf();
    setNativeKernels(true);
    expect(native).toBeLessThan(1e-5);
    expect(native).toBeLessThan(Math.max(2 * wasm, 1e-6));
    tf.dispose([a, b]);
  });

  for (const [tA, tB] of FLAGS) {
    it(`fused bias + every activation, transposeA=${tA} transposeB=${tB}`, async () => {
      for (const act of ['linear', 'relu', 'relu6', 'sigmoid', 'elu', 'leakyrelu'] as const) {
        const c = fusedCase([3], 6, 5, 4, tA, tB, act, [4]);
        await expectParity(c);
        expectNativeMatchesWasm(c);
      }
    });
  }

  it('fused: a scalar bias, a [1, N] bias, no bias, batch 1 and degenerate sizes run natively', async () => {
    for (const c of [fusedCase([], 7, 3, 4, false, true, 'relu', [1]), fusedCase([], 7, 3, 4, true, false, 'linear', [1, 4]), fusedCase([1], 1, 1, 1, false, false, 'sigmoid', null)]) {
      expect(countCalls('matmul', () => runAndDispose(c)), c.name).toBeGreaterThan(0);
      await expectParity(c);
    }
  });

  it('leaves prelu and biases it does not broadcast to the kernel below, and int32 products too', async () => {
    const prelu: OpCase = {
      name: 'fused prelu',
      shapes: [[4, 3], [3, 5], [5]],
      fn: (a, b, w) => tf.fused.matMul({ a: a!, b: b!, activation: 'prelu', preluActivationWeights: w! }),
    };
    const forward = () => tf.tidy(() => void prelu.fn(tf.ones([4, 3]), tf.ones([3, 5]), tf.ones([5])));
    expect(countCalls('matmul', forward)).toBe(0);
    await expectParity(prelu);
    // wasm takes only [N] biases: a per-row one fails there, natively or not.
    const rowBias = () => tf.tidy(() => tf.fused.matMul({ a: tf.ones([4, 3]), b: tf.ones([3, 5]), bias: tf.ones([4, 1]) }));
    expect(countCalls('matmul', () => expect(rowBias).toThrow(/rank-1 bias/))).toBe(0);
    // int32 products are wasm's business too (it has none).
    const ints = () => tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), tf.tensor2d([5, 6, 7, 8], [2, 2], 'int32')));
    expect(countCalls('matmul', () => expect(ints).toThrow(/non-float32/))).toBe(0);
  });

  it('gives empty and all-zero results for zero-sized dimensions (on wasm), like cpu', () => {
    expect(tf.tidy(() => tf.matMul(tf.zeros([0, 3]), tf.zeros([3, 4])).shape)).toEqual([0, 4]);
    const k0 = tf.tidy(() => Array.from(tf.matMul(tf.zeros([2, 0]), tf.zeros([0, 3])).dataSync()));
    expect(k0).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('names the mismatched inner sizes', () => {
    const run = () => tf.tidy(() => tf.engine().runKernel(tf.BatchMatMul, { a: tf.ones([2, 7]), b: tf.ones([6, 3]) }, { transposeA: false, transposeB: false }));
    expect(run).toThrow(/inner shapes \(7\) and \(6\)/);
  });

  it('leaves no tensors or backend data behind, forward and backward', () => {
    for (const [tA, tB] of FLAGS) {
      expectNoLeak(() => runAndDispose(matMulCase([2, 3], [2, 3], 4, 5, 6, tA, tB)));
      expectNoLeak(() => runAndDispose(matMulCase([2, 3], [], 4, 5, 6, tA, tB)));
      expectNoLeak(() => runAndDispose(fusedCase([2], 4, 5, 3, tA, tB, 'relu', [3])));
    }
  });

  it('refuses heap ranges outside the wasm memory instead of touching them', () => {
    const heap = asWasmBackend(tf.engine().backend).wasm.HEAPU8.buffer as ArrayBuffer;
    const call = () => addon().matmul(heap, heap.byteLength - 8, 0, 0, -1, new Int32Array(0), new Int32Array(0), 4, 4, 4, false, false, 0, 0, 0);
    expect(call).toThrow(/a: bytes .* outside the heap/);
  });

  it('switches off and on: off restores the kernels it wrapped', () => {
    const on = tf.getKernel(tf.BatchMatMul, 'wasm')!.kernelFunc;
    setNativeKernels(false);
    const off = tf.getKernel(tf.BatchMatMul, 'wasm')!.kernelFunc;
    expect(off).not.toBe(on);
    const a = tf.randomNormal([3, 4]), b = tf.randomNormal([4, 2]);
    expect(countCalls('matmul', () => tf.matMul(a, b).dispose())).toBe(0);
    setNativeKernels(true);
    expect(countCalls('matmul', () => tf.matMul(a, b).dispose())).toBe(1);
    registerNativeKernels({ env: {} }); // idempotent: no second layer
    expect(countCalls('matmul', () => tf.matMul(a, b).dispose())).toBe(1);
    tf.dispose([a, b]);
  });
});

describe('native kernels when they cannot or must not run', () => {
  it('MODALAB_NATIVE=0 keeps wasm and says so in one line', () => {
    const s = registerNativeKernels({ env: { MODALAB_NATIVE: '0' } });
    expect(s.active).toBe(false);
    expect(s.line).toMatch(/native kernels off \(MODALAB_NATIVE=0\)/);
  });

  it('sizes the thread team from MODALAB_NATIVE_THREADS, else from the idle cores', () => {
    expect(nativeThreads({ MODALAB_NATIVE_THREADS: '3' })).toEqual({ threads: 3, why: 'MODALAB_NATIVE_THREADS' });
    expect(() => nativeThreads({ MODALAB_NATIVE_THREADS: 'two' })).toThrow(/MODALAB_NATIVE_THREADS must be a positive integer, got 'two'/);
    const auto = nativeThreads({});
    expect(auto.threads).toBeGreaterThanOrEqual(1);
    expect(auto.threads).toBeLessThanOrEqual(os.availableParallelism());
    expect(auto.why).toMatch(/idle cores|busy with other work|^1 core$/);
  });

  it('a missing or broken addon is a reason, not an exception', () => {
    const missing = loadNativeAddon(path.join(os.tmpdir(), 'no-such-dir', 'modalab_native.node'));
    expect(missing.ok).toBe(false);
    expect(!missing.ok && missing.reason).toMatch(/the addon is not built .* build:native/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-native-'));
    const broken = path.join(dir, 'modalab_native.node');
    fs.writeFileSync(broken, 'not a shared object');
    try {
      const r = loadNativeAddon(broken);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.reason).toMatch(/^the addon did not load: /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
