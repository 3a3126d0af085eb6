import * as tf from '@tensorflow/tfjs-core';
import { seededInts, seededValues } from './seeded.js';

/**
 * The ops a CLIP-style training step runs, each as a differentiable function of float inputs.
 * The probe and the parity test run every case forward and backward on wasm and on cpu.
 */
export interface OpCase {
  name: string;
  /** Shapes of the differentiable float inputs. */
  shapes: number[][];
  /** Value range of the inputs (positive for log, sqrt, pow). */
  range?: [number, number];
  fn: (...xs: tf.Tensor[]) => tf.Tensor;
}

const ints = (shape: number[], n: number, seed: number): tf.Tensor =>
  tf.tensor(seededInts(shape.reduce((a, b) => a * b, 1), seed, n), shape, 'int32');

function layerNorm(x: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
}

function geluTanh(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

const geluErf = (x: tf.Tensor): tf.Tensor => tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));

export const OP_CASES: OpCase[] = [
  { name: 'matMul', shapes: [[5, 7], [7, 3]], fn: (a, b) => tf.matMul(a!, b!) },
  { name: 'matMul transposeA', shapes: [[7, 5], [7, 3]], fn: (a, b) => tf.matMul(a!, b!, true, false) },
  { name: 'matMul transposeB', shapes: [[5, 7], [3, 7]], fn: (a, b) => tf.matMul(a!, b!, false, true) },
  { name: 'matMul transposeA+B', shapes: [[7, 5], [3, 7]], fn: (a, b) => tf.matMul(a!, b!, true, true) },
  { name: 'matMul batched 3D', shapes: [[4, 5, 6], [4, 6, 3]], fn: (a, b) => tf.matMul(a!, b!) },
  { name: 'matMul batched 4D transposeB', shapes: [[2, 3, 5, 4], [2, 3, 6, 4]], fn: (a, b) => tf.matMul(a!, b!, false, true) },
  { name: 'matMul broadcast b', shapes: [[2, 3, 5, 4], [4, 6]], fn: (a, b) => tf.matMul(a!, b!) },
  { name: 'fused.matMul bias+relu', shapes: [[6, 5], [5, 4], [4]], fn: (a, b, c) => tf.fused.matMul({ a: a!, b: b!, bias: c!, activation: 'relu' }) },
  { name: 'gather (embedding)', shapes: [[11, 6]], fn: (e) => tf.gather(e!, ints([3, 5], 11, 7)) },
  { name: 'softmax', shapes: [[4, 9]], fn: (x) => tf.softmax(x!) },
  { name: 'logSoftmax', shapes: [[4, 9]], fn: (x) => tf.logSoftmax(x!) },
  { name: 'layerNorm (moments, rsqrt)', shapes: [[3, 4, 8]], fn: (x) => layerNorm(x!) },
  { name: 'gelu erf', shapes: [[5, 6]], fn: (x) => geluErf(x!) },
  { name: 'gelu tanh (pow)', shapes: [[5, 6]], fn: (x) => geluTanh(x!) },
  { name: 'quickGelu (sigmoid)', shapes: [[5, 6]], fn: (x) => tf.mul(x!, tf.sigmoid(tf.mul(1.702, x!))) },
  { name: 'tanh', shapes: [[5, 6]], fn: (x) => tf.tanh(x!) },
  { name: 'pow', shapes: [[5, 6], [5, 6]], range: [0.5, 2], fn: (a, b) => tf.pow(a!, b!) },
  { name: 'exp', shapes: [[5, 6]], fn: (x) => tf.exp(x!) },
  { name: 'log', shapes: [[5, 6]], range: [0.5, 2], fn: (x) => tf.log(x!) },
  { name: 'clipByValue', shapes: [[5, 6]], fn: (x) => tf.clipByValue(x!, -0.5, 0.5) },
  { name: 'where/greater', shapes: [[5, 6], [5, 6]], fn: (a, b) => tf.where(tf.greater(a!, 0), a!, b!) },
  { name: 'where/greaterEqual/less', shapes: [[5, 6], [5, 6]], fn: (a, b) => tf.where(tf.logicalAnd(tf.greaterEqual(a!, -0.5), tf.less(a!, 0.5)), a!, tf.mul(b!, a!)) },
  { name: 'maximum/minimum', shapes: [[5, 6], [5, 6]], fn: (a, b) => tf.add(tf.maximum(a!, b!), tf.minimum(a!, tf.mul(b!, 2))) },
  { name: 'concat', shapes: [[3, 4], [3, 2]], fn: (a, b) => tf.concat([a!, b!], 1) },
  { name: 'slice', shapes: [[5, 6]], fn: (x) => tf.slice(x!, [1, 2], [3, 3]) },
  { name: 'stridedSlice', shapes: [[6, 7]], fn: (x) => tf.stridedSlice(x!, [0, 1], [6, 7], [2, 3]) },
  { name: 'reshape/transpose', shapes: [[2, 3, 4]], fn: (x) => tf.transpose(tf.reshape(x!, [6, 4]), [1, 0]) },
  { name: 'transpose 4D (heads)', shapes: [[2, 5, 3, 4]], fn: (x) => tf.transpose(x!, [0, 2, 1, 3]) },
  { name: 'sum/mean/max', shapes: [[4, 7]], fn: (x) => tf.add(tf.add(tf.sum(x!, 1), tf.mean(x!, 1)), tf.max(x!, 1)) },
  { name: 'oneHot * x', shapes: [[6, 5]], fn: (x) => tf.mul(tf.oneHot(ints([6], 5, 3), 5), x!) },
  { name: 'conv1d', shapes: [[2, 9, 3], [3, 3, 4]], fn: (x, w) => tf.conv1d(x! as tf.Tensor3D, w! as tf.Tensor3D, 2, 'same') },
  { name: 'conv2d valid stride 1', shapes: [[2, 6, 5, 3], [3, 2, 3, 4]], fn: (x, w) => tf.conv2d(x! as tf.Tensor4D, w! as tf.Tensor4D, 1, 'valid') },
  { name: 'conv2d same stride 2', shapes: [[1, 7, 6, 2], [3, 3, 2, 5]], fn: (x, w) => tf.conv2d(x! as tf.Tensor4D, w! as tf.Tensor4D, 2, 'same') },
  { name: 'conv2d patch embed', shapes: [[2, 8, 8, 3], [4, 4, 3, 6]], fn: (x, w) => tf.conv2d(x! as tf.Tensor4D, w! as tf.Tensor4D, 4, 'valid') },
  { name: 'avgPool', shapes: [[2, 6, 6, 3]], fn: (x) => tf.avgPool(x! as tf.Tensor4D, 2, 2, 'valid') },
  { name: 'pad', shapes: [[3, 4]], fn: (x) => tf.pad(x!, [[1, 0], [2, 1]]) },
  { name: 'tile', shapes: [[1, 3, 4]], fn: (x) => tf.tile(x!, [2, 1, 2]) },
  { name: 'expandDims/squeeze', shapes: [[3, 4]], fn: (x) => tf.squeeze(tf.mul(tf.expandDims(x!, 1), 2), [1]) },
  { name: 'sqrt', shapes: [[5, 6]], range: [0.5, 2], fn: (x) => tf.sqrt(x!) },
  { name: 'square', shapes: [[5, 6]], fn: (x) => tf.square(x!) },
  { name: 'div', shapes: [[5, 6], [5, 6]], range: [0.5, 2], fn: (a, b) => tf.div(a!, b!) },
  { name: 'neg/abs', shapes: [[5, 6]], fn: (x) => tf.add(tf.neg(x!), tf.mul(tf.abs(x!), 3)) },
  { name: 'cast', shapes: [[5, 6]], fn: (x) => tf.mul(tf.cast(tf.cast(x!, 'float32'), 'float32'), x!) },
  { name: 'l2 normalize (CLIP)', shapes: [[4, 8]], fn: (x) => tf.div(x!, tf.norm(x!, 'euclidean', -1, true)) },
];

/** The case's inputs as tensors on the current backend. */
export function caseInputs(c: OpCase, seed = 1): tf.Tensor[] {
  const [lo, hi] = c.range ?? [-1, 1];
  return c.shapes.map((shape, i) => tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed + 31 * i, lo, hi), shape));
}

/**
 * A scalar loss of the case's output, weighted so every output element gets a distinct
 * upstream gradient (a plain sum would hide transposition mistakes).
 */
export function caseLoss(c: OpCase): (...xs: tf.Tensor[]) => tf.Scalar {
  return (...xs) => {
    const y = c.fn(...xs);
    const w = tf.sin(tf.reshape(tf.range(1, y.size + 1), y.shape));
    return tf.sum(tf.mul(y, w));
  };
}
