import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '../../train/register-gradients.js';
import { expectNoLeak, expectParity, runAndDispose } from './test-parity.js';
import type { OpCase } from './training-op-cases.js';

type Pad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];

const conv2dCase = (x: number[], f: number[], strides: number | [number, number], pad: Pad): OpCase => ({
  name: `conv2d x [${x}] f [${f}] strides ${strides} pad ${JSON.stringify(pad)}`,
  shapes: [x, f],
  fn: (a, b) => tf.conv2d(a! as tf.Tensor4D, b! as tf.Tensor4D, strides, pad),
});

const CONV2D: [number[], number[], number | [number, number], Pad][] = [
  [[2, 6, 5, 3], [3, 2, 3, 4], 1, 'valid'],
  [[1, 7, 6, 2], [3, 3, 2, 5], 2, 'same'],
  [[1, 7, 7, 2], [3, 3, 2, 3], [2, 1], 'same'],
  [[2, 8, 8, 3], [4, 4, 3, 6], 4, 'valid'],
  [[1, 5, 5, 1], [1, 1, 1, 1], 1, 'valid'],
  [[1, 4, 3, 2], [4, 3, 2, 2], 1, 'valid'],
  [[2, 5, 4, 3], [3, 2, 3, 2], [2, 2], [[0, 0], [1, 2], [0, 1], [0, 0]]],
  [[1, 9, 9, 2], [5, 5, 2, 3], 3, 'same'],
];

describe('Conv2DBackpropFilter and Conv2DBackpropInput on wasm', () => {

  it.each(CONV2D)('conv2d x %j filter %j strides %j pad %j: forward and both gradients match cpu', async (x, f, s, p) => {
    await expectParity(conv2dCase(x, f, s, p));
  });

  it.each([
    [[2, 9, 3], [3, 3, 4], 2, 'same'], [[1, 7, 1], [2, 1, 2], 1, 'valid'], [[3, 8, 2], [1, 2, 5], 1, 'same'],
  ] as [number[], number[], number, 'same' | 'valid'][])('conv1d x %j filter %j stride %i pad %s: matches cpu', async (x, f, s, p) => {
    await expectParity({ name: 'conv1d', shapes: [x, f], fn: (a, b) => tf.conv1d(a! as tf.Tensor3D, b! as tf.Tensor3D, s, p) });
  });

  it('conv2dTranspose (Conv2DBackpropInput forward) and its gradients match cpu', async () => {
    await expectParity({
      name: 'conv2dTranspose',
      shapes: [[2, 3, 3, 4], [3, 3, 2, 4]],
      fn: (y, f) => tf.conv2dTranspose(y! as tf.Tensor4D, f! as tf.Tensor4D, [2, 6, 6, 2], 2, 'same'),
    });
  });

  it('rejects NCHW and dilation, naming the kernel and the value', () => {
    const x = tf.ones([1, 4, 4, 2]);
    const dy = tf.ones([1, 3, 3, 2]);
    const attrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [2, 2, 2, 2] };
    expect(() => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, dataFormat: 'NCHW' })).toThrow(
      /Conv2DBackpropFilter on wasm supports dataFormat 'NHWC' only, got 'NCHW'/,
    );
    expect(() => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, dilations: 2 })).toThrow(/supports dilation 1 only, got dilations 2/);
    const filter = tf.ones([2, 2, 2, 2]);
    expect(() => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', inputShape: [1, 4, 4, 2], dilations: [1, 2] })).toThrow(
      /Conv2DBackpropInput on wasm supports dilation 1 only/,
    );
  });

  it('leaves no tensors behind, forward and backward', () => {
    expectNoLeak(() => runAndDispose(conv2dCase([1, 7, 6, 2], [3, 3, 2, 5], 2, 'same')));
  });
});
