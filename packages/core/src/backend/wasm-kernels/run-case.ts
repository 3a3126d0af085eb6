import * as tf from '@tensorflow/tfjs-core';
import { caseInputs, caseLoss, type OpCase } from './training-op-cases.js';

export interface CaseResult {
  /** Forward output, then one gradient per input, read back as plain arrays. */
  values: Float32Array[];
  error?: string;
}

/** Runs a case forward and backward on the current backend; an error is returned, not thrown. */
export function runCase(c: OpCase, seed = 1): CaseResult {
  try {
    const values = tf.tidy(() => {
      const xs = caseInputs(c, seed);
      const y = c.fn(...xs);
      const grads = tf.grads(caseLoss(c))(xs);
      return [y, ...grads].map((t) => Float32Array.from(t.dataSync() as ArrayLike<number>));
    });
    return { values };
  } catch (err) {
    return { values: [], error: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  }
}

/** Runs every case on `backend`, restoring the previous backend after. */
export async function runCasesOn(backend: string, cases: OpCase[], seed = 1): Promise<CaseResult[]> {
  const previous = tf.getBackend();
  if (backend === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend(backend);
  try {
    return cases.map((c) => runCase(c, seed));
  } finally {
    await tf.setBackend(previous);
  }
}
