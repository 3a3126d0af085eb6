import { loadEmoji } from '@modalab/data';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runClipEmoji } from '../runner/clip-emoji.js';
import { quiet } from '../testing/quiet.js';
import { tinyConfig } from '../testing/tiny-config.js';
import { buildIndex } from './build-index.js';
import { pngFromPixels } from './thumbnails.js';

/**
 * A folder dataset (images/<id>.png, captions/<id>.txt) of `n` emoji spread over the whole set
 * (every k-th concept, so not 30 near-identical smileys), drawn at `size` px, captioned with
 * their names. Returns the ids and names in order.
 */
export async function writeEmojiFolder(dir: string, n: number, size = 16): Promise<Array<{ id: string; name: string }>> {
  const data = await loadEmoji({ imageSize: size, styles: ['google'] });
  const pixels = data.images.google!.pixels;
  const per = size * size * 3;
  const stride = Math.floor(data.concepts.length / n);
  fs.mkdirSync(path.join(dir, 'images'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'captions'), { recursive: true });
  const out: Array<{ id: string; name: string }> = [];
  for (let i = 0; i < n; i++) {
    const row = i * stride;
    const c = data.concepts[row]!;
    const id = `e${String(i).padStart(3, '0')}`;
    fs.writeFileSync(path.join(dir, 'images', `${id}.png`), await pngFromPixels(pixels.subarray(row * per, (row + 1) * per), size));
    fs.writeFileSync(path.join(dir, 'captions', `${id}.txt`), c.name + '\n');
    out.push({ id, name: c.name });
  }
  return out;
}

/**
 * A tiny CLIP run trained on `folder` (16 px, width 16, augmentation off, names only); 100 steps
 * (about 6 s of CPU) are enough to find its own training items. The folder needs at least 30
 * items: the run's report lists 3 held-out examples.
 */
export async function trainFolderRun(root: string, folder: string, steps = 100, name = 'search-fixture'): Promise<string> {
  const config = tinyConfig([
    `data.dataset=${JSON.stringify(folder)}`,
    'data.heldOutFraction=0.1',
    'data.augment=false',
    'data.captions=name',
    `train.steps=${steps}`,
    'train.batchSize=8',
    'train.lr=0.003',
    'train.logEvery=5',
    'train.checkpointEvery=1000',
    'train.probeEvery=10',
  ]);
  return (await runClipEmoji(name, config, { runsRoot: root, ...quiet })).runDir;
}

/** A barely trained run (20 steps on 32 emoji in root/run-data; a few seconds): enough for plumbing tests. */
export async function trainTinyRun(root: string): Promise<string> {
  const folder = path.join(root, 'run-data');
  await writeEmojiFolder(folder, 32);
  return trainFolderRun(root, folder, 20, 'search-tiny');
}

/** trainTinyRun, then the first `limit` emoji indexed with it into root/index. */
export async function trainTinyIndex(root: string, limit = 20): Promise<{ run: string; index: string }> {
  const run = await trainTinyRun(root);
  const index = path.join(root, 'index');
  await buildIndex({ run, data: 'builtin:emoji', out: index, limit, log: () => undefined, progress: quiet.progress });
  return { run, index };
}
