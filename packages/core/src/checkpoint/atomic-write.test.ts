import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// Each failure point of writeFileAtomic is forced through the fs module it imports, so the
// test shows the target survives a crash at that exact step.
const failAt = vi.hoisted(() => ({ step: undefined as undefined | 'write' | 'sync' | 'rename' }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const boom = (step: string) => Object.assign(new Error(`injected ${step} failure`), { code: 'EIO' });
  return {
    ...real,
    open: async (...args: Parameters<typeof real.open>) => {
      const handle = await real.open(...args);
      if (args[1] !== 'wx') return handle;
      // Partially write, then fail, to model a full disk or I/O error midway.
      const writeFile = handle.writeFile.bind(handle);
      const sync = handle.sync.bind(handle);
      return Object.assign(handle, {
        writeFile: async (data: Uint8Array) => {
          if (failAt.step !== 'write') return writeFile(data);
          await writeFile(data.subarray(0, Math.floor(data.length / 2)));
          throw boom('write');
        },
        sync: async () => {
          if (failAt.step === 'sync') throw boom('sync');
          return sync();
        },
      });
    },
    rename: async (...args: Parameters<typeof real.rename>) => {
      if (failAt.step === 'rename') throw boom('rename');
      return real.rename(...args);
    },
  };
});

// The test setup already loaded this module (through @modalab/core) with the real fs: reload it.
vi.resetModules();
const { writeFileAtomic } = await import('./atomic-write.js');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'modalab-atomic-'));
  failAt.step = undefined;
});
afterEach(async () => {
  failAt.step = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('creates and replaces a file', async () => {
    const file = path.join(dir, 'a.bin');
    await writeFileAtomic(file, new Uint8Array([1, 2, 3]));
    await writeFileAtomic(file, new Uint8Array([4, 5]));
    expect(Array.from(await readFile(file))).toEqual([4, 5]);
    expect(await readdir(dir)).toEqual(['a.bin']);
  });

  it.each(['write', 'sync', 'rename'] as const)(
    'a failure at %s leaves the previous file byte-identical and no temp file',
    async (step) => {
      const file = path.join(dir, 'a.bin');
      const previous = new Uint8Array(1000).map((_, i) => i % 251);
      await writeFileAtomic(file, previous);
      failAt.step = step;
      await expect(writeFileAtomic(file, new Uint8Array(5000).fill(7))).rejects.toThrow(`injected ${step} failure`);
      expect(Buffer.from(await readFile(file)).equals(Buffer.from(previous))).toBe(true);
      expect(await readdir(dir)).toEqual(['a.bin']);
    },
  );

  it('a failure on a first save leaves nothing behind', async () => {
    failAt.step = 'write';
    await expect(writeFileAtomic(path.join(dir, 'new.bin'), new Uint8Array(10))).rejects.toThrow(/injected write/);
    expect(await readdir(dir)).toEqual([]);
  });
});
