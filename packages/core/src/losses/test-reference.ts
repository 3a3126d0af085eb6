import { assertAllClose } from '../testing/all-close.js';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { Rng } from '../random/rng.js';
import { maxRelativeError } from '../testing/all-close.js';

/*
 * Plain float64 JS references of the losses, central finite differences and the PyTorch
 * fixtures, shared by the loss tests. Written from the papers' formulas, not from the tfjs
 * code, so a gradient check compares two independent derivations.
 */

export type Matrix = number[][];

const dot = (u: number[], v: number[]): number => u.reduce((s, x, k) => s + x * v[k]!, 0);
const norm = (u: number[]): number => Math.sqrt(dot(u, u));
const transpose = (m: Matrix): Matrix => m[0]!.map((_, j) => m.map((r) => r[j]!));
const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const eye = (n: number): Matrix => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));

export function logSumExp(xs: number[]): number {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
}

/** -log sigmoid(x) without overflow. */
const softplusNeg = (x: number): number => (x > 0 ? Math.log1p(Math.exp(-x)) : -x + Math.log1p(Math.exp(x)));

/** Mean over rows with a positive of the cross-entropy against targets uniform over the positives. */
function softTargetCe(logits: Matrix, mask: Matrix): number {
  const rows: number[] = [];
  logits.forEach((row, i) => {
    const pos = mask[i]!.map((m, j) => (m > 0 ? j : -1)).filter((j) => j >= 0);
    if (pos.length === 0) return;
    const lse = logSumExp(row);
    rows.push(mean(pos.map((j) => lse - row[j]!)));
  });
  return rows.length === 0 ? 0 : mean(rows);
}

export function infoNceRef(a: Matrix, b: Matrix, scale: number, mask: Matrix = eye(a.length)): { loss: number; aToB: number; bToA: number } {
  const logits = a.map((u) => b.map((v) => scale * dot(u, v)));
  const aToB = softTargetCe(logits, mask);
  const bToA = softTargetCe(transpose(logits), transpose(mask));
  return { loss: (aToB + bToA) / 2, aToB, bToA };
}

export function sigLipRef(image: Matrix, text: Matrix, t: number, bias: number, mask: Matrix = eye(image.length)): number {
  let sum = 0;
  image.forEach((u, i) => text.forEach((v, j) => (sum += softplusNeg((mask[i]![j]! > 0 ? 1 : -1) * (Math.exp(t) * dot(u, v) + bias)))));
  return sum / image.length;
}

export function tripletRef(a: Matrix, b: Matrix, margin: number, metric: 'cosine' | 'euclidean'): { loss: number; aToB: number; bToA: number } {
  const score = (u: number[], v: number[]) => (metric === 'cosine' ? dot(u, v) / (norm(u) * norm(v)) : -norm(u.map((x, k) => x - v[k]!)));
  const s = a.map((u) => b.map((v) => score(u, v)));
  const direction = (m: Matrix) => mean(m.map((row, i) => Math.max(0, margin - row[i]! + Math.max(...row.filter((_, j) => j !== i)))));
  const aToB = direction(s), bToA = direction(transpose(s));
  return { loss: (aToB + bToA) / 2, aToB, bToA };
}

export function alignmentRef(a: Matrix, b: Matrix, alpha = 2): number {
  return mean(a.map((u, i) => norm(u.map((x, k) => x - b[i]![k]!)) ** alpha));
}

export function uniformityRef(x: Matrix, t = 2): number {
  const pots: number[] = [];
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) pots.push(-t * norm(x[i]!.map((v, k) => v - x[j]![k]!)) ** 2);
  }
  return logSumExp(pots) - Math.log(pots.length);
}

export function bindingRef(emb: Record<string, Matrix>, scale: number, anchor?: string, reduction: 'mean' | 'sum' = 'mean'): number {
  const names = Object.keys(emb).sort();
  const pairs = anchor === undefined ? names.flatMap((m, i) => names.slice(i + 1).map((n) => [m, n] as const)) : names.filter((m) => m !== anchor).map((m) => [anchor, m] as const);
  const total = pairs.reduce((s, [m, n]) => s + infoNceRef(emb[m]!, emb[n]!, scale).loss, 0);
  return reduction === 'mean' ? total / pairs.length : total;
}

/** Central differences of f at x, flattened row-major like tfjs' dataSync. */
export function numericGradient(f: (x: Matrix) => number, x: Matrix, h = 1e-6): number[] {
  const out: number[] = [];
  x.forEach((row, i) =>
    row.forEach((_, k) => {
      const plus = x.map((r) => [...r]), minus = x.map((r) => [...r]);
      plus[i]![k]! += h;
      minus[i]![k]! -= h;
      out.push((f(plus) - f(minus)) / (2 * h));
    }),
  );
  return out;
}

export const numericDerivative = (f: (s: number) => number, s: number, h = 1e-6): number => (f(s + h) - f(s - h)) / (2 * h);

/** The bar: max relative error (floor 1e-3 on |expected|) below 1e-3, NaN failing. */
export function expectGradientClose(actual: tf.Tensor, expected: number[], what: string): void {
  const err = maxRelativeError(actual.dataSync(), expected);
  expect(err, `${what}: max relative error ${err}`).toBeLessThan(1e-3);
}

export function unitRows(rng: Rng, b: number, e: number): Matrix {
  return Array.from({ length: b }, () => {
    const v = Array.from({ length: e }, () => rng.normal());
    const n = norm(v);
    return v.map((x) => x / n);
  });
}

export function randomRows(rng: Rng, b: number, e: number): Matrix {
  return Array.from({ length: b }, () => Array.from({ length: e }, () => rng.normal()));
}

/** Runs fn once to warm up, then three times more, and expects the tensor count unchanged. */
export function expectNoLeak(fn: () => tf.TensorContainer): void {
  tf.dispose(fn());
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) tf.dispose(fn());
  expect(tf.memory().numTensors).toBe(before);
}

export interface FixtureCase {
  name: string;
  params: Record<string, unknown>;
  inputs: Record<string, number | Matrix>;
  outputs: Record<string, number>;
  grads: Record<string, number | Matrix>;
}

export interface LossFixture {
  script: string;
  torch: string;
  cases: FixtureCase[];
}

/** A fixture written by tools/reference/losses.py; checks it records where it came from. */
export function loadFixture(file: string): LossFixture {
  const doc = JSON.parse(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8')) as LossFixture;
  expect(doc.script).toBe('tools/reference/losses.py');
  expect(doc.cases.length).toBeGreaterThan(0);
  return doc;
}

export function fixtureCase(doc: LossFixture, name: string): FixtureCase {
  const c = doc.cases.find((x) => x.name === name);
  if (c === undefined) throw new Error(`fixture has no case '${name}'; it has: ${doc.cases.map((x) => x.name).join(', ')}`);
  return c;
}

/** A value of a fixture record as a matrix, or as a scalar; throws naming a missing key. */
export function matrixOf(record: Record<string, unknown>, key: string): Matrix {
  const v = record[key];
  if (!Array.isArray(v)) throw new Error(`fixture: '${key}' is not a matrix`);
  return v as Matrix;
}

export function scalarOf(record: Record<string, unknown>, key: string): number {
  const v = record[key];
  if (typeof v !== 'number') throw new Error(`fixture: '${key}' is not a number`);
  return v;
}

/** The fixture's float32 tolerance: float64 torch against float32 tfjs on float32-rounded inputs. */
export const FIXTURE_TOL = { atol: 1e-5, rtol: 1e-4 };

/**
 * For every case of a two-input loss fixture (inputs a, b): the named outputs and d loss / d(a, b)
 * against float64 PyTorch at FIXTURE_TOL.
 */
export function expectPairFixture<O extends { loss: tf.Scalar }>(
  file: string,
  run: (a: tf.Tensor2D, b: tf.Tensor2D, params: Record<string, unknown>) => O,
  outputs: ReadonlyArray<keyof O & string>,
): void {
  for (const c of loadFixture(file).cases) {
    const a = tf.tensor2d(matrixOf(c.inputs, 'a')), b = tf.tensor2d(matrixOf(c.inputs, 'b'));
    const out = run(a, b, c.params);
    for (const k of outputs) assertAllClose((out[k] as tf.Tensor).dataSync(), [scalarOf(c.outputs, k)], FIXTURE_TOL, `${c.name}: ${k}`);
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => run(x as tf.Tensor2D, y as tf.Tensor2D, c.params).loss)([a, b]);
    assertAllClose(ga!.dataSync(), matrixOf(c.grads, 'a').flat(), FIXTURE_TOL, `${c.name}: d/da`);
    assertAllClose(gb!.dataSync(), matrixOf(c.grads, 'b').flat(), FIXTURE_TOL, `${c.name}: d/db`);
    tf.dispose([a, b, ga!, gb!, ...(Object.values(out) as tf.Tensor[])]);
  }
}
