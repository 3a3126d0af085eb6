import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { assertAllClose, type Tolerance } from '../testing/all-close.js';
import type { Module } from './module.js';

/** Test support for the JSON fixtures written by tools/reference/*.py (see tools/reference/README.md). */
export interface FixtureTensor {
  shape: number[];
  data: number[];
}
export interface FixtureCase {
  inputs: Record<string, FixtureTensor>;
  masks?: Record<string, FixtureTensor>;
  options?: Record<string, unknown>;
  output: FixtureTensor;
  /** d sum(w * y) / d(parameter) by our dotted names, and by input:<name> for inputs. */
  grads: Record<string, FixtureTensor>;
}
export interface TorchFixture {
  script: string;
  torch: string;
  scale: number;
  cases: Record<string, FixtureCase>;
}

export function loadFixture(url: URL): TorchFixture {
  const doc = JSON.parse(readFileSync(url, 'utf8')) as TorchFixture;
  if (!doc.script.startsWith('tools/reference/') || doc.torch === undefined) throw new Error(`${url.pathname}: not a tools/reference fixture`);
  return doc;
}

/** Output weights of the scalar sum(w * y) the fixtures differentiate: float32(sin(1.3 i + 0.5)). */
export const lossWeights = (n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.sin(1.3 * i + 0.5));

export const fixtureTensor = (t: FixtureTensor): tf.Tensor => tf.tensor(t.data, t.shape, 'float32');

/**
 * Runs apply on the case's inputs and compares the output and the gradient of sum(w * y) with
 * respect to every parameter of the module and every input with the torch reference. Fails if
 * the fixture lacks a gradient for one of the module's parameters, so none goes unchecked.
 */
export function expectMatchesTorch(
  module: Module | undefined,
  c: FixtureCase,
  apply: (inputs: Record<string, tf.Tensor>) => tf.Tensor,
  tol: Tolerance,
): void {
  const named = new Map<string, tf.Variable>(module ? module.namedVariables() : []);
  expect([...named.keys()].filter((k) => c.grads[k] === undefined), 'parameters without a torch gradient').toEqual([]);
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, t]) => [k, tf.variable(fixtureTensor(t))]));
  for (const [k, v] of Object.entries(inputs)) named.set(`input:${k}`, v);
  const w = tf.tensor(Float32Array.from(lossWeights(c.output.data.length)), c.output.shape);
  const y = apply(inputs);
  expect(y.shape).toEqual(c.output.shape);
  assertAllClose(y.dataSync(), c.output.data, tol, 'output');
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(apply(inputs), w)) as tf.Scalar, [...named.values()]);
  for (const [name, v] of named) {
    const expected = c.grads[name];
    if (expected === undefined) throw new Error(`fixture has no gradient for '${name}'`);
    assertAllClose(grads[v.name]!.dataSync(), expected.data, tol, `grad ${name}`);
  }
  tf.dispose([y, w, value, ...Object.values(grads), ...Object.values(inputs)]);
}
