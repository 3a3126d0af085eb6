/**
 * A small seeded PRNG (sfc32) whose whole state is four 32-bit words, so a checkpoint can
 * store it and a resumed run draws the same numbers. Randomness in modalab always comes
 * from an Rng passed in explicitly, never from Math.random or a hidden global.
 */
export class Rng {
  private s: Uint32Array;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng seed must be a finite number, got ${seed}`);
    const s = seed >>> 0;
    this.s = new Uint32Array([0x9e3779b9, 0x243f6a88 ^ s, 0xb7e15162, s]);
    for (let i = 0; i < 15; i++) this.nextUint32(); // mix away the weak initial state
  }

  static fromState(state: readonly number[]): Rng {
    if (state.length !== 4 || state.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
      throw new Error(`Rng state must be 4 unsigned 32-bit integers, got ${JSON.stringify(state)}`);
    }
    const rng = new Rng(0);
    rng.s = new Uint32Array(state);
    return rng;
  }

  /** The state to store in a checkpoint. Spare normals are dropped so the state is 4 words. */
  state(): number[] {
    this.spareNormal = undefined;
    return Array.from(this.s);
  }

  /** An independent stream for a sub-component, derived deterministically from this one. */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }

  nextUint32(): number {
    const s = this.s;
    const t = (((s[0]! + s[1]!) >>> 0) + s[3]!) >>> 0;
    s[3] = (s[3]! + 1) >>> 0;
    s[0] = s[1]! ^ (s[1]! >>> 9);
    s[1] = (s[2]! + (s[2]! << 3)) >>> 0;
    s[2] = ((s[2]! << 21) | (s[2]! >>> 11)) >>> 0;
    s[2] = (s[2]! + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`Rng.int needs a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal;
      this.spareNormal = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }

  /** A Float32Array of normals scaled by std, optionally truncated at +-2 std (as ViT/CLIP init). */
  normalArray(size: number, std: number, truncate = true): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      let v = this.normal();
      while (truncate && Math.abs(v) > 2) v = this.normal();
      out[i] = v * std;
    }
    return out;
  }
}
