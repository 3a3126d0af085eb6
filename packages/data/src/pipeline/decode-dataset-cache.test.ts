import { mkdtempSync, readdirSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { TensorCache } from '../batching/tensor-cache.js';
import { readDataset } from '../manifest/read-dataset.js';
import { decodeDataset } from './decode-dataset.js';

function cacheFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(join(d, e.name)) : out.push(join(d, e.name));
  };
  walk(dir);
  return out.filter((f) => !f.endsWith('.tmp'));
}

describe('decodeDataset with a tensor cache', () => {
  it('caches each decoded image once, returns the same pixels from the cache, and rebuilds a corrupt entry', async () => {
    const root = mkdtempSync(join(tmpdir(), 'modalab-dcache-'));
    mkdirSync(join(root, 'img'));
    const lines: string[] = [];
    for (const [i, c] of [[255, 0, 0], [0, 0, 255], [0, 200, 0]].entries()) {
      await sharp({ create: { width: 12, height: 9, channels: 3, background: { r: c[0]!, g: c[1]!, b: c[2]! } } }).png().toFile(join(root, 'img', `${i}.png`));
      lines.push(JSON.stringify({ id: `i${i}`, image: `img/${i}.png`, text: `item ${i}` }));
    }
    writeFileSync(join(root, 'm.jsonl'), lines.join('\n') + '\n');
    const cacheDir = join(root, 'cache');
    const cache = new TensorCache(cacheDir);
    const options = { policy: { mode: 'strict' as const }, image: { size: 8 } };
    const plain = await decodeDataset(await readDataset(join(root, 'm.jsonl')), options);
    const first = await decodeDataset(await readDataset(join(root, 'm.jsonl')), { ...options, cache });
    const files = cacheFiles(cacheDir);
    expect(files).toHaveLength(3);
    const second = await decodeDataset(await readDataset(join(root, 'm.jsonl')), { ...options, cache });
    expect(cacheFiles(cacheDir)).toEqual(files);
    for (let i = 0; i < 3; i++) {
      expect(Array.from(first.items[i]!.image!)).toEqual(Array.from(plain.items[i]!.image!));
      expect(Array.from(second.items[i]!.image!)).toEqual(Array.from(plain.items[i]!.image!));
    }
    const victim = files[0]!;
    const bytes = readFileSync(victim);
    bytes[bytes.length - 1]! ^= 0xff;
    writeFileSync(victim, bytes);
    const third = await decodeDataset(await readDataset(join(root, 'm.jsonl')), { ...options, cache });
    for (let i = 0; i < 3; i++) expect(Array.from(third.items[i]!.image!)).toEqual(Array.from(plain.items[i]!.image!));
  });
});
