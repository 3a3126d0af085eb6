import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '../../train/register-gradients.js';
import { expectNoLeak, expectParity, runAndDispose } from './test-parity.js';
import type { OpCase } from './training-op-cases.js';

const sliceCase = (shape: number[], begin: number[], end: number[], strides: number[], masks: [number, number, number, number, number] = [0, 0, 0, 0, 0]): OpCase => ({
  name: `stridedSlice [${shape}] ${begin}:${end}:${strides} masks ${masks}`,
  shapes: [shape],
  fn: (x) => tf.stridedSlice(x!, begin, end, strides, ...masks),
});

describe('gradients added for training', () => {

  it.each([
    sliceCase([6, 7], [0, 1], [6, 7], [2, 3]),
    sliceCase([5, 4], [4, 3], [0, 0], [-1, -2]),
    sliceCase([4, 6], [0, 2], [0, 0], [1, 1], [1, 2, 0, 0, 0]),
    sliceCase([4, 3], [0, 0], [4, 3], [1, 1], [0, 0, 0, 1, 0]),
    sliceCase([1, 1], [0, 0], [1, 1], [1, 1]),
  ])('$name: forward and gradient match cpu', async (c) => {
    await expectParity(c);
  });

  // A strided slice with a shrunk axis is left out: tfjs 4.22's StridedSlice forward
  // mis-indexes it on both cpu and wasm (finalShapeSparse drops the shrunk axis).

  it('gives comparisons a zero gradient, so where(x > 0, ...) trains', async () => {
    await expectParity({ name: 'where', shapes: [[4, 5], [4, 5]], fn: (a, b) => tf.where(tf.logicalOr(tf.greater(a!, 0.3), tf.logicalNot(tf.notEqual(a!, b!))), a!, b!) });
    await expectParity({ name: 'lessEqual/equal', shapes: [[3, 3]], fn: (a) => tf.mul(tf.cast(tf.logicalAnd(tf.lessEqual(a!, 0.2), tf.equal(a!, a!)), 'float32'), a!) });
  });

  it('sums a broadcast matMul gradient back to each operand shape', () => {
    const a = tf.ones([2, 3, 4]);
    const w = tf.ones([4, 5]);
    const [ga, gw] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y)))([a, w]);
    expect(ga!.shape).toEqual([2, 3, 4]);
    expect(gw!.shape).toEqual([4, 5]);
    expect(Array.from(gw!.dataSync())).toEqual(new Array(20).fill(6));
  });

  it('leaves no tensors behind', () => {
    expectNoLeak(() => runAndDispose(sliceCase([5, 4], [4, 3], [0, 0], [-1, -2])));
  });
});
