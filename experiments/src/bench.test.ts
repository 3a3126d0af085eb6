import { describe, expect, it } from 'vitest';
import { runScript } from './testing/run-script.js';

describe('pnpm bench --quick --json', () => {
  it('prints one JSON object whose rows are positive numbers, with ratios on wasm', () => {
    const r = runScript('bench.ts', ['--quick', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { backend: string; rows: Array<{ bench: string; values: Record<string, number>; ratio?: number }> };
    expect(out.backend).toBe('wasm');
    expect(out.rows.map((row) => row.bench)).toEqual(expect.arrayContaining([expect.stringMatching(/^clip-quickstart train/), expect.stringMatching(/^matmul 256 transposed/)]));
    for (const row of out.rows) {
      for (const v of Object.values(row.values)) expect(v, row.bench).toBeGreaterThan(0);
      expect(Number.isFinite(row.ratio), row.bench).toBe(true);
    }
  });
});
