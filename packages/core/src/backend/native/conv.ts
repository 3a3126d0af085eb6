import * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend, heapOffset, type WasmBackend } from '../wasm-kernels/heap.js';
import type { ConvPass, NativeAddon } from './addon.js';
import { writeOutput } from './kernel-utils.js';

type Shape4 = [number, number, number, number];

interface ConvAttrs {
  strides: number | [number, number];
  pad: tf.Conv2DAttrs['pad'];
  dataFormat?: string;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | [number, number];
}

/**
 * The geometry the addon takes, for an NHWC case it runs, or undefined: the caller falls back,
 * which also leaves every malformed case to the kernel below and its own error message.
 */
function geometry(xShape: number[], filterShape: number[], attrs: ConvAttrs): Int32Array | undefined {
  // Only 'NHWC': tfjs's kernels throw on 'channelsLast' (convertConv2DDataFormat), so must we.
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') return undefined;
  if (xShape.length !== 4 || filterShape.length !== 4 || xShape[3] !== filterShape[2]) return undefined;
  let c: tf.backend_util.Conv2DInfo;
  try {
    c = tf.backend_util.computeConv2DInfo(xShape as Shape4, filterShape as Shape4, attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  } catch {
    return undefined;
  }
  const { top, left, bottom, right } = c.padInfo;
  const g = [c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, c.outChannels, c.filterHeight, c.filterWidth,
    c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth, top, left];
  if (g.slice(0, 13).some((d) => !(d > 0)) || Math.min(top, left, bottom, right) < 0) return undefined;
  return Int32Array.from(g);
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const outShape = (g: Int32Array): number[] => [g[0]!, g[4]!, g[5]!, g[6]!];

/** The gradients' attrs carry no dilations in tfjs; one that does (dilated) is the fallback's to refuse. */
const undilated = (attrs: ConvAttrs) => attrs.dilations === undefined || [attrs.dilations].flat().every((d) => d === 1);

function run(addon: NativeAddon, backend: WasmBackend, pass: ConvPass, g: Int32Array, shape: number[], inputs: { x?: tf.TensorInfo; filter?: tf.TensorInfo; y?: tf.TensorInfo }) {
  const at = (t: tf.TensorInfo | undefined, out: number) => (t === undefined ? out : heapOffset(backend, t));
  return writeOutput(backend, shape, 'float32', (heap, out) => addon.conv2d(heap, pass, at(inputs.x, out), at(inputs.filter, out), at(inputs.y, out), g));
}

export function makeNativeConv2D(addon: NativeAddon, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const g = x.dtype === 'float32' && filter.dtype === 'float32' ? geometry(x.shape, filter.shape, args.attrs as unknown as ConvAttrs) : undefined;
    if (g === undefined) return fallback(args);
    return run(addon, asWasmBackend(args.backend), 'forward', g, outShape(g), { x, filter }) ?? fallback(args);
  };
}

export function makeNativeConv2DBackpropInput(addon: NativeAddon, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
    const floats = dy.dtype === 'float32' && filter.dtype === 'float32';
    const g = floats && undilated(attrs) ? geometry([...attrs.inputShape], filter.shape, attrs) : undefined;
    if (g === undefined || !sameShape(dy.shape, outShape(g))) return fallback(args);
    return run(addon, asWasmBackend(args.backend), 'backwardInput', g, [...attrs.inputShape], { filter, y: dy }) ?? fallback(args);
  };
}

export function makeNativeConv2DBackpropFilter(addon: NativeAddon, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
    const floats = x.dtype === 'float32' && dy.dtype === 'float32';
    const g = floats && undilated(attrs) ? geometry(x.shape, [...attrs.filterShape], attrs) : undefined;
    if (g === undefined || !sameShape(dy.shape, outShape(g))) return fallback(args);
    return run(addon, asWasmBackend(args.backend), 'backwardFilter', g, [...attrs.filterShape], { x, y: dy }) ?? fallback(args);
  };
}
