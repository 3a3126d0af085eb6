import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../errors.js';
import { readDataset } from './read-dataset.js';

// Layout: <tmp>/outside.png, <tmp>/set/{a.png, b.wav, c.mp4, sub/d.png, empty.png, dir/, out.png -> ../outside.png}
// Contents do not matter here: readDataset checks paths and files, decoders check bytes.
let tmp: string;
let dir: string;
const at = (...p: string[]): string => join(dir, ...p);

async function write(name: string, content: string | Buffer): Promise<string> {
  const file = at(name);
  await writeFile(file, content);
  return file;
}
const jsonl = (rows: unknown[]): string => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n');

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'modalab-dataset-'));
  dir = join(tmp, 'set');
  await mkdir(join(dir, 'sub'), { recursive: true });
  await mkdir(join(dir, 'dir'));
  for (const f of ['a.png', 'b.wav', 'c.mp4', 'sub/d.png']) await write(f, 'x');
  await write('empty.png', '');
  await writeFile(join(tmp, 'outside.png'), 'x');
  await symlink(join(tmp, 'outside.png'), at('out.png'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('readDataset: JSONL', () => {
  it('reads any subset of modalities, integer labels and ids, and reports each bad line once with a code', async () => {
    const file = await write('m.jsonl', jsonl([
      { id: 'a', image: 'a.png', text: ['a cat', ' a small cat '], label: 3 },
      { id: 7, audio: 'b.wav' },
      { video: 'c.mp4', text: 'a clip', audio: 'b.wav' },
      { text: 'text only' },
      '',
      '{"id": "broken"',
      { id: 'a', image: 'sub/d.png' },
      { id: 'abs', image: '/etc/passwd' },
      { id: 'up', audio: '../outside.png' },
      { id: 'link', image: 'out.png' },
      { id: 'gone', image: 'nope.png' },
      { id: 'zero', image: 'empty.png' },
      { id: 'folder', video: 'dir' },
      { id: 'blank', image: 'a.png', text: '  ' },
      { id: 'nothing', label: 'x' },
      { id: 'long', text: 'y'.repeat(300) },
    ]));
    await writeFile(file, Buffer.concat([await import('node:fs/promises').then((f) => f.readFile(file)), Buffer.from('\n{"id": "latin1", "text": "caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]));
    const result = await readDataset(file, { maxLineChars: 200 });
    expect(result.format).toBe('jsonl');
    expect(result.root).toBe(dir);
    expect(result.items).toEqual([
      { id: 'a', image: at('a.png'), texts: ['a cat', 'a small cat'], label: '3', origin: { file, line: 1 } },
      { id: '7', audio: at('b.wav'), origin: { file, line: 2 } },
      { id: 'b.wav', video: at('c.mp4'), audio: at('b.wav'), texts: ['a clip'], origin: { file, line: 3 } },
      { id: 'line-4', texts: ['text only'], origin: { file, line: 4 } },
    ]);
    expect(result.bad.map((b) => [b.line, b.code, b.modality])).toEqual([
      [6, 'manifest-syntax', undefined],
      [7, 'duplicate-id', undefined],
      [8, 'path-absolute', 'image'],
      [9, 'path-escapes', 'audio'],
      [10, 'symlink-escapes', 'image'],
      [11, 'missing-file', 'image'],
      [12, 'empty-file', 'image'],
      [13, 'not-a-file', 'video'],
      [14, 'empty-caption', 'text'],
      [15, 'bad-field', undefined],
      [16, 'line-too-long', undefined],
      [17, 'non-utf8', undefined],
    ]);
    expect(result.bad.every((b) => b.file === file)).toBe(true);
    expect(result.bad[1]?.reason).toMatch(/duplicate id 'a' \(first on line 1\)/);
    expect(result.bad[4]?.reason).toMatch(/out\.png is a symlink resolving outside the dataset's folder/);
    expect(result.bad[9]?.reason).toMatch(/record has none of the fields image, text, audio, video/);
  });

  it('detects JSONL from the content when the extension is unknown', async () => {
    const result = await readDataset(await write('m.txt', jsonl([{ image: 'a.png' }])));
    expect(result.format).toBe('jsonl');
    expect(result.items.map((i) => i.id)).toEqual(['a.png']);
  });
});

describe('readDataset: CSV', () => {
  it('reads RFC 4180 fields, JSON-array captions, the caption alias, and merges id-less rows per image', async () => {
    const file = await write('m.csv', [
      'Image,Caption,label,source',
      'a.png,"a cat, sitting",pet,web',
      'a.png,"the ""best"" cat",pet,web',
      'sub/d.png,"[""one"", ""two""]",,',
      'b.wav,,,',
      'a.png,other label,wild,',
      '../outside.png,x,,',
      'sub/d.png,"[1]",,',
      'a.png,"x" y,,',
      'a.png,too,many,fields,here',
      '',
    ].join('\r\n'));
    const result = await readDataset(file);
    expect(result.format).toBe('csv');
    expect(result.items).toEqual([
      { id: 'a.png', image: at('a.png'), texts: ['a cat, sitting', 'the "best" cat'], label: 'pet', origin: { file, line: 2 } },
      { id: join('sub', 'd.png'), image: at('sub', 'd.png'), texts: ['one', 'two'], origin: { file, line: 4 } },
      { id: 'b.wav', image: at('b.wav'), origin: { file, line: 5 } },
    ]);
    expect(result.bad.map((b) => [b.line, b.code])).toEqual([
      [6, 'duplicate-id'],
      [7, 'path-escapes'],
      [8, 'bad-field'],
      [9, 'manifest-syntax'],
      [10, 'manifest-syntax'],
    ]);
    expect(result.bad[0]?.reason).toMatch(/give this row an id/);
    expect(result.bad[4]?.reason).toMatch(/record has 5 fields, the header has 4/);
  });

  it.each([
    ['an unterminated quote', 'id,text\na,"open\n', /q\.csv:2: unterminated quoted field/],
    ['a header without modality columns', 'id,label\na,b\n', /q\.csv:1: CSV header 'id,label' has none of the columns/],
    ['a repeated column', 'text,caption\na,b\n', /q\.csv:1: CSV header has column 'text' twice/],
    ['an empty file', '', /q\.csv: CSV is empty/],
    ['bytes that are not UTF-8', Buffer.from([0x74, 0x65, 0x78, 0x74, 0x0a, 0x61, 0x0a, 0xff, 0x0a]), /q\.csv:3: CSV is not valid UTF-8/],
  ])('throws a DataError for %s', async (_name, content, message) => {
    const error = await readDataset(await write('q.csv', content)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('readDataset: folder', () => {
  it('pairs images/<name>.<ext> (any case) with captions/<name>.txt and reports every unpaired or bad file', async () => {
    const root = join(tmp, 'folder');
    await mkdir(join(root, 'images', 'nested'), { recursive: true });
    await mkdir(join(root, 'captions'));
    const put = (p: string, c: string | Buffer) => writeFile(join(root, p), c);
    await put('images/cat.JPG', 'x');
    await put('images/dog.png', 'x');
    await put('images/dog.webp', 'x');
    await put('images/fish.jpeg', 'x');
    await put('images/owl.png', 'x');
    await put('images/bad.png', 'x');
    await put('images/notes.md', 'x');
    await put('images/.DS_Store', 'x');
    await put('images/zero.png', '');
    await symlink(join(tmp, 'outside.png'), join(root, 'images', 'esc.png'));
    await put('captions/cat.txt', 'a cat\n\n  a grey cat  \r\n');
    await put('captions/dog.txt', 'a dog');
    await put('captions/owl.txt', ' \n\n');
    await put('captions/bad.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    await put('captions/ghost.txt', 'no image');
    const result = await readDataset(root);
    expect(result.format).toBe('folder');
    expect(result.items).toEqual([
      { id: 'cat', image: join(root, 'images', 'cat.JPG'), texts: ['a cat', 'a grey cat'], origin: { file: join(root, 'images', 'cat.JPG') } },
      { id: 'dog', image: join(root, 'images', 'dog.png'), texts: ['a dog'], origin: { file: join(root, 'images', 'dog.png') } },
    ]);
    const codes = Object.fromEntries(result.bad.map((b) => [b.path?.slice(root.length + 1), [b.code, b.modality]]));
    expect(codes).toEqual({
      'images/dog.webp': ['duplicate-id', undefined],
      'images/nested': ['unsupported-format', 'image'],
      'images/notes.md': ['unsupported-format', 'image'],
      'captions/ghost.txt': ['orphan-caption', 'text'],
      'captions/bad.txt': ['non-utf8', 'text'],
      'images/esc.png': ['symlink-escapes', 'image'],
      'captions/fish.txt': ['missing-caption', 'text'],
      'captions/owl.txt': ['empty-caption', 'text'],
      'images/zero.png': ['empty-file', 'image'],
    });
    expect(result.bad).toHaveLength(9);
  });

  it('refuses a folder without images/', async () => {
    await expect(readDataset(join(dir, 'dir'))).rejects.toThrow(/needs an images\/ folder/);
    await expect(readDataset(join(dir, 'none'))).rejects.toThrow(/dataset not found/);
  });
});
