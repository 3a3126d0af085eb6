import { backendInfo, initBackend, setWasmKernelOverrides } from '@modalab/core';
import { parseArgs } from 'node:util';
import { clipThroughput } from './bench/clip-throughput.js';
import { matmulCases, matmulGflops } from './bench/matmul-gflops.js';

/**
 * pnpm bench [--quick] [--json] [--backend NAME]
 * Throughput of the quickstart model and matmul GFLOP/s on the chosen backend. On wasm every
 * row is measured twice in the same run: with modalab's kernels and with the ones wasm ships,
 * and the ratio is printed (the reference lives in the same process, same machine state).
 */
const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, backend: { type: 'string' } },
});
const log = (line: string) => process.stderr.write(line + '\n');
await initBackend({ log, ...(values.backend === undefined ? {} : { backend: values.backend }) });
const backend = backendInfo()!.name;
const quick = values.quick;
const variants: Array<{ name: string; enable: boolean }> =
  backend === 'wasm' ? [{ name: 'wasm+modalab', enable: true }, { name: 'wasm shipped', enable: false }] : [{ name: backend, enable: true }];

interface Row { bench: string; variant: string; value: number; unit: string }
const rows: Row[] = [];
const steps = quick ? 2 : 8;
const batchSize = quick ? 16 : 128;
for (const v of variants) {
  if (backend === 'wasm') setWasmKernelOverrides(v.enable);
  log(`clip-quickstart on ${v.name}: ${steps} steps at batch ${batchSize}`);
  const t = await clipThroughput({ steps, batchSize });
  rows.push({ bench: `clip-quickstart train (batch ${batchSize})`, variant: v.name, value: t.trainSamplesPerSec, unit: 'samples/s' });
  rows.push({ bench: `clip-quickstart inference (batch ${batchSize})`, variant: v.name, value: t.inferSamplesPerSec, unit: 'samples/s' });
  for (const c of matmulCases(quick ? [256] : [256, 512, 1024])) {
    rows.push({ bench: `matmul ${c.label}`, variant: v.name, value: await matmulGflops(c, quick ? 50 : 400), unit: 'GFLOP/s' });
  }
}
if (backend === 'wasm') setWasmKernelOverrides(true);

const benches = [...new Set(rows.map((r) => r.bench))];
const table = benches.map((bench) => {
  const cells = variants.map((v) => rows.find((r) => r.bench === bench && r.variant === v.name)!);
  const ratio = cells.length === 2 ? cells[0]!.value / cells[1]!.value : undefined;
  return { bench, unit: cells[0]!.unit, values: Object.fromEntries(cells.map((c) => [c.variant, c.value])), ...(ratio === undefined ? {} : { ratio }) };
});

if (values.json) {
  process.stdout.write(JSON.stringify({ backend, quick, node: process.version, rows: table }) + '\n');
} else {
  const header = ['bench', 'unit', ...variants.map((v) => v.name), ...(variants.length === 2 ? ['ratio'] : [])];
  const lines = table.map((t) => [t.bench, t.unit, ...variants.map((v) => t.values[v.name]!.toFixed(1)), ...(t.ratio === undefined ? [] : [`${t.ratio.toFixed(2)}x`])]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write([fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n') + '\n');
}
