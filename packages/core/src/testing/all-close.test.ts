import { describe, expect, it } from 'vitest';
import { assertAllClose, maxRelativeError } from './all-close.js';

describe('assertAllClose', () => {
  it('passes within tolerance and fails outside it, naming the index', () => {
    expect(() => assertAllClose([1, 2.000001], [1, 2])).not.toThrow();
    expect(() => assertAllClose([1, 2.1], [1, 2], {}, 'logits')).toThrow(/logits\[1\]: 2.1 vs expected 2/);
  });
  it('never treats NaN or Infinity as equal', () => {
    expect(() => assertAllClose([Number.NaN], [Number.NaN])).toThrow(/non-finite/);
    expect(() => assertAllClose([Infinity], [Infinity])).toThrow(/non-finite/);
    expect(maxRelativeError([Number.NaN], [1])).toBeNaN();
  });
  it('rejects length mismatches', () => {
    expect(() => assertAllClose([1], [1, 2])).toThrow(/length 1 != expected 2/);
  });
});
