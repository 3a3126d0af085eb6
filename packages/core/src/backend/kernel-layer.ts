import * as tf from '@tensorflow/tfjs-core';

/** Every layer's kernel functions with the layer's level, so none wraps over a higher layer. */
const levels = new Map<tf.KernelFunc, number>();

/**
 * A set of kernel overrides for one backend, each wrapping the kernel registered below it (its
 * fallback) and removable again. modalab's wasm routes (level 1) sit under the native kernels
 * (level 2): a layer wraps lower ones but never a higher one, so one installed after a higher
 * layer leaves that in front.
 */
export class KernelLayer {
  private readonly ours = new Set<tf.KernelFunc>();
  /** The kernels this layer replaced, by name, to put back on unwrap. */
  private readonly below = new Map<string, tf.KernelConfig>();

  constructor(
    private readonly backendName: string,
    private readonly level: number,
  ) {}

  /** Whether `kernelFunc` is one of this layer's. */
  has(kernelFunc: tf.KernelFunc): boolean {
    return this.ours.has(kernelFunc);
  }

  /**
   * Registers make(kernel below) under `name`, or make(undefined) where nothing is registered.
   * Does nothing where this layer's kernel, or a higher layer's (which then wraps this one), is
   * already in front.
   */
  wrap(name: string, make: (below: tf.KernelFunc | undefined) => tf.KernelFunc): void {
    const current = tf.getKernel(name, this.backendName);
    if (current !== undefined && (levels.get(current.kernelFunc) ?? 0) >= this.level) return;
    const kernelFunc = make(current?.kernelFunc);
    this.ours.add(kernelFunc);
    levels.set(kernelFunc, this.level);
    if (current !== undefined) {
      this.below.set(name, current);
      tf.unregisterKernel(name, this.backendName);
    }
    // The replaced kernel's setupFunc has run (or will, at backend init): our fallback calls into what it prepares.
    tf.registerKernel({ ...current, kernelName: name, backendName: this.backendName, kernelFunc });
  }

  /** Puts back the kernels this layer replaced (those it added where nothing was stay), where its own are still in front. */
  unwrap(names: Iterable<string> = [...this.below.keys()]): void {
    for (const name of names) {
      const current = tf.getKernel(name, this.backendName);
      const replaced = this.below.get(name);
      if (current === undefined || replaced === undefined || !this.ours.has(current.kernelFunc)) continue;
      tf.unregisterKernel(name, this.backendName);
      tf.registerKernel(replaced);
    }
  }
}
