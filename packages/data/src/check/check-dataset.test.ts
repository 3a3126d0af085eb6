import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../decode/encode-wav.js';
import { checkDataset, stats } from './check-dataset.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modalab-check-'));
  const png = (c: string) => sharp({ create: { width: 8, height: 8, channels: 3, background: c } }).png().toBuffer();
  await writeFile(join(dir, 'red.png'), await png('#ff0000'));
  await writeFile(join(dir, 'red-copy.png'), await png('#ff0000'));
  await writeFile(join(dir, 'blue.png'), await png('#0000ff'));
  const full = await png('#00ff00');
  await writeFile(join(dir, 'cut.png'), full.subarray(0, 45));
  await writeFile(join(dir, 'beep.wav'), encodeWav(new Float32Array(80).fill(0.1), { sampleRate: 8000 }));
  await writeFile(
    join(dir, 'data.csv'),
    [
      'id,image,text,audio,label',
      'r1,red.png,"[""a red square"", ""red""]",,warm',
      'r2,red-copy.png,a red square again,,warm',
      'b1,blue.png,a blue square,beep.wav,cold',
      'c1,cut.png,a cut square,,cold',
      'r1,blue.png,dup,,',
      'x1,missing.png,gone,,',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('checkDataset', () => {
  it('counts modalities, lists bad items with reasons, finds duplicate ids and files, summarises captions', async () => {
    const { check, text } = await checkDataset(join(dir, 'data.csv'));
    expect(check.format).toBe('csv');
    expect(check.items).toEqual({ total: 6, good: 3, bad: 3 });
    expect(check.modalities).toEqual({ image: 3, text: 3, audio: 1, video: 0 });
    expect(check.labels).toEqual({ distinct: 2, items: 3 });
    expect(check.bad.map((b) => [b.line, b.code])).toEqual([
      [6, 'duplicate-id'],
      [7, 'missing-file'],
      [5, 'truncated'],
    ]);
    expect(check.duplicates.ids).toEqual(['r1']);
    expect(check.duplicates.files).toEqual([{ modality: 'image', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), paths: [join(dir, 'red.png'), join(dir, 'red-copy.png')], ids: ['r1', 'r2'] }]);
    expect(check.captions).toEqual({
      items: 3,
      total: 4,
      perItem: { min: 1, median: 1, mean: 4 / 3, p95: 2, max: 2 },
      chars: { min: 3, median: 12, mean: (12 + 3 + 18 + 13) / 4, p95: 18, max: 18 },
      words: { min: 1, median: 3, mean: (3 + 1 + 4 + 3) / 4, p95: 4, max: 4 },
    });
    expect(text).toContain('items: 6 (3 good, 3 bad)');
    expect(text).toContain('modalities (good items): image 3, text 3, audio 1, video 0');
    expect(text).toMatch(/duplicate image content [0-9a-f]{12}: red\.png, red-copy\.png \(items r1, r2\)/);
    expect(text).toMatch(/bad items: 3 \(1 duplicate-id, 1 missing-file, 1 truncated\)/);
    expect(text).toMatch(/data\.csv:5: \[truncated image\]/);
  });

  it('computes nearest-rank statistics', () => {
    expect(stats([])).toBeUndefined();
    expect(stats([5])).toEqual({ min: 5, median: 5, mean: 5, p95: 5, max: 5 });
    expect(stats([4, 1, 3, 2])).toEqual({ min: 1, median: 2, mean: 2.5, p95: 4, max: 4 });
  });
});
