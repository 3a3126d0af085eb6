import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { maxRelError } from './compare.js';
import { runCase, runCasesOn } from './run-case.js';
import '../../train/register-gradients.js';
import { OP_CASES } from './training-op-cases.js';

// The probe: every op a CLIP-style training step uses, forward and backward on wasm, against cpu.
describe('training ops on wasm', () => {
  let cpu: Awaited<ReturnType<typeof runCasesOn>>;
  beforeAll(async () => {
    cpu = await runCasesOn('cpu', OP_CASES);
    expect(tf.getBackend()).toBe('wasm');
  });

  it.each(OP_CASES.map((c, i) => [c.name, i] as const))('%s: forward and gradient match cpu', (_name, i) => {
    const c = OP_CASES[i]!;
    const expected = cpu[i]!;
    expect(expected.error).toBeUndefined();
    const actual = runCase(c);
    expect(actual.error).toBeUndefined();
    expect(actual.values.length).toBe(expected.values.length);
    actual.values.forEach((v, j) => expect(maxRelError(v, expected.values[j]!), `output ${j}`).toBeLessThan(1e-4));
  });
});
