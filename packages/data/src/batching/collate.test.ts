import { Rng } from '@modalab/core';
import { describe, expect, it } from 'vitest';
import { collateBatch, collateTokens, collateWaveforms, CollateError } from './collate.js';

const f32 = (...v: number[]): Float32Array => Float32Array.from(v);

describe('collateBatch', () => {
  it('stacks images to [B, H, W, C] with a presence mask (batch 1 and 2)', () => {
    const one = collateBatch([{ id: 'a', image: f32(1, 2, 3, 4) }], { image: { shape: [1, 2, 2] } });
    expect(one.image?.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(one.image!.data)).toEqual([1, 2, 3, 4]);
    const two = collateBatch([{ id: 'a', image: f32(1, 2, 3, 4) }, { id: 'b' }], { image: { shape: [1, 2, 2] } });
    expect(two.image?.shape).toEqual([2, 1, 2, 2]);
    expect(Array.from(two.image!.data)).toEqual([1, 2, 3, 4, 0, 0, 0, 0]);
    expect(Array.from(two.image!.present)).toEqual([1, 0]);
    expect(two.ids).toEqual(['a', 'b']);
  });

  it('pads token ids with padId to [B, T] with a 1/0 mask', () => {
    const b = collateBatch(
      [{ id: 'a', text: [5, 6, 7] }, { id: 'b', text: Int32Array.of(8) }, { id: 'c' }],
      { text: { padId: 0 } },
    );
    expect(b.text!.shape).toEqual([3, 3]);
    expect(Array.from(b.text!.data)).toEqual([5, 6, 7, 8, 0, 0, 0, 0, 0]);
    expect(Array.from(b.text!.mask)).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 0]);
    expect(Array.from(b.text!.lengths)).toEqual([3, 1, 0]);
    expect(Array.from(b.text!.present)).toEqual([1, 1, 0]);
  });

  it('mixes any subset of modalities per item, each with its own presence mask', () => {
    const b = collateBatch(
      [
        { id: 'img-only', image: f32(1, 1) },
        { id: 'audio-text', audio: f32(0.5, 0.25, 0.125), text: [3] },
      ],
      { image: { shape: [1, 1, 2] }, audio: { length: 2 }, text: { padId: 9, length: 2 } },
    );
    expect(Array.from(b.image!.present)).toEqual([1, 0]);
    expect(Array.from(b.audio!.present)).toEqual([0, 1]);
    expect(Array.from(b.text!.present)).toEqual([0, 1]);
    expect(Array.from(b.audio!.data)).toEqual([0, 0, 0.5, 0.25]);
    expect(Array.from(b.text!.data)).toEqual([9, 9, 3, 9]);
  });

  it('stacks video clips as bytes', () => {
    const b = collateBatch([{ id: 'v', video: Uint8Array.of(1, 2, 3, 4) }], { video: { shape: [2, 1, 1, 2] } });
    expect(b.video!.shape).toEqual([1, 2, 1, 1, 2]);
    expect(b.video!.data).toBeInstanceOf(Uint8Array);
  });

  it('names the item in shape errors', () => {
    const bad = () => collateBatch([{ id: 'ok', image: f32(1, 2, 3, 4) }, { id: 'cat-7', image: f32(1, 2, 3) }], { image: { shape: [1, 2, 2] } });
    expect(bad).toThrow(CollateError);
    expect(bad).toThrow(/item 'cat-7' image has 3 values, expected \[1, 2, 2\] = 4/);
    expect(() => collateBatch([{ id: 'long', text: [1, 2, 3] }], { text: { padId: 0, length: 2 } })).toThrow(/item 'long' text has 3 tokens, longer than length 2/);
    expect(() => collateBatch([{ id: 'x', text: [] }], { text: { padId: 0 } })).toThrow(/item 'x' text has no tokens/);
    expect(() => collateBatch([{ id: 'v', audio: f32(1) }], { image: { shape: [1, 1, 1] } })).toThrow(/item 'v' audio is present but the collate spec has no 'audio'/);
    expect(() => collateBatch([], {})).toThrow(/samples is empty/);
    expect(() => collateBatch([{ id: 'a' }], { image: { shape: [0, 1, 1] } })).toThrow(/image shape must be positive integers/);
  });
});

describe('collateTokens', () => {
  it('truncates only when asked', () => {
    const b = collateTokens([{ id: 'a', value: [1, 2, 3] }], { padId: 0, length: 2, truncate: true });
    expect(Array.from(b.data)).toEqual([1, 2]);
    expect(Array.from(b.lengths)).toEqual([2]);
  });
  it('an all-absent batch is one padded column', () => {
    const b = collateTokens([{ id: 'a', value: undefined }], { padId: 4 });
    expect(b.shape).toEqual([1, 1]);
    expect(Array.from(b.data)).toEqual([4]);
  });
});

describe('collateWaveforms', () => {
  const wave = f32(1, 2, 3, 4, 5);
  it('pads short waveforms with zeros and a mask', () => {
    const b = collateWaveforms([{ id: 'a', value: f32(1, 2) }], { length: 4 });
    expect(Array.from(b.data)).toEqual([1, 2, 0, 0]);
    expect(Array.from(b.mask)).toEqual([1, 1, 0, 0]);
  });
  it('crops from the start, the centre, or a seeded random offset', () => {
    expect(Array.from(collateWaveforms([{ id: 'a', value: wave }], { length: 3 }).data)).toEqual([1, 2, 3]);
    expect(Array.from(collateWaveforms([{ id: 'a', value: wave }], { length: 3, crop: 'center' }).data)).toEqual([2, 3, 4]);
    const r1 = collateWaveforms([{ id: 'a', value: wave }, { id: 'b', value: wave }], { length: 3, crop: 'random', rng: new Rng(5) });
    const r2 = collateWaveforms([{ id: 'a', value: wave }, { id: 'b', value: wave }], { length: 3, crop: 'random', rng: new Rng(5) });
    expect(Array.from(r1.data)).toEqual(Array.from(r2.data));
    expect(Array.from(r1.mask)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(() => collateWaveforms([{ id: 'a', value: wave }], { length: 3, crop: 'random' })).toThrow(/crop 'random' needs an rng/);
  });
});
