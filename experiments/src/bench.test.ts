import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

describe('pnpm bench --quick --json', () => {
  it('prints one JSON object whose rows are positive numbers, with ratios on wasm', () => {
    const r = spawnSync(path.join(repo, 'node_modules/.bin/tsx'), ['--conditions=source', path.join(here, 'bench.ts'), '--quick', '--json'], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, MODALAB_BACKEND: 'wasm' },
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { backend: string; rows: Array<{ bench: string; values: Record<string, number>; ratio?: number }> };
    expect(out.backend).toBe('wasm');
    expect(out.rows.map((row) => row.bench)).toEqual(expect.arrayContaining([expect.stringMatching(/^clip-quickstart train/), expect.stringMatching(/^matmul 256 transposed/)]));
    for (const row of out.rows) {
      for (const v of Object.values(row.values)) expect(v, row.bench).toBeGreaterThan(0);
      expect(Number.isFinite(row.ratio), row.bench).toBe(true);
    }
  });
});
