import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE } from '../runner/clip-emoji.js';
import { buildIndex, type BuildIndexOptions } from './build-index.js';
import { bruteForceTopK, recallAgainst } from './brute-force.js';
import { loadRunModel, MissingEncoderError, type RunModel } from './run-model.js';
import { SearchIndex } from './search-index.js';
import { IndexStore } from './store.js';
import { resolveLocation } from './lance.js';
import { quiet } from '../testing/quiet.js';
import { trainFolderRun, writeEmojiFolder } from './test-fixtures.js';

const N = 32;

describe('index and search (a tiny run trained on 32 emoji)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-search-'));
  const data = path.join(root, 'data');
  let items: Array<{ id: string; name: string }>;
  let run: string;
  let model: RunModel;
  const build = (out: string, extra: Partial<BuildIndexOptions> = {}) => buildIndex({ run, data, out, model, log: () => undefined, progress: quiet.progress, ...extra });

  beforeAll(async () => {
    items = await writeEmojiFolder(data, N);
    run = await trainFolderRun(root, data);
    model = await loadRunModel(run);
  });
  afterAll(() => {
    model?.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('indexes every image and caption, records the run, and finds an item by its own caption', async () => {
    const out = path.join(root, 'index-a');
    const built = await build(out);
    expect(built).toMatchObject({ embedded: 2 * N, unchanged: 0, removed: 0, bad: 0 });
    expect(built.info.counts).toEqual({ image: N, text: N });
    expect(built.info.run.dir).toBe(run);
    expect(built.info.run.fingerprint).toMatch(/^[0-9a-f]{64}$/);

    const index = await SearchIndex.open(out, { model });
    try {
      // The test run trains on 90% of these items: a caption should find its own image.
      let top5 = 0;
      for (const item of items) {
        const { hits } = await index.search({ text: item.name }, { k: 5, modality: 'image' });
        expect(hits.map((h) => h.modality)).toEqual(Array(5).fill('image'));
        if (hits.some((h) => h.group === item.id)) top5++;
      }
      // Chance is 5/32 = 16%; the fixture run reached 30/32 when written.
      expect(top5 / N).toBeGreaterThan(0.6);
    } finally {
      index.close();
    }
  });

  it('exact search returns exactly the brute-force top-k, with the same scores', async () => {
    const out = path.join(root, 'index-b');
    await build(out);
    const index = await SearchIndex.open(out, { model });
    try {
      const store = await IndexStore.open(out);
      const rows = await store.rows();
      store.close();
      expect(rows).toHaveLength(2 * N);
      for (const r of rows) expect(Math.abs(Math.hypot(...r.vector) - 1)).toBeLessThan(1e-5);
      const queries = [{ text: 'red heart' }, { text: items[3]!.name }, { id: `${items[7]!.id}/image` }, { id: `${items[9]!.id}/text/0` }];
      for (const query of queries) {
        for (const modality of [undefined, 'image', 'text'] as const) {
          const { vector } = await index.embedQuery(query);
          const pool = rows.filter((r) => modality === undefined || r.modality === modality);
          const reference = bruteForceTopK(vector, pool.map((r) => r.vector), 10).map((x) => ({ id: pool[x.row]!.id, score: x.score }));
          const got = await index.search(query, { k: 10, ...(modality === undefined ? {} : { modality }) });
          expect(got.method).toBe('exact');
          expect(got.hits).toHaveLength(10);
          got.hits.forEach((h, i) => {
            expect(Math.abs(h.score - reference[i]!.score)).toBeLessThan(1e-5);
            // Ids must match wherever the order is not decided by a float tie.
            const tied = reference.some((r, j) => j !== i && Math.abs(r.score - reference[i]!.score) < 1e-6);
            if (!tied) expect(h.id).toBe(reference[i]!.id);
          });
          expect(await index.bruteForce(vector, { k: 10, ...(modality === undefined ? {} : { modality }) })).toHaveLength(10);
        }
      }
      // An image file as the query: its own indexed copy comes first.
      const byFile = await index.search({ image: path.join(data, 'images', `${items[6]!.id}.png`) }, { k: 1, modality: 'image' });
      expect(byFile.queryModality).toBe('image');
      expect(byFile.hits[0]!.id).toBe(`${items[6]!.id}/image`);
      expect(byFile.hits[0]!.score).toBeCloseTo(1, 4);
      // An item queried by its own id is its own nearest neighbour.
      const self = await index.search({ id: `${items[5]!.id}/image` }, { k: 1 });
      expect(self.hits[0]!.id).toBe(`${items[5]!.id}/image`);
      expect(self.hits[0]!.score).toBeCloseTo(1, 5);
      // Repeated queries leave no tensors behind.
      await index.search({ text: 'cat' }, { k: 3 });
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) await index.search({ text: `cat ${i}` }, { k: 3 });
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      index.close();
    }
  });

  it('re-indexing embeds only new and changed items and drops removed ones', async () => {
    const copy = path.join(root, 'data-copy');
    fs.cpSync(data, copy, { recursive: true });
    const out = path.join(root, 'index-c');
    const first = await buildIndex({ run, data: copy, out, model, log: () => undefined, progress: quiet.progress });
    expect(first.embedded).toBe(2 * N);
    const again = await buildIndex({ run, data: copy, out, model, log: () => undefined, progress: quiet.progress });
    expect(again).toMatchObject({ embedded: 0, unchanged: 2 * N, removed: 0 });

    // One caption edited, one item removed, one added (a copy of another image under a new id).
    fs.writeFileSync(path.join(copy, 'captions', `${items[0]!.id}.txt`), 'a completely new caption\n');
    fs.rmSync(path.join(copy, 'images', `${items[1]!.id}.png`));
    fs.rmSync(path.join(copy, 'captions', `${items[1]!.id}.txt`));
    fs.copyFileSync(path.join(copy, 'images', `${items[2]!.id}.png`), path.join(copy, 'images', 'new.png'));
    fs.writeFileSync(path.join(copy, 'captions', 'new.txt'), 'an added item\n');
    const changed = await buildIndex({ run, data: copy, out, model, log: () => undefined, progress: quiet.progress });
    expect(changed).toMatchObject({ embedded: 3, unchanged: 2 * N - 3, removed: 2 });
    expect(changed.info.counts).toEqual({ image: N, text: N });

    const index = await SearchIndex.open(out, { model });
    try {
      const edited = await index.store.rowById(`${items[0]!.id}/text/0`);
      expect(edited?.text).toBe('a completely new caption');
      expect(await index.store.rowById(`${items[1]!.id}/image`)).toBeUndefined();
      const added = await index.store.rowById('new/image');
      const original = await index.store.rowById(`${items[2]!.id}/image`);
      expect(added?.hash).toBe(original?.hash);
      // Same pixels, same model: the new row's vector is the old one's.
      expect(Math.max(...added!.vector.map((v, j) => Math.abs(v - original!.vector[j]!)))).toBeLessThan(1e-5);
      expect(await index.store.thumb(added!.hash)).toBeInstanceOf(Buffer);
      expect(await index.store.countRows()).toBe(2 * N);
    } finally {
      index.close();
    }
  });

  it('refuses a model other than the one the index was built with, and audio for a run without an audio tower', async () => {
    const out = path.join(root, 'index-d');
    await build(out, { limit: 8 });
    // Another checkpoint: the same run with its weights re-saved differently changes the fingerprint.
    const other = path.join(root, 'other-run');
    fs.cpSync(run, other, { recursive: true });
    fs.appendFileSync(path.join(other, CHECKPOINT_FILE), Buffer.from([0]));
    await expect(SearchIndex.open(out, { run: other })).rejects.toThrow(/holds vectors of run .* but the model given is run .*other-run.*another space/);
    await expect(buildIndex({ run: other, data, out, log: () => undefined, progress: quiet.progress })).rejects.toThrow(/was built with run .*--rebuild/);

    const index = await SearchIndex.open(out, { model });
    try {
      await expect(index.search({ audio: path.join(root, 'nothing.wav') })).rejects.toThrow(MissingEncoderError);
      await expect(index.search({ audio: path.join(root, 'nothing.wav') })).rejects.toThrow(/has no audio encoder \(its towers: image, text\)/);
      await expect(index.search({ text: '   ' })).rejects.toThrow(/empty/);
      await expect(index.search({ id: 'no-such-item' })).rejects.toThrow(/No item 'no-such-item'/);
      await expect(index.search({ text: 'x' }, { k: 0 })).rejects.toThrow(/k must be an integer/);
      await expect(index.search({ text: 'x' }, { ann: true })).rejects.toThrow(/has no ANN index/);
    } finally {
      index.close();
    }
    await expect(SearchIndex.open(path.join(root, 'no-index-here'))).rejects.toThrow(/No index at .*pnpm exp index/);
  });

  it('skips the modalities the run cannot embed, and says so', async () => {
    const dir = path.join(root, 'with-audio');
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(data, 'images', `${items[0]!.id}.png`), path.join(dir, 'a.png'));
    fs.writeFileSync(path.join(dir, 'a.wav'), Buffer.from('RIFF\0\0\0\0WAVE'));
    fs.writeFileSync(path.join(dir, 'manifest.jsonl'), JSON.stringify({ id: 'a', image: 'a.png', audio: 'a.wav', text: ['one', 'two'] }) + '\n');
    const lines: string[] = [];
    const built = await build(path.join(root, 'index-audio'), { data: path.join(dir, 'manifest.jsonl'), log: (l) => lines.push(l) });
    expect(built.skipped).toEqual({ audio: 1 });
    expect(built.info.counts).toEqual({ image: 1, text: 2 });
    expect(lines.join('\n')).toMatch(/skipped 1 audio rows: run search-fixture has no audio encoder/);
  });

  it('indexes the built-in emoji collection in the requested style', async () => {
    const out = path.join(root, 'index-e');
    const built = await build(out, { data: 'builtin:emoji/twitter', limit: 12 });
    expect(built.info.counts).toEqual({ image: 12, text: 12 });
    expect(built.info.data.resolved).toBe('builtin:emoji/twitter');
    const index = await SearchIndex.open(out, { model });
    try {
      const { hits } = await index.search({ text: 'grinning face' }, { k: 12, modality: 'text' });
      expect(hits[0]!.text).toBe('grinning face');
      expect(hits[0]!.score).toBeCloseTo(1, 4);
    } finally {
      index.close();
    }
    await expect(build(path.join(root, 'index-f'), { data: 'builtin:emoji/apple' })).rejects.toThrow(/Unknown emoji style 'apple'.*google, twitter/);
    await expect(build(path.join(root, 'index-f'), { data: 'builtin:cats' })).rejects.toThrow(/Unknown built-in collection 'cats'/);
  });

  it('an ANN index answers close to exact search, and says when it cannot be built', async () => {
    const out = path.join(root, 'index-g');
    await build(out);
    const index = await SearchIndex.open(out, { model });
    try {
      await expect(index.buildAnn('ivf-pq')).rejects.toThrow(/ivf-pq needs at least 256 rows .* has 64/);
      const ann = await index.buildAnn('hnsw-sq');
      expect(ann.rows).toBe(2 * N);
      const recall = await index.annRecall({ k: 5, queries: 20 });
      expect(recall.queries).toBe(20);
      expect(recall.recall).toBeGreaterThan(0.8);
      const approx = await index.search({ text: items[4]!.name }, { k: 5, ann: true });
      expect(approx.method).toBe('hnsw-sq');
      const exact = await index.search({ text: items[4]!.name }, { k: 5 });
      expect(recallAgainst(approx.hits.map((h) => h.id), exact.hits.map((h) => h.id))).toBeGreaterThanOrEqual(0.6);
    } finally {
      index.close();
    }
    // The ANN index is recorded: a reopened index knows it has one.
    const reopened = await SearchIndex.open(out, { model });
    expect(reopened.info.ann?.kind).toBe('hnsw-sq');
    reopened.close();
  });
});

describe('IVF-PQ on synthetic vectors', () => {
  it('reaches high recall against exact search on 2,000 clustered 32-d unit vectors', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-ivfpq-'));
    try {
      const store = await IndexStore.open(root, { create: true });
      // Clustered data, as real embeddings are: 40 centres, points scattered around them.
      let seed = 1;
      const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
      const centres = Array.from({ length: 40 }, () => Float32Array.from({ length: 32 }, rand));
      const rows = Array.from({ length: 2000 }, (_, i) => {
        const v = Float32Array.from(centres[i % 40]!, (c) => c + 0.3 * rand());
        const n = Math.hypot(...v);
        return { id: `r${i}`, group: `r${i}`, modality: 'image' as const, text: '', label: '', source: '', hash: String(i), vector: v.map((x) => x / n) };
      });
      await store.addRows(rows);
      const ann = await store.createAnn('ivf-pq');
      expect(ann.params).toEqual({ numPartitions: 45, numSubVectors: 8 });
      let recall = 0;
      for (let q = 0; q < 20; q++) {
        const query = rows[q * 97]!.vector;
        const exact = await store.search(query, { k: 10 });
        const reference = bruteForceTopK(query, rows.map((r) => r.vector), 10).map((x) => rows[x.row]!.id);
        expect(exact.map((h) => h.id)).toEqual(reference);
        recall += recallAgainst((await store.search(query, { k: 10, ann: true })).map((h) => h.id), reference) / 20;
      }
      expect(recall).toBeGreaterThan(0.8);
      store.close();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('index locations', () => {
  it('keeps object-store URIs as given and makes folders absolute', () => {
    expect(resolveLocation('s3://team-bucket/indexes/emoji/')).toBe('s3://team-bucket/indexes/emoji');
    expect(resolveLocation('relative/dir')).toBe(path.resolve('relative/dir'));
    expect(() => resolveLocation(' ')).toThrow(/index location is empty/);
  });

  it('stores and searches through a URI LanceDB opens itself (memory://), not only a folder', async () => {
    const store = await IndexStore.open('memory://modalab-test', { create: true });
    try {
      const row = (id: string, v: number[]) => ({ id, group: id, modality: 'text' as const, text: id, label: '', source: '', hash: id, vector: Float32Array.from(v) });
      await store.addRows([row('a', [1, 0]), row('b', [0, 1]), row('c', [Math.SQRT1_2, Math.SQRT1_2])]);
      const hits = await store.search(Float32Array.from([1, 0]), { k: 2 });
      expect(hits.map((h) => h.id)).toEqual(['a', 'c']);
      expect(hits[1]!.score).toBeCloseTo(Math.SQRT1_2, 6);
    } finally {
      store.close();
    }
  });
});
