import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

describe('Rng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xs);
  });
  it('continues identically from a saved state', () => {
    const a = new Rng(7);
    a.normal();
    const restored = Rng.fromState(a.state());
    expect(Array.from({ length: 10 }, () => restored.next())).toEqual(Array.from({ length: 10 }, () => a.next()));
  });
  it('draws uniforms in [0,1) and normals with mean 0, std 1', () => {
    const r = new Rng(1);
    const n = 20000;
    let s = 0, s2 = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      const z = r.normal();
      s += z;
      s2 += z * z;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03); // 4 standard errors
    expect(Math.abs(Math.sqrt(s2 / n) - 1)).toBeLessThan(0.03);
  });
  it('shuffles to a permutation and truncates normals at 2 std', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = new Rng(3).shuffle([...items]);
    expect([...shuffled].sort((x, y) => x - y)).toEqual(items);
    expect(shuffled).not.toEqual(items);
    const w = new Rng(4).normalArray(5000, 0.5);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(1.0000001);
  });
  it('rejects bad seeds, states and ranges', () => {
    expect(() => new Rng(Number.NaN)).toThrow(/finite/);
    expect(() => Rng.fromState([1, 2, 3])).toThrow(/4 unsigned 32-bit/);
    expect(() => new Rng(0).int(0)).toThrow(/positive integer/);
  });
});
