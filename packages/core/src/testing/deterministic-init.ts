import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../layers/module.js';

/** 32-bit FNV-1a of a parameter name; tools/reference/deterministic_weights.py computes the same, so both sides agree without sharing an RNG. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i) & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * scale * sin(0.7 i + phase(name)) for i in [0, size): the torchmultimodal trick of filling
 * weights from sin(arange) so golden numbers need no RNG parity. The phase comes from the name
 * so no two parameters (e.g. q and k) are equal, which would hide a transposed layout.
 */
export function deterministicPattern(name: string, size: number, scale = 0.3): Float32Array {
  const phase = ((fnv1a32(name) % 10007) / 10007) * 2 * Math.PI;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = scale * Math.sin(0.7 * i + phase);
  return out;
}

/** Overwrites every variable of a module (row-major, our layouts) with deterministicPattern of its dotted name. */
export function deterministicInit(module: Module, scale = 0.3): void {
  for (const [name, v] of module.namedVariables()) {
    tf.tidy(() => v.assign(tf.tensor(deterministicPattern(name, v.size, scale), v.shape, 'float32')));
  }
}
