import * as tf from '@tensorflow/tfjs-core';
import type { MatmulPlan } from './plan.js';

export function matmulFlops(c: Pick<MatmulPlan, 'a' | 'b' | 'transposeA' | 'transposeB'>): number {
  const batch = c.a.length === 3 ? c.a[0]! : 1;
  const m = c.transposeA ? c.a[c.a.length - 1]! : c.a[c.a.length - 2]!;
  const k = c.transposeA ? c.a[c.a.length - 2]! : c.a[c.a.length - 1]!;
  const n = c.transposeB ? c.b[c.b.length - 2]! : c.b[c.b.length - 1]!;
  return 2 * batch * m * n * k;
}

/**
 * GFLOP/s of one product, timed for at least minMs (and at least twice) after a warm-up call.
 * A product slower than minMs (2048 on wasm as shipped takes seconds) is timed on the calls
 * after the warm-up only, so the row costs about three products, not minutes.
 */
export async function matmulGflops(c: MatmulPlan): Promise<number> {
  const a = tf.randomNormal(c.a, 0, 1, 'float32', 1);
  const b = tf.randomNormal(c.b, 0, 1, 'float32', 2);
  const run = async () => {
    const y = tf.matMul(a, b, c.transposeA, c.transposeB);
    await y.data();
    y.dispose();
  };
  try {
    await run();
    let reps = 0;
    const start = performance.now();
    while (performance.now() - start < c.minMs || reps < 2) {
      await run();
      reps++;
    }
    return (matmulFlops(c) * reps) / ((performance.now() - start) / 1000) / 1e9;
  } finally {
    tf.dispose([a, b]);
  }
}
