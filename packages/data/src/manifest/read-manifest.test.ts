import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImage } from '../decode/load-image.js';
import { DataError } from '../errors.js';
import { readManifest } from './read-manifest.js';

// Layout: <tmp>/outside.png and <tmp>/set/{a.png, imgs/b.png, link-out.png -> ../outside.png, folder/}
let tmp: string;
let dir: string;
const png = (r: number, g: number, b: number): Promise<Buffer> =>
  sharp({ create: { width: 6, height: 6, channels: 3, background: { r, g, b } } }).png().toBuffer();
const line = (value: unknown): string => JSON.stringify(value);

async function manifest(name: string, lines: string[]): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'modalab-manifest-'));
  dir = join(tmp, 'set');
  await mkdir(join(dir, 'imgs'), { recursive: true });
  await mkdir(join(dir, 'folder'));
  await writeFile(join(dir, 'a.png'), await png(255, 0, 0));
  await writeFile(join(dir, 'imgs', 'b.png'), await png(0, 0, 255));
  await writeFile(join(tmp, 'outside.png'), await png(0, 255, 0));
  await symlink(join(tmp, 'outside.png'), join(dir, 'link-out.png'));
  await symlink(join(dir, 'a.png'), join(dir, 'imgs', 'link-in.png'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('readManifest', () => {
  it('reads items with absolute image paths, text lists, labels and 1-based lines', async () => {
    const file = await manifest('ok.jsonl', [
      line({ id: 'a', image: 'a.png', text: 'a red square', label: 'red' }),
      '',
      line({ id: 'b', image: './imgs/b.png', text: ['a blue square', 'blue'], source: 'ignored' }),
      line({ id: 'c', image: 'imgs/../imgs/link-in.png', text: 'linked inside' }),
    ]);
    const items = await readManifest(file);
    expect(items).toEqual([
      { id: 'a', image: join(dir, 'a.png'), texts: ['a red square'], label: 'red', line: 1 },
      { id: 'b', image: join(dir, 'imgs', 'b.png'), texts: ['a blue square', 'blue'], line: 3 },
      { id: 'c', image: join(dir, 'imgs', 'link-in.png'), texts: ['linked inside'], line: 4 },
    ]);
    const pixels = await loadImage(items[1]?.image ?? '', 2);
    expect(Array.from(pixels.subarray(0, 3))).toEqual([0, 0, 1]);
  });

  const good = line({ id: 'a', image: 'a.png', text: 'red' });
  it.each([
    ['invalid JSON', [good, '{"id": "b", "image": '], /bad\.jsonl:2: invalid JSON/],
    ['a non-object line', [good, '[1, 2]'], /bad\.jsonl:2: expected a JSON object with id, image and text, got an array/],
    ['a missing id', [good, line({ image: 'a.png', text: 'x' })], /bad\.jsonl:2: field 'id' must be a non-empty string, got nothing \(missing\)/],
    ['a numeric id', [line({ id: 7, image: 'a.png', text: 'x' })], /bad\.jsonl:1: field 'id' must be a non-empty string, got a number/],
    ['a missing image', [good, line({ id: 'b', text: 'x' })], /bad\.jsonl:2: field 'image' must be a non-empty path string, got nothing/],
    ['a missing text', [good, line({ id: 'b', image: 'a.png' })], /bad\.jsonl:2: field 'text' must be a string or an array of strings, got nothing/],
    ['a numeric text', [good, line({ id: 'b', image: 'a.png', text: 3 })], /bad\.jsonl:2: field 'text' must be a string or an array of strings, got a number/],
    ['an empty text', [good, line({ id: 'b', image: 'a.png', text: '  ' })], /bad\.jsonl:2: field 'text' is empty/],
    ['an empty text list', [good, line({ id: 'b', image: 'a.png', text: [] })], /bad\.jsonl:2: field 'text' is empty \(an empty list\)/],
    ['an empty text in a list', [good, line({ id: 'b', image: 'a.png', text: ['ok', ''] })], /bad\.jsonl:2: field 'text' is empty at index 1/],
    ['a mistyped label', [good, line({ id: 'b', image: 'a.png', text: 'x', label: 3 })], /bad\.jsonl:2: field 'label' must be a string when present, got a number/],
    ['a duplicate id', [good, line({ id: 'b', image: 'a.png', text: 'x' }), line({ id: 'a', image: 'a.png', text: 'y' })], /bad\.jsonl:3: duplicate id 'a' \(first on line 1\)/],
    ['an absolute image path', [good, line({ id: 'b', image: '/etc/passwd', text: 'x' })], /bad\.jsonl:2: image path '\/etc\/passwd' is absolute/],
    ['a Windows absolute image path', [good, line({ id: 'b', image: 'C:\\x.png', text: 'x' })], /bad\.jsonl:2: image path 'C:\\x\.png' is absolute/],
    ['a path leaving the folder', [good, line({ id: 'b', image: '../outside.png', text: 'x' })], /bad\.jsonl:2: image path '\.\.\/outside\.png' leaves the manifest's folder/],
    ['a path leaving through a subfolder', [good, line({ id: 'b', image: 'imgs/../../outside.png', text: 'x' })], /bad\.jsonl:2: .*leaves the manifest's folder/],
    ['a symlink resolving outside', [good, line({ id: 'b', image: 'link-out.png', text: 'x' })], /bad\.jsonl:2: image .*link-out\.png is a symlink resolving outside the manifest's folder/],
    ['a missing image file', [good, good.replace('"a"', '"b"').replace('a.png', 'nope.png')], /bad\.jsonl:2: image file not found: .*nope\.png/],
    ['a folder as image', [good, line({ id: 'b', image: 'folder', text: 'x' })], /bad\.jsonl:2: image path .*folder is not a regular file/],
    ['only blank lines', ['', '  '], /bad\.jsonl: manifest has no items/],
  ])('refuses %s with a DataError naming file and line', async (_name, lines, message) => {
    const file = await manifest('bad.jsonl', lines);
    const error = await readManifest(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toMatch(message);
    expect((error as DataError).file).toBe(file);
  });

  it('reports the earliest bad line when several image checks fail', async () => {
    const lines = Array.from({ length: 40 }, (_, i) => line({ id: `x${i}`, image: i === 7 || i === 30 ? `missing-${i}.png` : 'a.png', text: 't' }));
    await expect(readManifest(await manifest('many.jsonl', lines))).rejects.toThrow(/many\.jsonl:8: image file not found: .*missing-7\.png/);
  });

  it('refuses a missing manifest', async () => {
    await expect(readManifest(join(dir, 'none.jsonl'))).rejects.toThrow(/none\.jsonl: manifest file not found/);
  });
});
