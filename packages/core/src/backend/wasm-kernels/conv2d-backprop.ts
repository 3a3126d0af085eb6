import * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend, type WasmBackend } from './heap.js';

/*
 * Conv2D gradients as one XNNPACK matmul each plus a JS gather/scatter (im2col / col2im):
 *   filter: dW [fh*fw*cin, cout] = colsᵀ [fh*fw*cin, P] x dy [P, cout]
 *   input:  dcols [P, fh*fw*cin] = dy [P, cout] x Wᵀ [cout, fh*fw*cin], then scattered into dx
 * with P = batch*outH*outW. NHWC, any strides and padding, dilation 1.
 */

function convInfo(kernel: string, xShape: number[], filterShape: number[], attrs: Record<string, unknown>) {
  const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`${kernel} on wasm supports dataFormat 'NHWC' only, got '${dataFormat}'`);
  }
  const dilations = (attrs as { dilations?: number | number[] }).dilations;
  if (dilations !== undefined && [dilations].flat().some((d) => d !== 1)) {
    throw new Error(`${kernel} on wasm supports dilation 1 only, got dilations ${JSON.stringify(dilations)}`);
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    strides, 1, pad, dimRoundingMode, false, 'channelsLast',
  );
}

type ConvInfo = ReturnType<typeof convInfo>;

/** Calls `visit(col, xIndex)` for every in-bounds (patch, filter tap, channel); col indexes cols [P, fh*fw*cin]. */
function forEachTap(c: ConvInfo, visit: (col: number, xIndex: number) => void): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = c;
  const { top, left } = c.padInfo;
  const taps = filterHeight * filterWidth * inChannels;
  let p = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++, p++) {
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight - top + kh;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth - left + kw;
            if (iw < 0 || iw >= inWidth) continue;
            const xBase = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const colBase = p * taps + (kh * filterWidth + kw) * inChannels;
            for (let ch = 0; ch < inChannels; ch++) visit(colBase + ch, xBase + ch);
          }
        }
      }
    }
  }
}

function matMul(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): tf.TensorInfo {
  const kernel = tf.getKernel(tf.BatchMatMul, 'wasm')!;
  return kernel.kernelFunc({ inputs: { a, b }, backend: backend as unknown as tf.KernelBackend, attrs: { transposeA, transposeB } }) as tf.TensorInfo;
}

export const conv2DBackpropFilter: tf.KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const backend = asWasmBackend(anyBackend);
  const c = convInfo('Conv2DBackpropFilter', x.shape, filterShape, attrs ?? {});
  const patches = c.batchSize * c.outHeight * c.outWidth;
  const taps = c.filterHeight * c.filterWidth * c.inChannels;
  const cols = backend.makeOutput([patches, taps], 'float32');
  const colVals = backend.typedArrayFromHeap(cols);
  const xVals = backend.typedArrayFromHeap(x);
  colVals.fill(0);
  forEachTap(c, (col, xi) => { colVals[col] = xVals[xi]!; });
  const dy2d: tf.TensorInfo = { dataId: dy.dataId, shape: [patches, c.outChannels], dtype: dy.dtype };
  try {
    const dw = matMul(backend, cols, dy2d, true, false);
    return { ...dw, shape: [...filterShape] };
  } finally {
    backend.disposeData(cols.dataId);
  }
};

export const conv2DBackpropInput: tf.KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const backend = asWasmBackend(anyBackend);
  const c = convInfo('Conv2DBackpropInput', [...inputShape], filter.shape, attrs ?? {});
  const patches = c.batchSize * c.outHeight * c.outWidth;
  const taps = c.filterHeight * c.filterWidth * c.inChannels;
  const dy2d: tf.TensorInfo = { dataId: dy.dataId, shape: [patches, c.outChannels], dtype: dy.dtype };
  const w2d: tf.TensorInfo = { dataId: filter.dataId, shape: [taps, c.outChannels], dtype: filter.dtype };
  const dcols = matMul(backend, dy2d, w2d, false, true);
  try {
    const dx = backend.makeOutput([...inputShape], 'float32');
    const dxVals = backend.typedArrayFromHeap(dx);
    const colVals = backend.typedArrayFromHeap(dcols);
    dxVals.fill(0);
    forEachTap(c, (col, xi) => { dxVals[xi]! += colVals[col]!; });
    return dx;
  } finally {
    backend.disposeData(dcols.dataId);
  }
};

