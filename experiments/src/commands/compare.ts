import { writeFileAtomic } from '@modalab/core';
import { renderReport } from '@modalab/eval';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson } from '../runner/run-dir.js';

export interface Comparison {
  runs: string[];
  keys: string[];
  /** values[key][run index]; undefined where a run lacks the key. */
  values: Record<string, Array<number | string | undefined>>;
}

const DEFAULT_KEYS = /^(experiment|seed|backend|steps|parameters|train\/(loss|samplesPerSec|seconds)|[^/]+\/(image->text|text->image)\/(R@\d+|medianRank)|test\/geometry\/image-text\/gap)$/;

/** Summaries of several runs side by side; `pattern` picks keys (default: the headline ones). */
export function compareRuns(runDirs: string[], pattern: RegExp = DEFAULT_KEYS): Comparison {
  const summaries = runDirs.map((dir) => {
    const file = path.join(dir, 'summary.json');
    if (!fs.existsSync(file)) throw new Error(`${dir} has no summary.json (the run did not finish)`);
    return readJson<Record<string, number | string>>(file);
  });
  const keys = [...new Set(summaries.flatMap((s) => Object.keys(s)))].filter((k) => pattern.test(k));
  const values: Comparison['values'] = {};
  for (const k of keys) values[k] = summaries.map((s) => s[k]);
  return { runs: runDirs.map((d) => path.basename(path.resolve(d))), keys, values };
}

function cell(v: number | string | undefined): string {
  if (v === undefined) return '-';
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) < 1 ? v.toFixed(4) : v.toFixed(2);
}

export function formatComparison(c: Comparison): string {
  const header = ['key', ...c.runs];
  const rows = c.keys.map((k) => [k, ...c.values[k]!.map(cell)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}

export async function writeComparisonHtml(c: Comparison, file: string): Promise<void> {
  const html = renderReport({
    title: `Comparison of ${c.runs.length} runs`,
    sections: [{ title: 'Summaries', table: { columns: ['key', ...c.runs], rows: c.keys.map((k) => [k, ...c.values[k]!.map(cell)]) } }],
  });
  await writeFileAtomic(file, html);
}
