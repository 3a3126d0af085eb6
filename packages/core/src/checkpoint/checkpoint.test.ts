import { chmod, mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { toTensors } from './decode.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'modalab-ckpt-'));
});
afterEach(async () => {
  await chmod(dir, 0o755).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

async function saveFirst(file: string): Promise<Buffer> {
  const w = tf.tensor2d([[1, 2], [3, 4]]);
  await saveCheckpoint(file, { tensors: { w }, meta: { step: 1 } });
  w.dispose();
  return readFile(file);
}

describe('saveCheckpoint / loadCheckpoint', () => {
  it('round-trips through a file and leaves only that file in the folder', async () => {
    const file = path.join(dir, 'model.ckpt');
    await saveFirst(file);
    const w = tf.tensor2d([[5, 6], [7, 8]]);
    await saveCheckpoint(file, { tensors: { w }, meta: { step: 2 } }); // overwrite
    const loaded = await loadCheckpoint(file);
    expect(loaded.meta).toEqual({ step: 2 });
    const restored = toTensors(loaded);
    expect(Array.from(await restored['w']!.data())).toEqual([5, 6, 7, 8]);
    tf.dispose([w, restored['w']!]);
    expect(await readdir(dir)).toEqual(['model.ckpt']);
  });

  it('a tensor whose data() throws leaves the previous file byte-identical and no temp file', async () => {
    const file = path.join(dir, 'model.ckpt');
    const before = await saveFirst(file);
    const good = tf.scalar(1);
    const broken = Object.create(good) as tf.Tensor;
    broken.data = () => Promise.reject(new Error('device lost'));
    await expect(saveCheckpoint(file, { tensors: { good, zbroken: broken }, meta: {} })).rejects.toThrow(/tensor 'zbroken'.*device lost/);
    good.dispose();
    expect((await readFile(file)).equals(before)).toBe(true);
    expect(await readdir(dir)).toEqual(['model.ckpt']);
  });

  it('a rename that fails (target is a non-empty folder) removes the temp file', async () => {
    const target = path.join(dir, 'model.ckpt');
    await mkdir(target);
    await writeFile(path.join(target, 'keep'), 'x');
    const w = tf.scalar(2);
    await expect(saveCheckpoint(target, { tensors: { w }, meta: {} })).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST|EPERM/);
    w.dispose();
    expect(await readdir(dir)).toEqual(['model.ckpt']);
    expect(await readdir(target)).toEqual(['keep']);
  });

  it('a missing folder fails without creating anything', async () => {
    const w = tf.scalar(2);
    await expect(saveCheckpoint(path.join(dir, 'nope', 'model.ckpt'), { tensors: { w }, meta: {} })).rejects.toThrow(/ENOENT/);
    w.dispose();
    expect(await readdir(dir)).toEqual([]);
  });

  it('load names the file when it is missing or not a checkpoint', async () => {
    const missing = path.join(dir, 'missing.ckpt');
    await expect(loadCheckpoint(missing)).rejects.toThrow(/Cannot load checkpoint .*missing\.ckpt: no such file/);
    const notes = path.join(dir, 'notes.txt');
    await writeFile(notes, 'hello');
    await expect(loadCheckpoint(notes)).rejects.toThrow(/Cannot load checkpoint .*notes\.txt: not a modalab checkpoint/);
  });
});
