import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '../../train/register-gradients.js';
import { asWasmBackend } from '../wasm-kernels/heap.js';
import { expectNoLeak, expectParity, runAndDispose } from '../wasm-kernels/test-parity.js';
import type { OpCase } from '../wasm-kernels/training-op-cases.js';
import { registerNativeKernels, setNativeKernels } from './index.js';
import { addon, countCalls, expectNativeMatchesWasm, skipNative, skipReason } from './test-native.js';

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil';

const conv2d = (x: number[], w: number[], stride: number | [number, number], pad: Pad, dilation: number | [number, number] = 1, rounding?: Rounding): OpCase => ({
  name: `conv2d [${x}] * [${w}] stride ${stride} pad ${JSON.stringify(pad)} dilation ${dilation}${rounding ? ` ${rounding}` : ''}`,
  shapes: [x, w],
  fn: (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad, 'NHWC', dilation, rounding),
});

const conv1d = (x: number[], w: number[], stride: number, pad: 'same' | 'valid', dilation = 1): OpCase => ({
  name: `conv1d [${x}] * [${w}] stride ${stride} ${pad} dilation ${dilation}`,
  shapes: [x, w],
  fn: (a, b) => tf.conv1d(a as tf.Tensor3D, b as tf.Tensor3D, stride, pad, 'NWC', dilation),
});

/**
 * The case's forward output with zero gradients: tfjs has no gradient for dilated convolutions,
 * and its Conv2D gradient drops dimRoundingMode, so these are checked forward only.
 */
function forwardOnly(c: OpCase): OpCase {
  const f = tf.customGrad((...args: unknown[]) => {
    const xs = args.slice(0, c.shapes.length) as tf.Tensor[];
    return { value: c.fn(...xs), gradFunc: () => xs.map((x) => tf.zerosLike(x)) };
  });
  return { ...c, name: `${c.name} (forward only)`, fn: (...xs) => f(...xs) };
}

/** Odd sizes on every axis, batch 1, stride 2, every padding kind, 1xK filters (conv1d) and one input channel. */
const CASES: OpCase[] = [
  conv2d([2, 9, 11, 5], [3, 3, 5, 7], 1, 'same'),
  conv2d([2, 9, 11, 5], [3, 3, 5, 7], 1, 'valid'),
  conv2d([2, 10, 9, 3], [3, 2, 3, 4], 2, 'valid'), // (in - filter) not a multiple of the stride: rows nobody reads
  conv2d([1, 7, 6, 2], [3, 3, 2, 5], 2, 'same'),
  conv2d([1, 8, 8, 2], [3, 3, 2, 5], 2, 'same'), // padding only on the bottom and right
  conv2d([3, 13, 12, 1], [5, 5, 1, 6], [2, 3], 'same'),
  conv2d([2, 8, 8, 3], [4, 4, 3, 6], 4, 'valid'), // patch embedding, as the ConvNet stem
  conv2d([2, 7, 9, 3], [3, 3, 3, 4], 1, 2), // numeric padding
  conv2d([2, 7, 9, 3], [2, 3, 3, 4], [2, 1], [[0, 0], [1, 2], [0, 3], [0, 0]]), // explicit, asymmetric
  conv2d([1, 5, 5, 3], [5, 5, 3, 2], 1, 'valid'), // a 1x1 output
  conv2d([2, 6, 7, 3], [1, 1, 3, 9], 1, 'valid'), // 1x1 filter: a plain product
  conv1d([2, 37, 3], [5, 3, 4], 2, 'same'),
  conv1d([3, 41, 1], [10, 1, 8], 5, 'valid'), // the audio stem: raw waveform, one channel
  conv1d([1, 33, 6], [3, 6, 5], 1, 'same'),
  // Conv2DBackpropInput as the forward, Conv2D and Conv2DBackpropFilter as its gradients.
  { name: 'conv2dTranspose [2,4,5,6] to [2,8,9,3] stride 2 same', shapes: [[2, 4, 5, 6], [3, 3, 3, 6]], fn: (y, f) => tf.conv2dTranspose(y as tf.Tensor4D, f as tf.Tensor4D, [2, 8, 9, 3], 2, 'same') },
];

/** Dilation, forward (tfjs has no gradient for it). */
const DILATED: OpCase[] = [
  conv2d([2, 11, 10, 3], [3, 3, 3, 4], 1, 'same', 2),
  conv2d([1, 12, 13, 2], [3, 2, 2, 5], 1, 'valid', [2, 3]),
  conv1d([2, 40, 3], [3, 3, 4], 1, 'same', 2),
].map(forwardOnly);

/**
 * dimRoundingMode, forward. 'ceil' and 'round' can add an output row whose last window hangs
 * over the padded input: wasm's XNNPACK Conv2D sizes its output by flooring and never writes
 * that row (it keeps whatever the heap held), so these are compared with cpu only.
 */
const ROUNDED: OpCase[] = [
  conv2d([2, 6, 7, 3], [3, 3, 3, 4], 2, 0, 1, 'ceil'),
  conv2d([2, 7, 8, 3], [3, 3, 3, 4], 2, 1, 1, 'round'),
  conv2d([2, 7, 8, 3], [2, 2, 3, 4], 3, 1, 1, 'floor'),
].map(forwardOnly);

/** The gradient kernels called directly with dimRoundingMode (tfjs's gradient never passes it). */
function backpropCase(kernel: 'input' | 'filter', x: number[], w: number[], stride: number, pad: number, rounding: Rounding): OpCase {
  const info = tf.backend_util.computeConv2DInfo(x as [number, number, number, number], w as [number, number, number, number], stride, 1, pad, rounding);
  const attrs = { strides: stride, pad, dataFormat: 'NHWC', dimRoundingMode: rounding };
  return forwardOnly(
    kernel === 'input'
      ? { name: `Conv2DBackpropInput [${x}] [${w}] stride ${stride} pad ${pad} ${rounding}`, shapes: [info.outShape, w], fn: (dy, f) => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: dy!, filter: f! }, { ...attrs, inputShape: x }) as tf.Tensor }
      : { name: `Conv2DBackpropFilter [${x}] [${w}] stride ${stride} pad ${pad} ${rounding}`, shapes: [x, info.outShape], fn: (a, dy) => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: a!, dy: dy! }, { ...attrs, filterShape: w }) as tf.Tensor },
  );
}

describe.skipIf(skipNative)(`native Conv2D and its gradients (oneDNN)${skipNative ? `: skipped, ${skipReason}` : ''}`, () => {
  beforeAll(() => {
    expect(registerNativeKernels({ env: {} }).active).toBe(true);
  });
  afterAll(() => setNativeKernels(false));

  // runCase runs the forward twice (for the value, then inside tf.grads) and each gradient once.
  it.each(CASES.map((c) => [c.name, c] as const))('%s: forward and both gradients natively, matching cpu and wasm', async (_name, c) => {
    expect(countCalls('conv2d', () => runAndDispose(c))).toBe(4);
    await expectParity(c);
    expectNativeMatchesWasm(c);
  });

  it.each(DILATED.map((c) => [c.name, c] as const))('%s: natively, matching cpu and wasm', async (_name, c) => {
    expect(countCalls('conv2d', () => runAndDispose(c))).toBe(2);
    await expectParity(c);
    expectNativeMatchesWasm(c);
  });

  it.each(ROUNDED.map((c) => [c.name, c] as const))('%s: natively, matching cpu', async (_name, c) => {
    expect(countCalls('conv2d', () => runAndDispose(c))).toBe(2);
    await expectParity(c);
  });

  it('both gradient kernels take dimRoundingMode (ceil: padding beyond tfjs\'s bottom and right; round)', async () => {
    for (const c of [backpropCase('input', [2, 6, 7, 3], [3, 3, 3, 4], 2, 0, 'ceil'), backpropCase('filter', [2, 6, 7, 3], [3, 3, 3, 4], 2, 0, 'ceil'),
      backpropCase('input', [1, 7, 8, 2], [3, 3, 2, 3], 2, 1, 'round'), backpropCase('filter', [1, 7, 8, 2], [3, 3, 2, 3], 2, 1, 'round')]) {
      expect(countCalls('conv2d', () => runAndDispose(c)), c.name).toBe(2);
      await expectParity(c);
      expectNativeMatchesWasm(c);
    }
  });

  // Sums over 4 * 30 * 30 = 3600 output positions (the filter gradient) in another order than
  // wasm's matmul differ by about sqrt(n) * eps relative to the largest entry.
  it('matches wasm at training sizes on a team of two threads', () => {
    const threads = addon().info().threads;
    addon().setThreads(2);
    try {
      expectNativeMatchesWasm(conv2d([4, 32, 30, 16], [3, 3, 16, 32], 1, 'same'), 3e-4);
      expectNativeMatchesWasm(conv1d([4, 2000, 1], [10, 1, 32], 5, 'same'), 3e-4);
    } finally {
      addon().setThreads(threads);
    }
  });

  it('leaves NCHW to the kernel below (wasm refuses it), natively or not', () => {
    const run = () => tf.tidy(() => tf.conv2d(tf.ones([1, 3, 5, 5]) as tf.Tensor4D, tf.ones([3, 3, 3, 2]) as tf.Tensor4D, 1, 'same', 'NCHW'));
    expect(countCalls('conv2d', () => expect(run).toThrow(/channelsLast/))).toBe(0);
  });

  it('leaves no tensors or backend data behind, forward and backward', () => {
    for (const c of [CASES[0]!, CASES[3]!, CASES[12]!, DILATED[0]!]) expectNoLeak(() => runAndDispose(c));
  });

  it('refuses heap ranges outside the wasm memory instead of touching them', () => {
    const heap = asWasmBackend(tf.engine().backend).wasm.HEAPU8.buffer as ArrayBuffer;
    const g = Int32Array.from([1, 4, 4, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1]);
    expect(() => addon().conv2d(heap, 'forward', heap.byteLength - 8, 0, 0, g)).toThrow(/x: bytes .* outside the heap/);
    expect(() => addon().conv2d(heap, 'sideways' as 'forward', 0, 0, 0, g)).toThrow(/unknown pass 'sideways'/);
  });

  it('switches off and on with the other native kernels', () => {
    const x = tf.randomNormal([1, 6, 6, 2]) as tf.Tensor4D, w = tf.randomNormal([3, 3, 2, 4]) as tf.Tensor4D;
    setNativeKernels(false);
    expect(countCalls('conv2d', () => tf.conv2d(x, w, 1, 'same').dispose())).toBe(0);
    setNativeKernels(true);
    expect(countCalls('conv2d', () => tf.conv2d(x, w, 1, 'same').dispose())).toBe(1);
    tf.dispose([x, w]);
  });
});
