/** One measurement per kernel path, plus the PyTorch/numpy one when --vs-torch ran. */
export interface Measurement { bench: string; unit: string; path: string; value: number }

export interface TableRow {
  bench: string;
  unit: string;
  /** Value per kernel path (higher is better for every unit here). */
  values: Record<string, number>;
  /** The fastest kernel path of the row. */
  best: string;
  /** best / wasm as shipped, when both were measured. */
  vsWasm?: number;
  /** The reference value (torch, or numpy for retrieval) and best / reference. */
  reference?: number;
  vsReference?: number;
}

export function buildTable(measurements: Measurement[], paths: string[], baseline: string | undefined, reference: Map<string, number>): TableRow[] {
  const benches = [...new Set(measurements.map((m) => m.bench))];
  return benches.map((bench) => {
    const cells = measurements.filter((m) => m.bench === bench);
    const values = Object.fromEntries(paths.flatMap((p) => cells.filter((c) => c.path === p).map((c) => [p, c.value] as const)));
    const best = cells.reduce((a, b) => (b.value > a.value ? b : a));
    const row: TableRow = { bench, unit: cells[0]!.unit, values, best: best.path };
    if (baseline !== undefined && values[baseline] !== undefined && paths.length > 1) row.vsWasm = best.value / values[baseline]!;
    const ref = reference.get(bench);
    if (ref !== undefined) {
      row.reference = ref;
      row.vsReference = best.value / ref;
    }
    return row;
  });
}

const num = (v: number | undefined): string => (v === undefined ? '-' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const ratio = (v: number | undefined): string => (v === undefined ? '-' : `${v.toFixed(2)}x`);

/** A fixed-width text table: bench, unit, one column per path, reference, ratios. */
export function formatTable(rows: TableRow[], paths: string[], referenceName: string | undefined): string {
  const hasWasm = rows.some((r) => r.vsWasm !== undefined);
  const hasRef = referenceName !== undefined;
  const header = ['bench', 'unit', ...paths, ...(hasRef ? [referenceName] : []), ...(hasWasm ? ['best/wasm'] : []), ...(hasRef ? [`best/${referenceName.split('/')[0]}`] : [])];
  const lines = rows.map((r) => [
    r.bench,
    r.unit,
    ...paths.map((p) => num(r.values[p])),
    ...(hasRef ? [num(r.reference)] : []),
    ...(hasWasm ? [ratio(r.vsWasm)] : []),
    ...(hasRef ? [ratio(r.vsReference)] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n');
}
