import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { decodeCheckpoint, toTensors } from './decode.js';
import { encodeCheckpoint } from './encode.js';
import { MAGIC } from './format.js';

// Bit patterns JSON or a float64 round trip would lose: quiet/signalling NaN with payloads,
// both infinities, negative zero, the smallest denormal, the largest finite float32.
const SPECIAL_BITS = [0x7fc00000, 0xffc00001, 0x7f800001, 0x7f800000, 0xff800000, 0x80000000, 0x00000001, 0x7f7fffff];

function bitsOf(a: Float32Array | Int32Array | Uint8Array): number[] {
  return Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

function makeState() {
  return {
    tensors: {
      w: tf.tensor2d([[1.5, -2], [3.25, 1e-30]], [2, 2], 'float32'),
      special: tf.tensor1d(new Float32Array(new Uint32Array(SPECIAL_BITS).buffer), 'float32'),
      ids: tf.tensor1d([0, -1, 2147483647, -2147483648], 'int32'),
      mask: tf.tensor2d([[true, false, true]], [1, 3], 'bool'),
      scalarF: tf.scalar(0.1, 'float32'),
      scalarI: tf.scalar(-7, 'int32'),
      scalarB: tf.scalar(true, 'bool'),
      emptyF: tf.zeros([0, 3], 'float32'),
      emptyI: tf.zeros([2, 0], 'int32'),
      emptyB: tf.zeros([0], 'bool'),
    } as Record<string, tf.Tensor>,
    meta: {
      step: 1200,
      config: { kind: 'dual-encoder', width: 8, layers: 2, dropout: 0, tags: ['a', 'b'], nothing: null },
      rng: { seed: 42, state: [1, 2, 3, 4] },
      tokenizer: { vocab: { '<pad>': 0, é: 1, '🙂': 2 }, merges: ['a b'] },
      optimizer: { kind: 'adam', lr: 3e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
    },
  };
}

describe('encodeCheckpoint / decodeCheckpoint', () => {
  it('round-trips float32, int32 and bool tensors bit-exactly, incl. scalars and zero-size shapes', async () => {
    const state = makeState();
    const decoded = decodeCheckpoint(await encodeCheckpoint(state));
    expect(decoded.version).toBe(1);
    expect(Object.keys(decoded.tensors).sort()).toEqual(Object.keys(state.tensors).sort());
    for (const [name, t] of Object.entries(state.tensors)) {
      const d = decoded.tensors[name]!;
      expect(d.dtype, name).toBe(t.dtype);
      expect(d.shape, name).toEqual(t.shape);
      const expected = await t.data();
      expect(d.values.length, name).toBe(t.size);
      expect(bitsOf(d.values), name).toEqual(bitsOf(expected as Float32Array));
    }
    expect(decoded.tensors['special']!.values).toBeInstanceOf(Float32Array);
    expect(Array.from(new Uint32Array(decoded.tensors['special']!.values.buffer))).toEqual(SPECIAL_BITS);
    expect(decoded.tensors['ids']!.values).toBeInstanceOf(Int32Array);
    expect(Array.from(decoded.tensors['mask']!.values)).toEqual([1, 0, 1]);
    expect(decoded.tensors['scalarF']!.shape).toEqual([]);
    tf.dispose(Object.values(state.tensors));
  });

  it('round-trips meta exactly', async () => {
    const state = makeState();
    const decoded = decodeCheckpoint(await encodeCheckpoint(state));
    expect(decoded.meta).toStrictEqual(state.meta);
    tf.dispose(Object.values(state.tensors));
  });

  it('toTensors rebuilds equal tensors', async () => {
    const state = makeState();
    const restored = toTensors(decodeCheckpoint(await encodeCheckpoint(state)));
    for (const [name, t] of Object.entries(state.tensors)) {
      const r = restored[name]!;
      expect(r.dtype, name).toBe(t.dtype);
      expect(r.shape, name).toEqual(t.shape);
      expect(bitsOf((await r.data()) as Float32Array), name).toEqual(bitsOf((await t.data()) as Float32Array));
    }
    tf.dispose(Object.values(restored));
    tf.dispose(Object.values(state.tensors));
  });

  it('is deterministic for a fixed createdAt and lays data out 8-byte aligned', async () => {
    const state = makeState();
    const createdAt = new Date('2024-01-02T03:04:05.000Z');
    const a = await encodeCheckpoint(state, { createdAt });
    const b = await encodeCheckpoint(state, { createdAt });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(new TextDecoder().decode(a.subarray(0, MAGIC.length))).toBe(MAGIC);
    const decoded = decodeCheckpoint(a);
    expect(decoded.createdAt).toBe('2024-01-02T03:04:05.000Z');
    tf.dispose(Object.values(state.tensors));
  });

  it('encodes an empty state', async () => {
    const decoded = decodeCheckpoint(await encodeCheckpoint({ tensors: {}, meta: {} }));
    expect(decoded.tensors).toEqual({});
    expect(decoded.meta).toEqual({});
  });

  it('refuses what it cannot store exactly, naming the tensor or the meta path', async () => {
    const disposed = tf.scalar(1);
    disposed.dispose();
    await expect(encodeCheckpoint({ tensors: { gone: disposed }, meta: {} })).rejects.toThrow(/tensor 'gone': it is disposed/);
    const c = tf.tensor1d(['a', 'b'], 'string');
    await expect(encodeCheckpoint({ tensors: { z: c }, meta: {} })).rejects.toThrow(/tensor 'z': dtype 'string' is not one of float32, int32, bool/);
    c.dispose();
    await expect(encodeCheckpoint({ tensors: { x: [1, 2] as unknown as tf.Tensor }, meta: {} })).rejects.toThrow(/tensor 'x': expected a tf.Tensor, received Array/);
    await expect(encodeCheckpoint({ tensors: {}, meta: { lr: NaN } })).rejects.toThrow(/meta.lr: NaN is not representable in JSON/);
    await expect(encodeCheckpoint({ tensors: {}, meta: { f: () => 1 } })).rejects.toThrow(/meta.f: expected a JSON value, received function/);
    await expect(encodeCheckpoint({ tensors: {}, meta: { when: new Date(0) } })).rejects.toThrow(/meta.when: expected a plain object, received Date/);
    await expect(encodeCheckpoint({ tensors: {}, meta: { a: [1, undefined] } })).rejects.toThrow(/meta.a\[1\]: undefined in an array/);
    await expect(encodeCheckpoint({ tensors: {}, meta: { n: 1n } })).rejects.toThrow(/meta.n: expected a JSON value, received bigint/);
    const loop: Record<string, unknown> = {};
    loop['self'] = loop;
    await expect(encodeCheckpoint({ tensors: {}, meta: { loop } })).rejects.toThrow(/meta.loop.self: circular reference/);
    await expect(encodeCheckpoint({ tensors: {}, meta: [] as unknown as Record<string, unknown> })).rejects.toThrow(/meta: expected a plain object, received Array/);
  });

  it('names the tensor whose data() throws', async () => {
    const t = tf.scalar(1);
    const broken = Object.create(t) as tf.Tensor;
    broken.data = () => Promise.reject(new Error('device lost'));
    await expect(encodeCheckpoint({ tensors: { broken }, meta: {} })).rejects.toThrow(/tensor 'broken': reading its data failed: .*device lost/);
    t.dispose();
  });

  it('does not leak tensors across encode, decode, toTensors and dispose', async () => {
    const state = makeState();
    const cycle = async () => {
      const restored = toTensors(decodeCheckpoint(await encodeCheckpoint(state)));
      tf.dispose(Object.values(restored));
    };
    await cycle(); // warm-up: backends may allocate lazily on first use
    const before = tf.memory().numTensors;
    await cycle();
    await cycle();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(state.tensors));
  });
});
