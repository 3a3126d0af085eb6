import * as tf from '@tensorflow/tfjs-core';

export interface MatmulCase {
  label: string;
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
}

/** Square products of size n, plain and transposed, and an attention-shaped batched product. */
export function matmulCases(sizes: number[]): MatmulCase[] {
  return sizes.flatMap((n) => [
    { label: `${n} plain`, a: [n, n], b: [n, n], transposeA: false, transposeB: false },
    { label: `${n} transposed (A^T B^T)`, a: [n, n], b: [n, n], transposeA: true, transposeB: true },
    { label: `${n / 8}x[${64},${n / 8}] batched (Q K^T)`, a: [n / 8, 64, n / 8], b: [n / 8, 64, n / 8], transposeA: false, transposeB: true },
  ]);
}

function flops(c: MatmulCase): number {
  const batch = c.a.length === 3 ? c.a[0]! : 1;
  const m = c.transposeA ? c.a[c.a.length - 1]! : c.a[c.a.length - 2]!;
  const k = c.transposeA ? c.a[c.a.length - 2]! : c.a[c.a.length - 1]!;
  const n = c.transposeB ? c.b[c.b.length - 2]! : c.b[c.b.length - 1]!;
  return 2 * batch * m * n * k;
}

/** GFLOP/s of one product, timed for at least minMs after a warm-up call. */
export async function matmulGflops(c: MatmulCase, minMs: number): Promise<number> {
  const a = tf.randomNormal(c.a, 0, 1, 'float32', 1);
  const b = tf.randomNormal(c.b, 0, 1, 'float32', 2);
  const run = async () => {
    const y = tf.matMul(a, b, c.transposeA, c.transposeB);
    await y.data();
    y.dispose();
  };
  await run();
  let reps = 0;
  const start = performance.now();
  while (performance.now() - start < minMs || reps < 2) {
    await run();
    reps++;
  }
  const seconds = (performance.now() - start) / 1000;
  tf.dispose([a, b]);
  return (flops(c) * reps) / seconds / 1e9;
}
