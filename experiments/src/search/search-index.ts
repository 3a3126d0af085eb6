import { loadImage } from '@modalab/data';
import * as fs from 'node:fs';
import { bruteForceTopK, recallAgainst } from './brute-force.js';
import { sqlString } from './lance.js';
import { loadRunModel, missingEncoder, runIdentity, type RunIdentity, type RunModel, type SearchModality } from './run-model.js';
import { type AnnInfo, type AnnKind, type Hit, type IndexInfo, IndexStore, type VectorQueryOptions } from './store.js';

/** What to search with: a caption, an image (file or pixels at the run's size), a sound, an indexed row, or a raw unit vector. */
export type SearchQuery =
  | { text: string }
  | { image: string }
  | { imagePixels: Float32Array }
  | { audio: string }
  | { id: string }
  | { vector: Float32Array };

export interface SearchOptions {
  /** Results; default 10. */
  k?: number;
  /** Only rows of this modality. */
  modality?: SearchModality;
  /** Use the ANN index instead of exact search (needs one: buildAnn / pnpm exp search --build-ann). */
  ann?: boolean;
  nprobes?: number;
  refineFactor?: number;
  ef?: number;
}

export interface SearchOutput {
  hits: Hit[];
  /** The modality of the query ('vector' for a raw vector). */
  queryModality: SearchModality | 'vector';
  /** 'exact' (flat scan) or the ANN kind used. */
  method: 'exact' | AnnKind;
  ms: number;
}

export interface AnnRecall {
  k: number;
  queries: number;
  /** Mean over queries of |ANN top-k ∩ exact top-k| / k. */
  recall: number;
  /** Mean latency per query. */
  exactMs: number;
  annMs: number;
}

export const DEFAULT_K = 10;
export const MAX_K = 1000;

/**
 * A built index, ready to query (library API; `pnpm exp search` is a thin wrapper). The model
 * is the run the index records, loaded on the first query that needs embedding; a `run` given
 * explicitly must have the same checkpoint, or opening fails.
 */
export class SearchIndex {
  private model: RunModel | undefined;
  private loading: Promise<RunModel> | undefined;

  private constructor(
    readonly store: IndexStore,
    public info: IndexInfo,
    private readonly runDir: string,
    private readonly ownsModel: boolean,
    model: RunModel | undefined,
  ) {
    this.model = model;
  }

  static async open(location: string, options: { run?: string; model?: RunModel } = {}): Promise<SearchIndex> {
    const store = await IndexStore.open(location);
    try {
      const info = (await store.readInfo())!;
      const identity: RunIdentity | undefined = options.model?.identity ?? (options.run === undefined ? undefined : runIdentity(options.run));
      if (identity !== undefined) checkSameRun(info, identity);
      else if (!fs.existsSync(info.run.dir)) {
        throw new Error(`Index ${store.location} was built with run ${info.run.dir}, which is not there any more: pass --run <dir> with the same checkpoint (sha256 ${info.run.fingerprint.slice(0, 12)})`);
      }
      return new SearchIndex(store, info, identity?.dir ?? info.run.dir, options.model === undefined, options.model);
    } catch (err) {
      store.close();
      throw err;
    }
  }

  /** The run's model (loaded and checked against the index on first use). */
  async runModel(): Promise<RunModel> {
    if (this.model) return this.model;
    this.loading ??= loadRunModel(this.runDir).then((m) => {
      try {
        checkSameRun(this.info, m.identity);
      } catch (err) {
        m.dispose();
        throw err;
      }
      return (this.model = m);
    });
    return this.loading;
  }

  /** The query as a unit vector in the index's space. */
  async embedQuery(query: SearchQuery): Promise<{ vector: Float32Array; modality: SearchModality | 'vector' }> {
    if ('vector' in query) {
      if (query.vector.length !== this.info.run.embedDim) throw new Error(`Query vector has ${query.vector.length} dimensions; the index has ${this.info.run.embedDim}`);
      return { vector: query.vector, modality: 'vector' };
    }
    if ('id' in query) {
      const row = await this.store.rowById(query.id);
      if (!row) throw new Error(`No item '${query.id}' in index ${this.store.location}`);
      return { vector: row.vector, modality: row.modality };
    }
    if ('audio' in query) {
      // Before reading anything: a run without an audio tower cannot place a sound in its space.
      if (!this.info.run.modalities.includes('audio')) throw missingEncoder(this.info.run, 'audio');
      return { vector: (await this.runModel()).embedAudio([]), modality: 'audio' };
    }
    const model = await this.runModel();
    if ('text' in query) {
      if (query.text.trim() === '') throw new Error('The text query is empty');
      return { vector: model.embedTexts([query.text]), modality: 'text' };
    }
    const size = model.identity.imageSize ?? 0;
    const pixels = 'image' in query ? await loadImage(query.image, size) : query.imagePixels;
    return { vector: model.embedImages(pixels, 1), modality: 'image' };
  }

  async search(query: SearchQuery, options: SearchOptions = {}): Promise<SearchOutput> {
    const k = checkK(options.k ?? DEFAULT_K);
    if (options.ann && this.info.ann === null) throw new Error(`Index ${this.store.location} has no ANN index: build one with pnpm exp search --index ${this.store.location} --build-ann ivf-pq (or SearchIndex.buildAnn)`);
    const { vector, modality } = await this.embedQuery(query);
    const start = performance.now();
    const hits = await this.store.search(vector, queryOptions(k, options));
    return { hits, queryModality: modality, method: options.ann ? this.info.ann!.kind : 'exact', ms: performance.now() - start };
  }

  /** Exact top-k computed in JavaScript over every stored vector: the reference for tests. */
  async bruteForce(vector: Float32Array, options: { k?: number; modality?: SearchModality } = {}): Promise<Hit[]> {
    const rows = await this.store.rows(options.modality === undefined ? {} : { where: `modality = ${sqlString(options.modality)}` });
    return bruteForceTopK(vector, rows.map((r) => r.vector), options.k ?? DEFAULT_K).map(({ row, score }) => {
      const { vector: _, ...meta } = rows[row]!;
      return { ...meta, score };
    });
  }

  /** Builds (or replaces) the ANN index and records it. */
  async buildAnn(kind: AnnKind, params: Record<string, number> = {}): Promise<AnnInfo> {
    const ann = await this.store.createAnn(kind, params);
    this.info = { ...this.info, ann };
    await this.store.writeInfo(this.info);
    return ann;
  }

  async dropAnn(): Promise<void> {
    await this.store.dropAnn();
    this.info = { ...this.info, ann: null };
    await this.store.writeInfo(this.info);
  }

  /**
   * Recall@k of the ANN index against exact search, with `queries` stored rows (every n-th
   * row, so deterministic) as queries, and mean latency of both.
   */
  async annRecall(options: { k?: number; queries?: number; modality?: SearchModality } & Pick<SearchOptions, 'nprobes' | 'refineFactor' | 'ef'> = {}): Promise<AnnRecall> {
    if (this.info.ann === null) throw new Error(`Index ${this.store.location} has no ANN index to measure`);
    const k = checkK(options.k ?? DEFAULT_K);
    const rows = await this.store.rows();
    const n = Math.min(options.queries ?? 100, rows.length);
    const step = rows.length / n;
    let recall = 0;
    let exactMs = 0;
    let annMs = 0;
    for (let q = 0; q < n; q++) {
      const vector = rows[Math.floor(q * step)]!.vector;
      let t = performance.now();
      const exact = await this.store.search(vector, queryOptions(k, { ...options, ann: false }));
      exactMs += performance.now() - t;
      t = performance.now();
      const approx = await this.store.search(vector, queryOptions(k, { ...options, ann: true }));
      annMs += performance.now() - t;
      recall += recallAgainst(approx.map((h) => h.id), exact.map((h) => h.id));
    }
    return { k, queries: n, recall: recall / n, exactMs: exactMs / n, annMs: annMs / n };
  }

  close(): void {
    if (this.ownsModel) this.model?.dispose();
    this.store.close();
  }
}

function queryOptions(k: number, o: SearchOptions): VectorQueryOptions {
  return {
    k,
    ...(o.modality === undefined ? {} : { modality: o.modality }),
    ...(o.ann ? { ann: true } : {}),
    ...(o.nprobes === undefined ? {} : { nprobes: o.nprobes }),
    ...(o.refineFactor === undefined ? {} : { refineFactor: o.refineFactor }),
    ...(o.ef === undefined ? {} : { ef: o.ef }),
  };
}

function checkK(k: number): number {
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new Error(`k must be an integer in [1, ${MAX_K}], received ${k}`);
  return k;
}

/** Fails unless `identity` is the run whose vectors the index holds. */
export function checkSameRun(info: IndexInfo, identity: RunIdentity): void {
  if (info.run.fingerprint === identity.fingerprint) return;
  throw new Error(
    `Index ${info.location} holds vectors of run ${info.run.dir} (checkpoint sha256 ${info.run.fingerprint.slice(0, 12)}), ` +
      `but the model given is run ${identity.dir} (${identity.fingerprint.slice(0, 12)}): its embeddings live in another space. ` +
      `Query with that run, or re-index with pnpm exp index --run ${identity.dir} --data ${info.data.spec} --out ${info.location} --rebuild`,
  );
}
