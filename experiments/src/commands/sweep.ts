import { writeFileAtomic } from '@modalab/core';
import { ablationBars, aggregateSeeds, pairedTTest, renderReport } from '@modalab/eval';
import * as aq from 'arquero';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyOverrides } from '../cli/overrides.js';
import type { ExperimentDef } from '../registry.js';
import { UsageError } from '../registry.js';
import { readJson, timestamp, writeJson } from '../runner/run-dir.js';
import { DEFAULT_RUNS_DIR } from '../runner/run-dir.js';

export interface SweepPlan {
  experiment: string;
  grid: Array<{ key: string; values: unknown[] }>;
  seeds: number[];
  /** Each cell's --set overrides, in grid order; cell 0 is the reference for paired tests. */
  cells: Array<{ id: string; sets: string[] }>;
  metrics: string[];
  baseSets: string[];
}

export const DEFAULT_SWEEP_METRICS = [
  'test/image->text/R@1',
  'test/image->text/R@10',
  'test/text->image/R@10',
  'test-other-style/image->text/R@10',
  'test/geometry/image-text/gap',
  'train/loss',
];

/** "key=v1,v2" -> values parsed as JSON where they parse. */
export function parseGrid(spec: string): { key: string; values: unknown[] } {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1) throw new UsageError(`--grid expects key=v1,v2,..., got '${spec}'`);
  const values = spec.slice(eq + 1).split(',').map((raw) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw;
    }
  });
  return { key: spec.slice(0, eq), values };
}

export function planSweep(experiment: string, grids: string[], seedCount: number, baseSets: string[] = [], metrics = DEFAULT_SWEEP_METRICS): SweepPlan {
  if (grids.length === 0) throw new UsageError('sweep needs at least one --grid key=v1,v2');
  if (!Number.isInteger(seedCount) || seedCount < 1) throw new UsageError(`--seeds must be a positive integer, got ${seedCount}`);
  const grid = grids.map(parseGrid);
  let cells: Array<{ id: string; sets: string[] }> = [{ id: '', sets: [] }];
  for (const { key, values } of grid) {
    cells = cells.flatMap((c) =>
      values.map((v) => ({ id: `${c.id}${c.id ? ',' : ''}${key}=${JSON.stringify(v)}`, sets: [...c.sets, `${key}=${JSON.stringify(v)}`] })),
    );
  }
  return { experiment, grid, seeds: Array.from({ length: seedCount }, (_, i) => i), cells, metrics, baseSets };
}

/** A folder name for a cell: readable, and unique through its index. */
function cellDir(index: number, id: string): string {
  return `cell${String(index).padStart(2, '0')}-${id.replace(/[^A-Za-z0-9.=,_-]+/g, '_').slice(0, 80)}`;
}

export interface SweepProgress {
  ran: number;
  skipped: number;
}

/**
 * Runs every (cell, seed) one at a time in-process. A run whose summary.json exists is
 * skipped, a run with a checkpoint is resumed, and a run that never checkpointed starts over:
 * so an interrupted sweep continues where it stopped.
 */
export async function runSweep(
  sweepDir: string,
  plan: SweepPlan,
  def: ExperimentDef,
  options: { log: (line: string) => void; maxRuns?: number; progress?: NodeJS.WriteStream },
): Promise<SweepProgress> {
  const progress: SweepProgress = { ran: 0, skipped: 0 };
  for (const [ci, cell] of plan.cells.entries()) {
    for (const seed of plan.seeds) {
      const dir = path.join(sweepDir, 'runs', cellDir(ci, cell.id), `seed${seed}`);
      if (fs.existsSync(path.join(dir, 'summary.json'))) {
        progress.skipped++;
        continue;
      }
      if (options.maxRuns !== undefined && progress.ran >= options.maxRuns) return progress;
      options.log(`sweep: ${cell.id} seed ${seed}`);
      const quiet = { log: () => undefined, ...(options.progress ? { progress: options.progress } : {}) };
      if (fs.existsSync(path.join(dir, 'checkpoint.ckpt'))) {
        await def.run(plan.experiment, undefined, { resume: dir, ...quiet });
      } else {
        fs.rmSync(dir, { recursive: true, force: true });
        const config = { ...applyOverrides(def.config, [...plan.baseSets, ...cell.sets]), seed };
        await def.run(plan.experiment, config, { runDir: dir, ...quiet });
      }
      progress.ran++;
    }
  }
  return progress;
}

export interface SweepTableRow {
  cell: string;
  metric: string;
  n: number;
  mean: number;
  std: number | null;
  ci95Lower: number | null;
  ci95Upper: number | null;
  /** Paired t-test (by seed) against cell 0; null for cell 0 or with fewer than 2 seeds. */
  diffVsFirst: number | null;
  pValueVsFirst: number | null;
}

/** Per cell and metric: mean, std and 95% Student-t interval over seeds, and a paired test against the first cell. */
export function summarizeSweep(sweepDir: string, plan: SweepPlan): SweepTableRow[] {
  const values = plan.cells.map((cell, ci) =>
    plan.seeds.map((seed) => {
      const file = path.join(sweepDir, 'runs', cellDir(ci, cell.id), `seed${seed}`, 'summary.json');
      if (!fs.existsSync(file)) throw new Error(`Sweep ${sweepDir} is incomplete: ${file} is missing (continue it with --resume)`);
      return readJson<Record<string, number>>(file);
    }),
  );
  const rows: SweepTableRow[] = [];
  plan.cells.forEach((cell, ci) => {
    for (const metric of plan.metrics) {
      const xs = values[ci]!.map((s) => s[metric]).filter((v): v is number => typeof v === 'number');
      if (xs.length === 0) continue;
      const agg = aggregateSeeds(xs);
      let diff: number | null = null, p: number | null = null;
      if (ci > 0 && xs.length >= 2) {
        const ref = values[0]!.map((s) => s[metric]).filter((v): v is number => typeof v === 'number');
        if (ref.length === xs.length) {
          const t = pairedTTest(xs, ref);
          diff = t.meanDifference;
          p = Number.isFinite(t.pValue) ? t.pValue : null;
        }
      }
      rows.push({
        cell: cell.id,
        metric,
        n: agg.n,
        mean: agg.mean,
        std: agg.std ?? null,
        ci95Lower: agg.lower ?? null,
        ci95Upper: agg.upper ?? null,
        diffVsFirst: diff,
        pValueVsFirst: p,
      });
    }
  });
  return rows;
}

/** sweep.csv, sweep.arrow (arquero) and sweep.html (error bars per metric). */
export async function writeSweepOutputs(sweepDir: string, plan: SweepPlan, rows: SweepTableRow[]): Promise<void> {
  const table = aq.from(rows);
  await writeFileAtomic(path.join(sweepDir, 'sweep.csv'), aq.toCSV(table));
  await writeFileAtomic(path.join(sweepDir, 'sweep.arrow'), aq.toArrowIPC(table, { format: 'file' }));
  const figures = plan.metrics
    .filter((m) => rows.some((r) => r.metric === m))
    .map((metric) => {
      const results: Record<string, Record<string, { mean: number; lower?: number; upper?: number; n?: number }>> = {};
      for (const r of rows.filter((x) => x.metric === metric)) {
        results[r.cell] = { [metric]: { mean: r.mean, n: r.n, ...(r.ci95Lower === null ? {} : { lower: r.ci95Lower }), ...(r.ci95Upper === null ? {} : { upper: r.ci95Upper }) } };
      }
      return ablationBars(results, { title: metric, yTitle: metric });
    });
  const html = renderReport({
    title: `Sweep of ${plan.experiment}`,
    subtitle: `${plan.cells.length} cells x ${plan.seeds.length} seeds · ${sweepDir}`,
    sections: [
      { title: 'Metrics with 95% intervals over seeds', text: 'Bars: mean over seeds; error bars: 95% Student-t interval. The table adds a paired t-test (by seed) against the first cell.', figures },
      {
        title: 'Table',
        table: {
          columns: ['cell', 'metric', 'n', 'mean', 'std', 'ci95 lower', 'ci95 upper', 'diff vs first', 'p vs first'],
          rows: rows.map((r) => [r.cell, r.metric, r.n, r.mean, r.std ?? '-', r.ci95Lower ?? '-', r.ci95Upper ?? '-', r.diffVsFirst ?? '-', r.pValueVsFirst ?? '-']),
        },
      },
    ],
  });
  await writeFileAtomic(path.join(sweepDir, 'sweep.html'), html);
}

export function formatSweep(rows: SweepTableRow[]): string {
  const f = (v: number | null) => (v === null ? '-' : Math.abs(v) < 1 ? v.toFixed(4) : v.toFixed(3));
  const header = ['cell', 'metric', 'n', 'mean', 'std', 'ci95', 'diff vs first', 'p'];
  const body = rows.map((r) => [r.cell, r.metric, String(r.n), f(r.mean), f(r.std), r.ci95Lower === null ? '-' : `[${f(r.ci95Lower)}, ${f(r.ci95Upper)}]`, f(r.diffVsFirst), f(r.pValueVsFirst)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...body.map(fmt)].join('\n');
}

export function newSweepDir(name: string, root = DEFAULT_RUNS_DIR): string {
  const dir = path.join(root, `sweep-${name}-${timestamp()}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export async function savePlan(dir: string, plan: SweepPlan): Promise<void> {
  await writeJson(path.join(dir, 'sweep.json'), plan);
}

export function loadPlan(dir: string): SweepPlan {
  return readJson<SweepPlan>(path.join(dir, 'sweep.json'));
}
