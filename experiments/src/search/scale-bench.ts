// Index build time and query latency at 10k and 100k rows, on synthetic unit vectors.
// Run: npx tsx --conditions=source experiments/src/search/scale-bench.ts [--sizes 10000,100000] [--dim 64] [--out <dir>]
// Synthetic on purpose: the numbers measure LanceDB and this module, not the encoders (whose
// throughput `pnpm exp index` prints); vectors are clustered like real embeddings, not uniform.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { recallAgainst } from './brute-force.js';
import { type IndexRow, IndexStore } from './store.js';

function syntheticRows(n: number, dim: number, seed: number): IndexRow[] {
  let s = seed;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const centres = Array.from({ length: 200 }, () => Float32Array.from({ length: dim }, rand));
  return Array.from({ length: n }, (_, i) => {
    const v = Float32Array.from(centres[i % centres.length]!, (c) => c + 0.5 * rand());
    const norm = Math.hypot(...v);
    return { id: `r${i}`, group: `g${i >> 1}`, modality: i % 2 === 0 ? 'image' : 'text', text: `item ${i}`, label: '', source: 'synthetic', hash: String(i), vector: v.map((x) => x / norm) };
  });
}

function stats(ms: number[]): { mean: number; p50: number; p95: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  return { mean: ms.reduce((a, b) => a + b, 0) / ms.length, p50: sorted[Math.floor(0.5 * (sorted.length - 1))]!, p95: sorted[Math.floor(0.95 * (sorted.length - 1))]! };
}

async function bench(n: number, dim: number, dir: string, queries: number): Promise<Record<string, unknown>> {
  fs.rmSync(dir, { recursive: true, force: true });
  const rows = syntheticRows(n, dim, 7);
  const store = await IndexStore.open(dir, { create: true });
  let t = performance.now();
  for (let i = 0; i < n; i += 10_000) await store.addRows(rows.slice(i, i + 10_000));
  await store.optimize();
  const writeSeconds = (performance.now() - t) / 1000;
  const qs = Array.from({ length: queries }, (_, q) => rows[(q * 7919) % n]!.vector);
  const run = async (ann: boolean, modality?: 'image') => {
    await store.search(qs[0]!, { k: 10, ann, ...(modality ? { modality } : {}) }); // warm
    const times: number[] = [];
    const ids: string[][] = [];
    for (const q of qs) {
      const start = performance.now();
      ids.push((await store.search(q, { k: 10, ann, ...(modality ? { modality } : {}) })).map((h) => h.id));
      times.push(performance.now() - start);
    }
    return { ...stats(times), ids };
  };
  const exact = await run(false);
  const exactFiltered = await run(false, 'image');
  t = performance.now();
  const ann = await store.createAnn('ivf-pq');
  const annSeconds = (performance.now() - t) / 1000;
  const approx = await run(true);
  const recall = approx.ids.reduce((sum, got, i) => sum + recallAgainst(got, exact.ids[i]!), 0) / queries;
  store.close();
  const bytes = dirSize(dir);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    rows: n,
    dim,
    writeSeconds: round(writeSeconds),
    exactMs: { mean: round(exact.mean), p50: round(exact.p50), p95: round(exact.p95) },
    exactFilteredMs: { mean: round(exactFiltered.mean), p50: round(exactFiltered.p50), p95: round(exactFiltered.p95) },
    ivfPq: { params: ann.params, buildSeconds: round(annSeconds), ms: { mean: round(approx.mean), p50: round(approx.p50), p95: round(approx.p95) }, recallAt10: round(recall) },
    diskMB: round(bytes / 1e6),
  };
}

function dirSize(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) total += e.isDirectory() ? dirSize(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).size;
  return total;
}

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '10000,100000' }, dim: { type: 'string', default: '64' }, queries: { type: 'string', default: '50' }, out: { type: 'string' } } });
const root = values.out ?? fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-scale-'));
process.stderr.write(`load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores\n`);
for (const n of values.sizes.split(',').map(Number)) {
  process.stdout.write(JSON.stringify(await bench(n, Number(values.dim), path.join(root, `n${n}`), Number(values.queries))) + '\n');
}
if (values.out === undefined) fs.rmSync(root, { recursive: true, force: true });
