import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../random/rng.js';
import { expectLeakFree, mseTo, sgdSteps, sinInput } from '../test-utils.js';
import { AstConfigSchema, AudioSpectrogramTransformer } from './ast.js';

// 1600 samples at 8 kHz, 32-sample hop -> 51 frames; 4 x 4 patches over 16 mels -> 12 x 4 tokens.
const tiny = AstConfigSchema.parse({
  kind: 'ast',
  frontEnd: { sampleRate: 8000, nFft: 64, hopLength: 32, nMels: 16 },
  maxFrames: 64, patchTime: 4, patchMel: 4, width: 8, depth: 1, heads: 2,
});

describe('AudioSpectrogramTransformer', () => {
  it('takes a waveform or a log-mel at batch 1 and 2, and both paths agree', () => {
    const ast = new AudioSpectrogramTransformer(tiny, new Rng(0));
    for (const b of [1, 2]) {
      const wave = tf.mul(sinInput([b, 1600], 0.3), 0.5) as tf.Tensor2D;
      const fromWave = ast.apply(wave);
      const logMel = ast.frontEnd.apply(wave);
      expect(logMel.shape).toEqual([b, 51, 16]);
      const fromMel = ast.apply(logMel);
      expect(fromWave.shape).toEqual([b, 8]);
      expect(Array.from(fromMel.dataSync())).toEqual(Array.from(fromWave.dataSync()));
      tf.dispose([wave, fromWave, logMel, fromMel]);
    }
    // Shortest input: a single patch row; the positions table covers maxFrames.
    const y = ast.apply(sinInput([1, 4, 16]) as tf.Tensor3D);
    expect(y.shape).toEqual([1, 8]);
    y.dispose();
    ast.dispose();
  });

  it('rejects wrong ranks, mel counts and lengths, and bad configs, by message', () => {
    const ast = new AudioSpectrogramTransformer(tiny, new Rng(0));
    expect(() => ast.apply(tf.zeros([2, 10, 16, 1]) as unknown as tf.Tensor3D)).toThrow(/expected a waveform \[B, samples\] or log-mel \[B, frames, 16\], got \[2, 10, 16, 1\]/);
    expect(() => ast.apply(tf.zeros([2, 10, 12]) as tf.Tensor3D)).toThrow(/must have 16 mel bins, got \[2, 10, 12\]/);
    expect(() => ast.apply(tf.zeros([2, 3, 16]) as tf.Tensor3D)).toThrow(/gives 3 frames; expected 4 \(patchTime\) to 64 \(maxFrames\)/);
    expect(() => ast.apply(tf.zeros([1, 8000]) as tf.Tensor2D)).toThrow(/gives 251 frames/);
    expect(() => AstConfigSchema.parse({ ...tiny, patchMel: 5 })).toThrow(/nMels must be a multiple of patchMel/);
    expect(() => AstConfigSchema.parse({ ...tiny, heads: 3 })).toThrow(/width must be divisible by heads/);
    ast.dispose();
  });

  it('trains on this backend from a waveform: SGD lowers a loss and every parameter gets a gradient', () => {
    const ast = new AudioSpectrogramTransformer(tiny, new Rng(3));
    const wave = tf.mul(sinInput([4, 1600], 0.21), 0.5) as tf.Tensor2D;
    const target = sinInput([4, 8], 0.9);
    const report = sgdSteps(ast, () => tf.tidy(() => mseTo(ast.apply(wave), target)), 8, 0.1);
    console.log(`AST (width 8, depth 1, 16 mels, 51 frames -> 48 tokens, batch 4, ${ast.parameterCount()} params): ${report.msPerStep.toFixed(1)} ms/step on ${tf.getBackend()}`);
    expect(report.deadParams).toEqual([]);
    expect(report.losses.at(-1)!).toBeLessThan(report.losses[0]! * 0.9);
    ast.dispose();
  });

  it('does not leak', () => {
    const ast = new AudioSpectrogramTransformer(tiny, new Rng(0));
    const wave = sinInput([2, 800]) as tf.Tensor2D;
    expectLeakFree(() => tf.dispose(ast.apply(wave)));
    wave.dispose();
    ast.dispose();
    expect(() => ast.frontEnd.apply(wave)).toThrow(/after dispose/); // the front end's bases went with it
  });
});
