import type { Connection, Table } from '@lancedb/lancedb';
import * as arrow from 'apache-arrow';
import * as fs from 'node:fs';
import { isObjectStoreUri, lancedb, resolveLocation, sqlString } from './lance.js';
import type { RunIdentity, SearchModality } from './run-model.js';

export const INDEX_FORMAT = 1;
const ITEMS = 'items';
const THUMBS = 'thumbs';
const INFO = 'info';
/** Ids per `IN (...)` filter: DataFusion parses every literal, so very long lists are slow to plan. */
const FILTER_CHUNK = 500;

export type AnnKind = 'ivf-pq' | 'hnsw-sq';
export const ANN_KINDS: readonly AnnKind[] = ['ivf-pq', 'hnsw-sq'];

export interface AnnInfo {
  kind: AnnKind;
  params: Record<string, number>;
  /** Rows when it was built, and how long that took. */
  rows: number;
  seconds: number;
}

/** What an index knows about itself (the `info` table). */
export interface IndexInfo {
  format: number;
  location: string;
  run: RunIdentity;
  data: { spec: string; resolved: string; limit?: number };
  counts: Partial<Record<SearchModality, number>>;
  createdAt: string;
  updatedAt: string;
  lastUpdate: { embedded: number; unchanged: number; removed: number; seconds: number };
  ann: AnnInfo | null;
}

/** One stored row without its vector: a single modality of one collection item. */
export interface IndexRowMeta {
  /** Unique in the collection: `<group>/<modality>` (texts: `<group>/text/<i>`). */
  id: string;
  /** The collection item this row belongs to: an image and its captions share it (a pair). */
  group: string;
  modality: SearchModality;
  /** The caption of a text row; the item's first caption (or name) on other rows, for display. */
  text: string;
  label: string;
  /** Where the content came from: a file path, or builtin:<name>/<id>. */
  source: string;
  /** sha256 of the content (file bytes, decoded pixels, or the caption): what re-indexing compares. */
  hash: string;
}

export interface IndexRow extends IndexRowMeta {
  vector: Float32Array;
}

export interface VectorQueryOptions {
  k: number;
  modality?: SearchModality;
  /** Use the ANN index (when there is one); default exact. */
  ann?: boolean;
  /** IVF partitions probed (ANN); default 20. */
  nprobes?: number;
  /** Candidates re-ranked with full vectors: k x refineFactor (ANN); default 10. */
  refineFactor?: number;
  /** HNSW search breadth (ANN); default 10 x k. */
  ef?: number;
}

export interface Hit extends IndexRowMeta {
  /** Cosine similarity (vectors are unit length, so the dot product). */
  score: number;
}

const META_COLUMNS = ['id', 'group', 'modality', 'text', 'label', 'source', 'hash'] as const;

function itemsSchema(dim: number): arrow.Schema {
  const utf8 = (name: string) => new arrow.Field(name, new arrow.Utf8(), false);
  return new arrow.Schema([...META_COLUMNS.map(utf8), new arrow.Field('vector', new arrow.FixedSizeList(dim, new arrow.Field('item', new arrow.Float32(), true)), false)]);
}

const THUMB_SCHEMA = new arrow.Schema([new arrow.Field('hash', new arrow.Utf8(), false), new arrow.Field('png', new arrow.Binary(), false)]);
const INFO_SCHEMA = new arrow.Schema([new arrow.Field('key', new arrow.Utf8(), false), new arrow.Field('json', new arrow.Utf8(), false)]);

/**
 * The LanceDB side of an index: a folder (or object-store prefix) with three tables, `items`
 * (one row per embedded item: ids, modality, metadata, content hash, unit vector), `thumbs`
 * (PNG thumbnails by content hash, for the explorer) and `info` (one JSON row: the run it
 * came from, the collection, counts, the ANN index).
 */
export class IndexStore {
  private itemsTable: Table | undefined;

  private constructor(
    readonly location: string,
    private readonly db: Connection,
  ) {}

  /** Opens an index; `create` allows a location with no index yet. */
  static async open(location: string, options: { create?: boolean } = {}): Promise<IndexStore> {
    const resolved = resolveLocation(location);
    if (!options.create && !isObjectStoreUri(resolved) && !fs.existsSync(resolved)) throw new Error(`No index at ${resolved}: build one with pnpm exp index --run <runDir> --data <collection> --out ${location}`);
    const { connect } = await lancedb();
    const db = await connect(resolved);
    const store = new IndexStore(resolved, db);
    if (!options.create && (await store.readInfo()) === undefined) throw new Error(`${resolved} is not a modalab index (no '${INFO}' table): build one with pnpm exp index`);
    return store;
  }

  private async table(name: string): Promise<Table | undefined> {
    if (name === ITEMS && this.itemsTable) return this.itemsTable;
    if (!(await this.db.tableNames()).includes(name)) return undefined;
    const t = await this.db.openTable(name);
    if (name === ITEMS) this.itemsTable = t;
    return t;
  }

  async readInfo(): Promise<IndexInfo | undefined> {
    const t = await this.table(INFO);
    if (!t) return undefined;
    const rows = await t.query().where(`key = 'index'`).limit(1).toArray();
    if (rows.length === 0) return undefined;
    const info = JSON.parse(String((rows[0] as { json: string }).json)) as IndexInfo;
    if (info.format !== INDEX_FORMAT) throw new Error(`Index ${this.location} has format ${info.format}; this version reads format ${INDEX_FORMAT}. Rebuild it with pnpm exp index --rebuild`);
    return info;
  }

  async writeInfo(info: IndexInfo): Promise<void> {
    await this.db.createTable(INFO, [{ key: 'index', json: JSON.stringify(info) }], { schema: INFO_SCHEMA, mode: 'overwrite' });
  }

  /** Drops every table (a rebuild with another run). */
  async clear(): Promise<void> {
    for (const name of await this.db.tableNames()) if ([ITEMS, THUMBS, INFO].includes(name)) await this.db.dropTable(name);
    this.itemsTable = undefined;
  }

  /** id -> content hash of every stored row. */
  async hashes(): Promise<Map<string, string>> {
    const t = await this.table(ITEMS);
    const out = new Map<string, string>();
    if (!t) return out;
    const table = await t.query().select(['id', 'hash']).toArrow();
    const ids = table.getChild('id')!;
    const hashes = table.getChild('hash')!;
    for (let i = 0; i < table.numRows; i++) out.set(String(ids.get(i)), String(hashes.get(i)));
    return out;
  }

  async countRows(modality?: SearchModality): Promise<number> {
    const t = await this.table(ITEMS);
    if (!t) return 0;
    return t.countRows(modality === undefined ? undefined : `modality = ${sqlString(modality)}`);
  }

  async deleteIds(ids: readonly string[]): Promise<void> {
    const t = await this.table(ITEMS);
    if (!t || ids.length === 0) return;
    for (let i = 0; i < ids.length; i += FILTER_CHUNK) await t.delete(`id IN (${ids.slice(i, i + FILTER_CHUNK).map(sqlString).join(', ')})`);
  }

  async addRows(rows: readonly IndexRow[]): Promise<void> {
    if (rows.length === 0) return;
    const dim = rows[0]!.vector.length;
    const data = rows.map((r) => ({ ...r, vector: Array.from(r.vector) }));
    const t = await this.table(ITEMS);
    if (t) await t.add(data);
    else this.itemsTable = await this.db.createTable(ITEMS, data, { schema: itemsSchema(dim), mode: 'create' });
  }

  /** Content hashes of the stored thumbnails. */
  async thumbHashes(): Promise<Set<string>> {
    const t = await this.table(THUMBS);
    const have = new Set<string>();
    if (!t) return have;
    const table = await t.query().select(['hash']).toArrow();
    const col = table.getChild('hash')!;
    for (let i = 0; i < table.numRows; i++) have.add(String(col.get(i)));
    return have;
  }

  /** Adds thumbnails not in `have` (which is updated), so a chunk at a time can be written. */
  async addThumbs(add: ReadonlyArray<{ hash: string; png: Buffer }>, have: Set<string>): Promise<void> {
    const rows: Array<{ hash: string; png: Buffer }> = [];
    for (const a of add) if (!have.has(a.hash)) (have.add(a.hash), rows.push(a));
    if (rows.length === 0) return;
    const t = await this.table(THUMBS);
    if (t) await t.add(rows);
    else await this.db.createTable(THUMBS, rows, { schema: THUMB_SCHEMA, mode: 'create' });
  }

  async deleteThumbs(hashes: readonly string[]): Promise<void> {
    const t = await this.table(THUMBS);
    if (!t || hashes.length === 0) return;
    for (let i = 0; i < hashes.length; i += FILTER_CHUNK) await t.delete(`hash IN (${hashes.slice(i, i + FILTER_CHUNK).map(sqlString).join(', ')})`);
  }

  /** The PNG stored for a content hash (validated by the caller), or undefined. */
  async thumb(hash: string): Promise<Buffer | undefined> {
    const t = await this.table(THUMBS);
    if (!t) return undefined;
    const rows = await t.query().where(`hash = ${sqlString(hash)}`).limit(1).toArray();
    const png = (rows[0] as { png?: Uint8Array } | undefined)?.png;
    return png === undefined ? undefined : Buffer.from(png);
  }

  /** Nearest rows to a unit vector by cosine similarity. */
  async search(vector: Float32Array, options: VectorQueryOptions): Promise<Hit[]> {
    const t = await this.table(ITEMS);
    if (!t) return [];
    let q = t.vectorSearch(Array.from(vector)).distanceType('dot').limit(options.k).select([...META_COLUMNS, '_distance']);
    if (options.modality !== undefined) q = q.where(`modality = ${sqlString(options.modality)}`);
    if (options.ann) {
      q = q.nprobes(options.nprobes ?? 20).refineFactor(options.refineFactor ?? 10).ef(options.ef ?? 10 * options.k);
    } else {
      q = q.bypassVectorIndex();
    }
    const rows = (await q.toArray()) as Array<IndexRowMeta & { _distance: number }>;
    // LanceDB's dot "distance" is 1 - a.b.
    return rows.map(({ _distance, ...meta }) => ({ ...plain(meta), score: 1 - _distance }));
  }

  /** Rows (and vectors) matching a filter; every row when none. */
  async rows(options: { where?: string; limit?: number } = {}): Promise<IndexRow[]> {
    const t = await this.table(ITEMS);
    if (!t) return [];
    let q = t.query().select([...META_COLUMNS, 'vector']);
    if (options.where !== undefined) q = q.where(options.where);
    if (options.limit !== undefined) q = q.limit(options.limit);
    const table = await q.toArrow();
    const cols = META_COLUMNS.map((c) => table.getChild(c)!);
    const vectors = table.getChild('vector')!;
    const out: IndexRow[] = [];
    for (let i = 0; i < table.numRows; i++) {
      const meta = Object.fromEntries(META_COLUMNS.map((c, j) => [c, String(cols[j]!.get(i))])) as unknown as IndexRowMeta;
      out.push({ ...meta, vector: Float32Array.from(vectors.get(i) as Iterable<number>) });
    }
    return out;
  }

  async rowById(id: string): Promise<IndexRow | undefined> {
    return (await this.rows({ where: `id = ${sqlString(id)}`, limit: 1 }))[0];
  }

  /** Builds (or replaces) the ANN index on the vectors. */
  async createAnn(kind: AnnKind, params: Record<string, number> = {}): Promise<AnnInfo> {
    const t = await this.table(ITEMS);
    if (!t) throw new Error(`Index ${this.location} has no rows to build an ANN index on`);
    const rows = await t.countRows();
    // Each PQ codebook has 256 centroids, trained on the rows themselves.
    if (kind === 'ivf-pq' && rows < 256) throw new Error(`ivf-pq needs at least 256 rows to train its codebooks; index ${this.location} has ${rows}. Exact search is fast at this size; or use hnsw-sq`);
    const { Index } = await lancedb();
    const dim = (await this.rows({ limit: 1 }))[0]!.vector.length;
    const chosen = annParams(kind, rows, dim, params);
    const start = performance.now();
    const config =
      kind === 'ivf-pq'
        ? Index.ivfPq({ distanceType: 'dot', numPartitions: chosen['numPartitions']!, numSubVectors: chosen['numSubVectors']! })
        : Index.hnswSq({ distanceType: 'dot', numPartitions: chosen['numPartitions']!, m: chosen['m']!, efConstruction: chosen['efConstruction']! });
    await t.createIndex('vector', { config, replace: true });
    return { kind, params: chosen, rows, seconds: (performance.now() - start) / 1000 };
  }

  async dropAnn(): Promise<void> {
    const t = await this.table(ITEMS);
    if (!t) return;
    for (const index of await t.listIndices()) if (index.columns.includes('vector')) await t.dropIndex(index.name);
  }

  /** Compacts the fragments that incremental adds leave, and folds new rows into the ANN index. */
  async optimize(): Promise<void> {
    const t = await this.table(ITEMS);
    if (t) await t.optimize();
  }

  close(): void {
    this.itemsTable?.close();
    this.db.close();
  }
}

/**
 * Defaults sized to the table: IVF with about sqrt(n) partitions (LanceDB's guidance), PQ with
 * sub-vectors of 4 dimensions (dim / 4, so 16 for 64-d); HNSW with m 20, efConstruction 150.
 */
export function annParams(kind: AnnKind, rows: number, dim: number, given: Record<string, number>): Record<string, number> {
  const partitions = Math.max(1, Math.min(Math.round(Math.sqrt(rows)), Math.floor(rows / 40)));
  const base: Record<string, number> =
    kind === 'ivf-pq'
      ? { numPartitions: partitions, numSubVectors: Math.max(1, Math.floor(dim / 4)) }
      : { numPartitions: Math.max(1, Math.round(partitions / 8)), m: 20, efConstruction: 150 };
  for (const [k, v] of Object.entries(given)) {
    if (!(k in base)) throw new Error(`Unknown ${kind} parameter '${k}'. Known: ${Object.keys(base).join(', ')}`);
    if (!Number.isInteger(v) || v < 1) throw new Error(`${kind} parameter ${k} must be a positive integer, received ${v}`);
    base[k] = v;
  }
  if (kind === 'ivf-pq' && dim % base['numSubVectors']! !== 0) throw new Error(`ivf-pq numSubVectors ${base['numSubVectors']} must divide the vector width ${dim}`);
  return base;
}

function plain(meta: IndexRowMeta): IndexRowMeta {
  return { id: meta.id, group: meta.group, modality: meta.modality, text: meta.text, label: meta.label, source: meta.source, hash: meta.hash };
}
