/**
 * ms per matmul on wasm as shipped vs with the fast routes of this folder, for the shapes of
 * a small CLIP training step (width 64, 4 heads of 16, 65 tokens, batch 128 -> 8192 rows).
 *   cd /work/main/experiments && npx tsx --conditions=source ../packages/core/src/backend/wasm-kernels/bench-matmul.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import { maxRelError } from './compare.js';
import { registerWasmTrainingKernels } from './index.js';
import { initWasmForScript } from './script-init.js';
import { seededValues } from './seeded.js';

interface Shape { label: string; a: number[]; b: number[]; tA: boolean; tB: boolean; fused?: boolean }

const SHAPES: Shape[] = [
  { label: 'dense fwd', a: [8192, 64], b: [64, 64], tA: false, tB: false },
  { label: 'dense dX (tB)', a: [8192, 64], b: [64, 64], tA: false, tB: true },
  { label: 'dense dW (tA)', a: [8192, 64], b: [8192, 64], tA: true, tB: false },
  { label: 'dense tA+tB', a: [64, 8192], b: [64, 64], tA: true, tB: true },
  { label: 'dense 3D x 2D', a: [128, 64, 64], b: [64, 64], tA: false, tB: false },
  { label: 'fused bias+relu fwd', a: [8192, 64], b: [64, 64], tA: false, tB: false, fused: true },
  { label: 'attn q.kT (tB)', a: [512, 65, 16], b: [512, 65, 16], tA: false, tB: true },
  { label: 'attn scores', a: [512, 65, 16], b: [512, 16, 65], tA: false, tB: false },
  { label: 'attn p.v', a: [512, 65, 65], b: [512, 65, 16], tA: false, tB: false },
  { label: 'attn dV = pT.dO (tA)', a: [512, 65, 65], b: [512, 65, 16], tA: true, tB: false },
  { label: 'attn dP = dO.vT (tB)', a: [512, 65, 16], b: [512, 65, 16], tA: false, tB: true },
  { label: 'attn dQ tA+tB', a: [512, 16, 65], b: [512, 65, 16], tA: true, tB: true },
];

function run(s: Shape, a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  return s.fused
    ? tf.fused.matMul({ a, b, bias, activation: 'relu', transposeA: s.tA, transposeB: s.tB })
    : tf.matMul(a, b, s.tA, s.tB);
}

function time(s: Shape): { ms: number; out: Float32Array } {
  const a = tf.tensor(seededValues(s.a.reduce((x, y) => x * y, 1), 1), s.a);
  const b = tf.tensor(seededValues(s.b.reduce((x, y) => x * y, 1), 2), s.b);
  const bias = tf.tensor(seededValues(s.b[s.b.length - (s.tB ? 2 : 1)]!, 3));
  const out = run(s, a, b, bias);
  const values = out.dataSync() as Float32Array;
  out.dispose();
  let reps = 0;
  const start = performance.now();
  while (performance.now() - start < 400 || reps < 3) {
    run(s, a, b, bias).dispose();
    reps++;
  }
  const ms = (performance.now() - start) / reps;
  tf.dispose([a, b, bias]);
  return { ms, out: values };
}

await initWasmForScript({ patch: false });
const before = SHAPES.map(time);
registerWasmTrainingKernels();
const after = SHAPES.map(time);

// Error relative to the largest |value|: both sides are float32 sums taken in different orders.
console.log(`| product | a | b | shipped ms | patched ms | speed-up | max err / max|value| |`);
console.log(`|---|---|---|---:|---:|---:|---:|`);
SHAPES.forEach((s, i) => {
  const [b0, a0] = [before[i]!, after[i]!];
  const flags = `${s.tA ? 'ᵀ' : ''}`;
  console.log(
    `| ${s.label} | [${s.a}]${flags} | [${s.b}]${s.tB ? 'ᵀ' : ''} | ${b0.ms.toFixed(2)} | ${a0.ms.toFixed(2)} | ${(b0.ms / a0.ms).toFixed(1)}x | ${maxRelError(a0.out, b0.out, b0.out.reduce((m, x) => Math.max(m, Math.abs(x)), 0)).toExponential(1)} |`,
  );
});
