import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { assertAllClose } from '../../testing/all-close.js';
import fixture from '../fixtures/log-mel.json' with { type: 'json' };
import { expectLeakFree } from '../test-utils.js';
import { hzToMel, LogMel, melFilterbank, melToHz } from './log-mel.js';

// Fixture: tools/reference/log_mel.py (numpy rfft in float64, cross-checked against torch.stft).
describe('LogMel', () => {
  it('matches the numpy/torch reference at the fp32 fixture tolerance (atol 1e-5, rtol 1e-4) on a sine and a chirp', () => {
    for (const c of fixture.cases) {
      const lm = new LogMel(c.config);
      const out = lm.apply(tf.tensor2d(c.waveform));
      const expected = c.logMel.flat(2);
      expect(out.shape).toEqual([c.logMel.length, c.logMel[0]!.length, c.config.nMels]);
      assertAllClose(out.dataSync(), expected, { atol: 1e-5, rtol: 1e-4 }, `logMel(${c.name})`);
      out.dispose();
      lm.dispose();
    }
  });

  it('puts a pure tone in the mel bin whose centre is nearest its frequency', () => {
    const config = { sampleRate: 16000, nFft: 512, hopLength: 256, nMels: 32 };
    const lm = new LogMel(config);
    const lo = hzToMel(0), hi = hzToMel(8000);
    const centres = Array.from({ length: 32 }, (_, m) => melToHz(lo + ((hi - lo) * (m + 1)) / 33));
    for (const m of [5, 12, 20]) {
      const f = centres[m]!;
      const wave = Float32Array.from({ length: 4096 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * f * i) / 16000));
      const out = lm.apply(tf.tensor2d(wave, [1, 4096]));
      const row = out.arraySync()[0]![8]!; // a frame away from the edges
      expect(row.indexOf(Math.max(...row))).toBe(m);
      out.dispose();
    }
    lm.dispose();
  });

  it('has the HTK filterbank shape and the frame count of torch.stft', () => {
    const lm = new LogMel({ sampleRate: 16000, nFft: 400, hopLength: 160, nMels: 40 });
    expect(lm.frames(16000)).toBe(101);
    expect(melFilterbank(lm.config).length).toBe(201 * 40);
    for (const b of [1, 2]) {
      const out = lm.apply(tf.zeros([b, 1600]) as tf.Tensor2D);
      expect(out.shape).toEqual([b, 11, 40]);
      expect(Math.min(...out.dataSync())).toBeCloseTo(Math.log(1e-6), 4); // silence sits on the floor
      out.dispose();
    }
    lm.dispose();
  });

  it('rejects bad configs and inputs with a message naming the value', () => {
    expect(() => new LogMel({ nFft: 64, hopLength: 32, nMels: 128 })).toThrow(/mel filter \d+ .* covers no DFT bin; raise nFft \(64\)/);
    expect(() => new LogMel({ sampleRate: 8000, fMax: 6000 })).toThrow(/fMax must not exceed sampleRate \/ 2/);
    expect(() => new LogMel({ nFt: 400 } as never)).toThrow(/nFt/);
    const lm = new LogMel({ nFft: 256, hopLength: 128, nMels: 16 });
    expect(() => lm.apply(tf.zeros([2, 100]) as tf.Tensor2D)).toThrow(/has 100 samples; needs at least 129/);
    expect(() => lm.apply(tf.zeros([2, 10, 3]) as unknown as tf.Tensor2D)).toThrow(/expected waveform \[B, samples\], got \[2, 10, 3\]/);
    lm.dispose();
    expect(() => lm.apply(tf.zeros([1, 400]) as tf.Tensor2D)).toThrow(/after dispose/);
  });

  it('does not leak', () => {
    const lm = new LogMel({ nFft: 256, hopLength: 128, nMels: 16 });
    const x = tf.ones([2, 1000]) as tf.Tensor2D;
    expectLeakFree(() => tf.dispose(lm.apply(x)));
    x.dispose();
    const before = tf.memory().numTensors;
    lm.dispose();
    expect(tf.memory().numTensors).toBe(before - 2); // the DFT basis and the filterbank
    new LogMel({ nFft: 256, hopLength: 128, nMels: 16 }).dispose();
    expect(tf.memory().numTensors).toBe(before - 2);
  });
});
