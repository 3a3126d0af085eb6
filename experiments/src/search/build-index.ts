import { loadCollection, type CollectionItem } from './collection.js';
import { ItemProgress } from './item-progress.js';
import { resolveLocation } from './lance.js';
import { loadRunModel, runIdentity, type RunIdentity, type RunModel, type SearchModality } from './run-model.js';
import { type IndexInfo, type IndexRow, IndexStore, INDEX_FORMAT } from './store.js';
import { ClipEmojiConfigSchema } from '../runner/clip-emoji-config.js';
import { readJson } from '../runner/run-dir.js';
import * as path from 'node:path';

export interface BuildIndexOptions {
  /** The run directory whose encoders embed the collection. */
  run: string;
  /** builtin:emoji[/style], a manifest (.jsonl/.csv) or a folder. */
  data: string;
  /** A folder or an object-store URI (s3://bucket/prefix). */
  out: string;
  /** Index only the first N collection items. */
  limit?: number;
  /** Items embedded and written per chunk; default 512. */
  chunkSize?: number;
  /** Re-embed everything, also when the index came from another run (which otherwise fails). */
  rebuild?: boolean;
  log?: (line: string) => void;
  progress?: Pick<NodeJS.WriteStream, 'write' | 'isTTY'>;
  /** An already loaded model of `run` (tests, the explorer). */
  model?: RunModel;
}

export interface BuildIndexResult {
  location: string;
  info: IndexInfo;
  /** Rows embedded now (new or changed content). */
  embedded: number;
  unchanged: number;
  removed: number;
  seconds: number;
  /** Rows left out because the run has no encoder for them, per modality. */
  skipped: Partial<Record<string, number>>;
  /** Records of the dataset that could not be read. */
  bad: number;
}

/**
 * Embeds a collection with a run's encoders into a LanceDB index. Incremental: a row whose
 * content hash is already stored under its id is kept, new or changed rows are embedded, rows
 * gone from the collection are deleted; an unchanged collection loads no model at all.
 * An index belongs to one run (its checkpoint's sha256): another run fails unless `rebuild`.
 */
export async function buildIndex(options: BuildIndexOptions): Promise<BuildIndexResult> {
  const start = performance.now();
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const identity = options.model?.identity ?? runIdentity(options.run);
  const location = resolveLocation(options.out);
  const store = await IndexStore.open(location, { create: true });
  try {
    const prior = await store.readInfo();
    if (prior !== undefined && prior.run.fingerprint !== identity.fingerprint) {
      if (!options.rebuild) {
        throw new Error(
          `Index ${location} was built with run ${prior.run.dir} (checkpoint sha256 ${prior.run.fingerprint.slice(0, 12)}); ` +
            `run ${identity.dir} has another checkpoint (${identity.fingerprint.slice(0, 12)}). Vectors of two models are not comparable: ` +
            'pass --rebuild to re-embed everything with the new run, or choose another --out',
        );
      }
      log(`rebuild: dropping the vectors of run ${prior.run.dir}`);
      await store.clear();
    } else if (options.rebuild) {
      await store.clear();
    }
    const fresh = options.rebuild || prior === undefined || prior.run.fingerprint !== identity.fingerprint;
    const createdAt = fresh ? new Date().toISOString() : prior.createdAt;
    // Claimed for this run before any vector is written: an interrupted build resumes, never mixes runs.
    if (fresh) await store.writeInfo(infoOf(location, identity, options, '', {}, createdAt, { embedded: 0, unchanged: 0, removed: 0, seconds: 0 }, null));

    const collection = await loadCollection(options.data, {
      imageSize: identity.imageSize ?? 0,
      modalities: identity.modalities,
      ...(options.limit === undefined ? {} : { limit: options.limit }),
      ...runSplit(identity.dir),
    });
    for (const [m, n] of Object.entries(collection.skipped)) log(`skipped ${n} ${m} rows: run ${identity.name} has no ${m} encoder`);
    if (collection.bad.length > 0) log(`${collection.bad.length} records of ${collection.resolved} could not be read and are left out (pnpm exp data check ${options.data} lists them)`);
    const ids = new Set<string>();
    for (const item of collection.items) {
      if (ids.has(item.id)) throw new Error(`${collection.resolved}: two rows share the id '${item.id}'; give every item a unique id`);
      ids.add(item.id);
    }

    const stored = await store.hashes();
    const todo = collection.items.filter((item) => stored.get(item.id) !== item.hash);
    const gone = [...stored.keys()].filter((id) => !ids.has(id));
    const changed = todo.filter((item) => stored.has(item.id)).map((item) => item.id);
    await store.deleteIds([...gone, ...changed]);

    const thumbs = await store.thumbHashes();
    if (todo.length > 0) {
      const model = options.model ?? (await loadRunModel(identity.dir));
      try {
        const bar = new ItemProgress(todo.length, 'embedding', options.progress);
        const chunk = options.chunkSize ?? 512;
        for (let i = 0; i < todo.length; i += chunk) {
          const part = todo.slice(i, i + chunk);
          await store.addRows(await embedRows(model, part, identity.imageSize ?? 0));
          const pngs: Array<{ hash: string; png: Buffer }> = [];
          for (const item of part) if (item.thumbnail && !thumbs.has(item.hash)) pngs.push({ hash: item.hash, png: await item.thumbnail() });
          await store.addThumbs(pngs, thumbs);
          bar.update(Math.min(todo.length, i + chunk));
        }
      } finally {
        if (!options.model) model.dispose();
      }
    }
    const used = new Set(collection.items.filter((i) => i.modality === 'image').map((i) => i.hash));
    await store.deleteThumbs([...thumbs].filter((h) => !used.has(h)));

    const changes = todo.length + gone.length;
    let ann = prior?.ann ?? null;
    if (options.rebuild) ann = null;
    if (changes > 0) {
      const total = await store.countRows();
      // Centroids trained on another distribution lose recall: retrain when a fifth of the rows moved.
      if (ann !== null && changes > 0.2 * total) ann = await store.createAnn(ann.kind, ann.params);
      else await store.optimize();
    }
    const counts: Partial<Record<SearchModality, number>> = {};
    for (const item of collection.items) counts[item.modality] = (counts[item.modality] ?? 0) + 1;
    const seconds = (performance.now() - start) / 1000;
    const info = infoOf(location, identity, options, collection.resolved, counts, createdAt, { embedded: todo.length, unchanged: collection.items.length - todo.length, removed: gone.length, seconds }, ann);
    await store.writeInfo(info);
    return { location, info, embedded: todo.length, unchanged: collection.items.length - todo.length, removed: gone.length, seconds, skipped: collection.skipped, bad: collection.bad.length };
  } finally {
    store.close();
  }
}

function infoOf(
  location: string,
  run: RunIdentity,
  options: BuildIndexOptions,
  resolved: string,
  counts: IndexInfo['counts'],
  createdAt: string,
  lastUpdate: IndexInfo['lastUpdate'],
  ann: IndexInfo['ann'],
): IndexInfo {
  const data = { spec: options.data, resolved, ...(options.limit === undefined ? {} : { limit: options.limit }) };
  return { format: INDEX_FORMAT, location, run, data, counts, createdAt, updatedAt: new Date().toISOString(), lastUpdate, ann };
}

/** Embeds a chunk of rows, each modality in one batch call; rows keep their order. */
async function embedRows(model: RunModel, items: readonly CollectionItem[], imageSize: number): Promise<IndexRow[]> {
  const vectors = new Array<Float32Array>(items.length);
  const dim = model.identity.embedDim;
  const byModality = new Map<SearchModality, number[]>();
  items.forEach((item, i) => byModality.set(item.modality, [...(byModality.get(item.modality) ?? []), i]));
  for (const [modality, rows] of byModality) {
    let flat: Float32Array;
    if (modality === 'image') {
      const per = imageSize * imageSize * 3;
      const pixels = new Float32Array(rows.length * per);
      for (const [j, row] of rows.entries()) pixels.set(await items[row]!.pixels!(), j * per);
      flat = model.embedImages(pixels, rows.length);
    } else if (modality === 'text') {
      flat = model.embedTexts(rows.map((r) => items[r]!.text));
    } else {
      flat = model.embedAudio([]);
    }
    rows.forEach((row, j) => (vectors[row] = flat.slice(j * dim, (j + 1) * dim)));
  }
  return items.map((item, i) => ({ id: item.id, group: item.group, modality: item.modality, text: item.text, label: item.label, source: item.source, hash: item.hash, vector: vectors[i]! }));
}

/** The run's seed, held-out fraction and style, so built-in items are labelled train / held out as the run split them. */
function runSplit(runDir: string): { split?: { seed: number; heldOutFraction: number }; defaultStyle?: string } {
  const parsed = ClipEmojiConfigSchema.safeParse(readJson<{ config?: unknown }>(path.join(runDir, 'config.json')).config);
  if (!parsed.success || parsed.data.data.dataset !== 'emoji') return {};
  return { split: { seed: parsed.data.seed, heldOutFraction: parsed.data.data.heldOutFraction }, defaultStyle: parsed.data.data.trainStyle };
}
