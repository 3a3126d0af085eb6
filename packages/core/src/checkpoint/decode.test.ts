import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { decodeCheckpoint } from './decode.js';
import { encodeCheckpoint } from './encode.js';
import { CheckpointError, HEADER_START, MAGIC_BYTES, alignUp } from './format.js';

const SRC = '/runs/demo/step-100.ckpt';

async function validBytes(): Promise<Uint8Array> {
  const tensors = { a: tf.tensor1d([1, 2, 3, 4]), b: tf.tensor1d([5, 6], 'int32') };
  const bytes = await encodeCheckpoint({ tensors, meta: { step: 100 } });
  tf.dispose(Object.values(tensors));
  return bytes;
}

function headerLength(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC_BYTES.length, true);
}

function dataStart(bytes: Uint8Array): number {
  return alignUp(HEADER_START + headerLength(bytes));
}

/** Rebuilds a file around a replacement header text, keeping the data section, with a correct header hash. */
function withHeaderText(bytes: Uint8Array, text: string): Uint8Array {
  const header = new TextEncoder().encode(text);
  const start = alignUp(HEADER_START + header.length);
  const data = bytes.subarray(dataStart(bytes));
  const out = new Uint8Array(start + data.length);
  out.set(MAGIC_BYTES);
  new DataView(out.buffer).setUint32(MAGIC_BYTES.length, header.length, true);
  out.set(createHash('sha256').update(header).digest(), MAGIC_BYTES.length + 4);
  out.set(header, HEADER_START);
  out.set(data, start);
  return out;
}

function withHeader(bytes: Uint8Array, edit: (h: Record<string, any>) => void): Uint8Array {
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(HEADER_START, HEADER_START + headerLength(bytes))));
  edit(h);
  return withHeaderText(bytes, JSON.stringify(h));
}

function refusal(bytes: Uint8Array): CheckpointError {
  try {
    decodeCheckpoint(bytes, SRC);
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    expect((e as Error).message.startsWith(`Cannot load checkpoint ${SRC}: `)).toBe(true);
    return e as CheckpointError;
  }
  throw new Error('expected decodeCheckpoint to refuse');
}

describe('decodeCheckpoint refusals', () => {
  it('accepts the untouched file', async () => {
    expect(decodeCheckpoint(await validBytes(), SRC).meta).toEqual({ step: 100 });
  });

  it('wrong magic: not a modalab checkpoint', async () => {
    const b = await validBytes();
    b[0] = 'X'.charCodeAt(0);
    expect(refusal(b).message).toMatch(/step-100\.ckpt: not a modalab checkpoint/);
    expect(refusal(new TextEncoder().encode('{"json": true}')).message).toMatch(/not a modalab checkpoint/);
    expect(refusal(new Uint8Array(0)).message).toMatch(/not a modalab checkpoint/);
  });

  it('truncated inside the preamble, the header, or the data', async () => {
    const b = await validBytes();
    expect(refusal(b.slice(0, MAGIC_BYTES.length + 2)).message).toMatch(/truncated: .*too short for the .*preamble/);
    expect(refusal(b.slice(0, HEADER_START + 5)).message).toMatch(/truncated: the header declares \d+ bytes but only 5 remain/);
    expect(refusal(b.slice(0, b.length - 1)).message).toMatch(/truncated: data of tensor 'b' ends at byte \d+ but the file has \d+ bytes/);
    expect(refusal(b.slice(0, dataStart(b) + 3)).message).toMatch(/truncated: data of tensor 'a'/);
  });

  it('a flipped data byte: checksum mismatch naming the tensor', async () => {
    const b = await validBytes();
    b[dataStart(b) + 2]! ^= 0x01;
    expect(refusal(b).message).toMatch(/checksum mismatch for tensor 'a'/);
    const c = await validBytes();
    c[c.length - 1]! ^= 0x80;
    expect(refusal(c).message).toMatch(/checksum mismatch for tensor 'b'/);
  });

  it('a flipped header byte: header checksum mismatch', async () => {
    const b = await validBytes();
    b[HEADER_START + 10]! ^= 0x01;
    expect(refusal(b).message).toMatch(/header checksum mismatch/);
  });

  it('a header that is not valid JSON (with a matching hash)', async () => {
    const b = await validBytes();
    expect(refusal(withHeaderText(b, '{"format": "modalab-checkpoint",')).message).toMatch(/header is not valid JSON/);
    expect(refusal(withHeaderText(b, '[1, 2]')).message).toMatch(/header is not a JSON object/);
    const badUtf8 = withHeaderText(b, '{"x": "??"}');
    badUtf8[HEADER_START + 7] = 0xff;
    // Re-hash so the UTF-8 check, not the checksum, is what refuses.
    const header = badUtf8.subarray(HEADER_START, HEADER_START + headerLength(badUtf8));
    badUtf8.set(createHash('sha256').update(header).digest(), MAGIC_BYTES.length + 4);
    expect(refusal(badUtf8).message).toMatch(/header is not valid JSON/);
  });

  it('an unknown dtype', async () => {
    const b = withHeader(await validBytes(), (h) => (h.tensors[0].dtype = 'float64'));
    expect(refusal(b).message).toMatch(/tensor 'a' has unknown dtype "float64" \(supported: float32, int32, bool\)/);
  });

  it('a shape whose element count does not match byteLength', async () => {
    const b = withHeader(await validBytes(), (h) => (h.tensors[0].shape = [5]));
    expect(refusal(b).message).toMatch(/tensor 'a' shape \[5\] has 5 float32 elements \(20 bytes\) but byteLength is 16/);
    const neg = withHeader(await validBytes(), (h) => (h.tensors[0].shape = [-4]));
    expect(refusal(neg).message).toMatch(/tensor 'a' shape \[-4\] is not a list of non-negative integers/);
    const huge = withHeader(await validBytes(), (h) => (h.tensors[0].shape = [2 ** 40, 2 ** 40]));
    expect(refusal(huge).message).toMatch(/tensor 'a' shape .* but byteLength is 16/);
  });

  it('duplicate names', async () => {
    const b = withHeader(await validBytes(), (h) => (h.tensors[1].name = 'a'));
    expect(refusal(b).message).toMatch(/duplicate tensor name 'a'/);
  });

  it('a version newer than supported, and nonsense versions', async () => {
    const b = withHeader(await validBytes(), (h) => (h.version = 2));
    expect(refusal(b).message).toMatch(
      /checkpoint format version 2 is newer than this modalab supports \(1\); upgrade modalab/,
    );
    expect(refusal(withHeader(await validBytes(), (h) => (h.version = 0))).message).toMatch(/version must be a positive integer, got 0/);
    expect(refusal(withHeader(await validBytes(), (h) => (h.version = '1'))).message).toMatch(/version must be a positive integer, got "1"/);
    // Editing the version byte in place, without re-hashing, is caught as corruption.
    const c = await validBytes();
    const at = new TextDecoder().decode(c).indexOf('"version":1') + '"version":'.length;
    c[at] = '2'.charCodeAt(0);
    expect(refusal(c).message).toMatch(/header checksum mismatch/);
  });

  it('other malformed headers', async () => {
    expect(refusal(withHeader(await validBytes(), (h) => (h.format = 'other'))).message).toMatch(/header format is "other", expected 'modalab-checkpoint'/);
    expect(refusal(withHeader(await validBytes(), (h) => (h.tensors = {}))).message).toMatch(/header tensors is not an array/);
    expect(refusal(withHeader(await validBytes(), (h) => (h.meta = [1]))).message).toMatch(/header meta is not a JSON object/);
    expect(refusal(withHeader(await validBytes(), (h) => (h.tensors[0].sha256 = 'abc'))).message).toMatch(/tensor 'a' sha256 is not 64/);
    expect(refusal(withHeader(await validBytes(), (h) => (h.tensors[0].offset = -8))).message).toMatch(/tensor 'a' offset -8 is not a non-negative integer/);
    expect(refusal(withHeader(await validBytes(), (h) => delete h.tensors[0].name)).message).toMatch(/header tensors\[0\] has no name/);
  });

  it('never evaluates header content: a __proto__ key in meta stays plain data', async () => {
    const b = withHeaderText(
      await validBytes(),
      JSON.stringify({ format: 'modalab-checkpoint', version: 1, tensors: [], meta: {}, createdAt: '' }).replace(
        '"meta":{}',
        '"meta":{"__proto__":{"polluted":true}}',
      ),
    );
    const d = decodeCheckpoint(b, SRC);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect((d.meta as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('decodes a Node Buffer into copies (Buffer.slice is a view, not a copy)', async () => {
    const buf = Buffer.from(await validBytes());
    const d = decodeCheckpoint(buf, SRC);
    expect(Array.from(d.tensors['a']!.values)).toEqual([1, 2, 3, 4]);
    expect(Array.from(d.tensors['b']!.values)).toEqual([5, 6]);
    expect(d.tensors['a']!.values.buffer).not.toBe(buf.buffer);
  });

  it('decodes from a view at a non-zero offset into a larger buffer', async () => {
    const b = await validBytes();
    const big = new Uint8Array(b.length + 3);
    big.set(b, 3);
    const d = decodeCheckpoint(big.subarray(3), SRC);
    expect(Array.from(d.tensors['a']!.values)).toEqual([1, 2, 3, 4]);
  });
});
