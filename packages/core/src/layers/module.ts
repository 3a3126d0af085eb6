import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';

/**
 * The base of every trainable piece: it owns named tf.Variables and child modules, and
 * lists them under dotted paths ("blocks.0.attn.qkv.weight") for optimizers and checkpoints.
 */
export abstract class Module {
  private readonly params = new Map<string, tf.Variable>();
  private readonly children = new Map<string, Module>();

  protected param(name: string, shape: number[], init: (size: number) => Float32Array, trainable = true): tf.Variable {
    if (this.params.has(name)) throw new Error(`Parameter '${name}' is defined twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    const initial = tf.tensor(init(size), shape, 'float32');
    const v = tf.variable(initial, trainable); // a copy: the initial tensor is ours to free
    initial.dispose();
    this.params.set(name, v);
    return v;
  }

  protected child<M extends Module>(name: string, module: M): M {
    if (this.children.has(name)) throw new Error(`Child module '${name}' is defined twice`);
    this.children.set(name, module);
    return module;
  }

  /** Every variable below this module, keyed by dotted path, in definition order. */
  namedVariables(prefix = ''): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [name, v] of this.params) out.set(prefix + name, v);
    for (const [name, m] of this.children) {
      for (const [k, v] of m.namedVariables(`${prefix}${name}.`)) out.set(k, v);
    }
    return out;
  }

  variables(): tf.Variable[] {
    return [...this.namedVariables().values()];
  }

  trainableVariables(): tf.Variable[] {
    return this.variables().filter((v) => v.trainable);
  }

  parameterCount(): number {
    return this.variables().reduce((n, v) => n + v.size, 0);
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    for (const m of this.children.values()) m.dispose();
    this.params.clear();
    this.children.clear();
  }
}

export const zeros = (size: number): Float32Array => new Float32Array(size);
export const ones = (size: number): Float32Array => new Float32Array(size).fill(1);
export const normalInit = (rng: Rng, std: number) => (size: number): Float32Array => rng.normalArray(size, std);
