import * as tf from '@tensorflow/tfjs-core';

/*
 * Gradients tfjs-core lacks or gets wrong, found by the training-op probe. The gradient
 * registry is global, so these apply on every backend once registered.
 */

/** Comparisons and logic are piecewise constant: zero gradient, so `where(x > 0, ...)` trains. */
const ZERO_GRAD_KERNELS = [tf.Greater, tf.Less, tf.LessEqual, tf.Equal, tf.NotEqual, tf.LogicalAnd, tf.LogicalOr, tf.LogicalNot];

function zeroGrad(kernelName: string): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: kernelName === tf.LogicalNot ? ['x'] : ['a', 'b'],
    gradFunc: (_dy, saved): Record<string, () => tf.Tensor> => {
      const zeros = (t: tf.Tensor) => () => tf.zeros(t.shape, 'float32');
      return kernelName === tf.LogicalNot ? { x: zeros(saved[0]!) } : { a: zeros(saved[0]!), b: zeros(saved[1]!) };
    },
  };
}

/** Sums a broadcast gradient back to the operand's shape (tfjs-core 4.22 skips this for matMul). */
function reduceTo(grad: tf.Tensor, shape: number[]): tf.Tensor {
  if (tf.util.arraysEqual(grad.shape, shape)) return grad;
  const axes = tf.backend_util.getReductionAxes(shape, grad.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(grad, axes) : grad, shape);
}

/**
 * BatchMatMul with batch broadcasting (`[B, T, D] x [D, E]`, `[M, K] x [B, K, N]`): core's
 * gradient returns the broadcast shape and the tape rejects it.
 */
const batchMatMulGrad: tf.GradConfig = {
  kernelName: tf.BatchMatMul,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    const d = dy as tf.Tensor;
    let da: () => tf.Tensor;
    let db: () => tf.Tensor;
    if (!transposeA && !transposeB) {
      da = () => tf.matMul(d, b, false, true);
      db = () => tf.matMul(a, d, true, false);
    } else if (!transposeA && transposeB) {
      da = () => tf.matMul(d, b, false, false);
      db = () => tf.matMul(d, a, true, false);
    } else if (transposeA && !transposeB) {
      da = () => tf.matMul(b, d, false, true);
      db = () => tf.matMul(a, d, false, false);
    } else {
      da = () => tf.matMul(b, d, true, true);
      db = () => tf.matMul(d, a, true, true);
    }
    return { a: () => reduceTo(da(), a.shape), b: () => reduceTo(db(), b.shape) };
  },
};

/** StridedSlice: scatter dy back to the positions the slice read (any strides and masks). */
const stridedSliceGrad: tf.GradConfig = {
  kernelName: tf.StridedSlice,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    const a = attrs as unknown as tf.StridedSliceAttrs;
    const info = tf.slice_util.sliceInfo(x.shape, a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask, a.shrinkAxisMask);
    return {
      x: () => {
        // Per axis of x, how many elements the slice read (shrunk axes read 1). finalShapeSparse
        // is not this: it drops shrunk axes.
        const sparse = tf.slice_util.computeOutShape(info.begin, info.end, info.strides);
        const count = tf.util.sizeFromShape(sparse);
        const rank = x.shape.length;
        const indices = new Int32Array(count * rank);
        for (let i = 0; i < count; i++) {
          let rest = i;
          for (let dim = rank - 1; dim >= 0; dim--) {
            const coord = rest % sparse[dim]!;
            rest = Math.floor(rest / sparse[dim]!);
            indices[i * rank + dim] = info.begin[dim]! + coord * info.strides[dim]!;
          }
        }
        if (count === 0) return tf.zeros(x.shape);
        return tf.scatterND(tf.tensor2d(indices, [count, rank], 'int32'), tf.reshape(dy as tf.Tensor, [count]), x.shape);
      },
    };
  },
};

const GRADIENTS: tf.GradConfig[] = [...ZERO_GRAD_KERNELS.map(zeroGrad), batchMatMulGrad, stridedSliceGrad];

/** Registers the gradients above, replacing core's where it has one. Idempotent. */
export function registerTrainingGradients(): void {
  for (const config of GRADIENTS) {
    const current = tf.getGradient(config.kernelName);
    if (current === config) continue;
    if (current !== undefined) tf.unregisterGradient(config.kernelName);
    tf.registerGradient(config);
  }
}
