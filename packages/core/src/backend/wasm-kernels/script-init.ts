import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { registerWasmTrainingKernels } from './index.js';

/**
 * Makes wasm current for a standalone script (bench, probe). `patch: false` leaves wasm as
 * shipped, to measure or probe the baseline.
 */
export async function initWasmForScript(options: { patch: boolean }): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  if (options.patch) registerWasmTrainingKernels();
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
  await tf.ready();
}
