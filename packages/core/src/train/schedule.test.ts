import { describe, expect, it } from 'vitest';
import { warmupCosine } from './schedule.js';

describe('warmupCosine', () => {
  const c = { peak: 1e-3, warmupSteps: 10, totalSteps: 110, floorFraction: 0.1 };
  it('rises linearly to the peak, then decays by a cosine to the floor', () => {
    expect(warmupCosine(0, c)).toBeCloseTo(1e-4, 12);
    expect(warmupCosine(9, c)).toBeCloseTo(1e-3, 12);
    expect(warmupCosine(10, c)).toBeCloseTo(1e-3, 12);
    expect(warmupCosine(60, c)).toBeCloseTo(1e-4 + 0.5 * 9e-4, 12); // halfway: cos(pi/2) = 0
    expect(warmupCosine(110, c)).toBeCloseTo(1e-4, 12);
    expect(warmupCosine(500, c)).toBeCloseTo(1e-4, 12);
  });
  it('is monotone after warmup', () => {
    for (let s = 10; s < 110; s++) expect(warmupCosine(s + 1, c)).toBeLessThanOrEqual(warmupCosine(s, c));
  });
});
