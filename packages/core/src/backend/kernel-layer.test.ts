import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { KernelLayer } from './kernel-layer.js';

// A kernel name of our own on the cpu backend (always registered), so no real kernel is touched.
const NAME = 'ModalabKernelLayerProbe';
const backend = 'cpu';
const tag = (value: number): tf.KernelFunc => () => ({ dataId: {}, shape: [value], dtype: 'float32' });
const front = (): number => (tf.getKernel(NAME, backend)!.kernelFunc({ inputs: {}, backend: undefined as never, attrs: {} }) as tf.TensorInfo).shape[0]!;

describe('KernelLayer', () => {
  it('stacks layers by level, wraps what is below, skips a second wrap, and unwraps back down', () => {
    tf.registerKernel({ kernelName: NAME, backendName: backend, kernelFunc: tag(0) });
    const low = new KernelLayer(backend, 1);
    const high = new KernelLayer(backend, 2);
    const seen: Array<tf.KernelFunc | undefined> = [];
    low.wrap(NAME, (below) => (seen.push(below), tag(1)));
    high.wrap(NAME, (below) => (seen.push(below), tag(2)));
    expect(front()).toBe(2);
    expect(seen.map((f) => (f as () => tf.TensorInfo)().shape[0])).toEqual([0, 1]);
    expect(high.has(tf.getKernel(NAME, backend)!.kernelFunc)).toBe(true);

    low.wrap(NAME, () => tag(9)); // a higher layer is in front: nothing changes
    high.wrap(NAME, () => tag(9)); // already in front: nothing changes
    expect(front()).toBe(2);

    high.unwrap();
    expect(front()).toBe(1);
    low.unwrap([NAME]);
    expect(front()).toBe(0);
    low.unwrap(); // nothing of ours in front any more: a no-op
    expect(front()).toBe(0);
    tf.unregisterKernel(NAME, backend);
  });

  it('adds a kernel where none was registered, and unwrap leaves it (there is nothing to put back)', () => {
    const layer = new KernelLayer(backend, 1);
    layer.wrap(NAME, (below) => {
      expect(below).toBeUndefined();
      return tag(5);
    });
    layer.unwrap([NAME]);
    expect(front()).toBe(5);
    tf.unregisterKernel(NAME, backend);
  });
});
