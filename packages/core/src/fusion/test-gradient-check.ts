import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { Module } from '../layers/module.js';
import { lossWeights } from '../layers/test-torch-fixture.js';
import type { Array64, Params64 } from './test-float64-reference.js';

export const to64 = (t: tf.Tensor): Array64 => ({ data: Float64Array.from(t.dataSync()), shape: [...t.shape] });

export interface GradientCheckResult {
  /** max |y32 - y64| / max(|y64|, floor) of the forward outputs. */
  forward: number;
  /** max relative error of the tfjs gradient against central differences of the float64 reference. */
  gradient: number;
  worst: string;
  checked: number;
}

/**
 * Compares the tfjs gradient of sum(w * apply(inputs)) with respect to every parameter and every
 * input entry (or evenly spaced entries of large parameters) against central differences (step 1e-5) of a float64 plain-JS reference, whose
 * truncation and rounding errors (~1e-10) are far below the float32 error being measured.
 */
export function gradientCheck(
  module: Module,
  inputs: Record<string, tf.Tensor>,
  apply: (inputs: Record<string, tf.Tensor>) => tf.Tensor,
  reference: (params: Params64, inputs: ReadonlyMap<string, Array64>) => ArrayLike<number>,
  options: { floor?: number; maxEntriesPerParameter?: number } = {},
): GradientCheckResult {
  const floor = options.floor ?? 1e-2;
  const maxEntries = options.maxEntriesPerParameter ?? Number.POSITIVE_INFINITY;
  const params = new Map([...module.namedVariables()].map(([k, v]) => [k, to64(v)]));
  const refInputs = new Map(Object.entries(inputs).map(([k, v]) => [k, to64(v)]));
  const out = apply(inputs);
  const shape = [...out.shape];
  const w = lossWeights(out.size);
  const y32 = out.dataSync();
  out.dispose();
  const loss64 = (): number => {
    const y = reference(params, refInputs);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += w[i]! * y[i]!;
    return s;
  };
  const y64 = reference(params, refInputs);
  expect(y64.length).toBe(y32.length);
  let forward = 0;
  for (let i = 0; i < y32.length; i++) forward = Math.max(forward, Math.abs(y32[i]! - y64[i]!) / Math.max(Math.abs(y64[i]!), floor));

  // Inputs become variables for the duration of the check, so one variableGrads call covers everything.
  const inputVars = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.variable(v)]));
  const targets = new Map<string, { v: tf.Variable; ref: Array64 }>();
  for (const [k, v] of module.namedVariables()) targets.set(k, { v, ref: params.get(k)! });
  for (const [k, v] of Object.entries(inputVars)) targets.set(`input:${k}`, { v, ref: refInputs.get(k)! });
  const wt = tf.tensor(Float32Array.from(w), shape);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(apply(inputVars), wt)) as tf.Scalar, [...targets.values()].map((t) => t.v));

  const h = 1e-5;
  let gradient = 0, worst = '', checked = 0;
  for (const [name, { v, ref }] of targets) {
    const analytic = grads[v.name]!.dataSync();
    // Large parameters are checked at evenly spaced entries (inputs always in full) to bound the float64 work.
    const n = ref.data.length;
    const stride = name.startsWith('input:') ? 1 : Math.max(1, Math.ceil(n / maxEntries));
    for (let i = 0; i < n; i += stride) {
      const x = ref.data[i]!;
      ref.data[i] = x + h;
      const fp = loss64();
      ref.data[i] = x - h;
      const fm = loss64();
      ref.data[i] = x;
      const numeric = (fp - fm) / (2 * h);
      const err = Math.abs(analytic[i]! - numeric) / Math.max(Math.abs(numeric), floor);
      if (!(err <= gradient)) {
        gradient = Number.isFinite(err) ? err : Number.POSITIVE_INFINITY;
        worst = `${name}[${i}]: tfjs ${analytic[i]} vs float64 ${numeric}`;
      }
      checked++;
    }
  }
  tf.dispose([value, wt, ...Object.values(grads), ...Object.values(inputVars)]);
  return { forward, gradient, worst, checked };
}
