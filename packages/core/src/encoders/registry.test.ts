import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { createEncoder, ENCODER_KINDS, EncoderConfigSchema, type EncoderConfig } from './registry.js';
import { sinInput } from './test-utils.js';

// One tiny config and input per new kind (vit and text-transformer have their own suites).
const CASES: { config: unknown; input: (b: number) => tf.Tensor; dim: number }[] = [
  { config: { kind: 'convnet', stemWidth: 8, stageWidths: [8] }, input: (b) => sinInput([b, 16, 16, 3]), dim: 8 },
  {
    config: { kind: 'ast', frontEnd: { sampleRate: 8000, nFft: 64, hopLength: 32, nMels: 8 }, maxFrames: 32, patchTime: 4, patchMel: 4, width: 8, depth: 1, heads: 2 },
    input: (b) => sinInput([b, 800]),
    dim: 8,
  },
  { config: { kind: 'conv1d-audio', stemWidth: 8, stemKernel: 32, stemStride: 16, stageWidths: [8] }, input: (b) => sinInput([b, 400]), dim: 8 },
  {
    config: { kind: 'video', frames: 3, frame: { kind: 'convnet', stemWidth: 8, stageWidths: [8] }, temporal: { kind: 'transformer', depth: 1, heads: 2 } },
    input: (b) => sinInput([b, 3, 8, 8, 3]),
    dim: 8,
  },
];

describe('encoder registry', () => {
  it('builds every new kind from its config, giving [B, outputDim] at batch 1 and 2', () => {
    expect(ENCODER_KINDS).toEqual(['vit', 'convnet', 'text-transformer', 'ast', 'conv1d-audio', 'video']);
    for (const { config, input, dim } of CASES) {
      const enc = createEncoder(EncoderConfigSchema.parse(config), new Rng(0));
      expect(enc.outputDim).toBe(dim);
      for (const b of [1, 2]) {
        const x = input(b);
        const y = enc.apply(x as never);
        expect(y.shape).toEqual([b, dim]);
        tf.dispose([x, y]);
      }
      enc.dispose();
    }
  });

  it('fills video defaults: 8 frames and a temporal transformer', () => {
    const config = EncoderConfigSchema.parse({ kind: 'video', frame: { kind: 'convnet', stemWidth: 8, stageWidths: [8] } });
    expect(config).toMatchObject({ frames: 8, temporal: { kind: 'transformer', depth: 2, heads: 4, pool: 'cls' } });
  });

  it('names the registered kinds on a miss, and unknown keys by path', () => {
    expect(() => createEncoder({ kind: 'vitt' } as unknown as EncoderConfig, new Rng(0))).toThrow(
      /Unknown encoder 'vitt'. Registered: vit, convnet, text-transformer, ast, conv1d-audio, video/,
    );
    expect(() => EncoderConfigSchema.parse({ kind: 'conv1d-audio', batchNorm: true })).toThrow(/batchNorm/);
  });
});
