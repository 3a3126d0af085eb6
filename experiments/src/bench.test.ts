import { registerNativeKernels, setNativeKernels } from '@modalab/core';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { defaultPython } from './bench/torch-reference.js';
import { runScript } from './testing/run-script.js';

interface BenchJson {
  backend: string;
  paths: Array<{ name: string; description: string }>;
  reference?: { torch: string | null; numpy: string | null };
  rows: Array<{ bench: string; unit: string; values: Record<string, number>; best: string; vsWasm?: number; reference?: number; vsReference?: number }>;
}

/** Runs the bench with MODALAB_PYTHON set for the child (runScript passes process.env on). */
function withPython<T>(python: string, fn: () => T): T {
  const before = process.env.MODALAB_PYTHON;
  process.env.MODALAB_PYTHON = python;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.MODALAB_PYTHON;
    else process.env.MODALAB_PYTHON = before;
  }
}

// Whether this machine built the native addon and allows it: then the bench measures its path too,
// and its bf16 path where the CPU has bf16 units.
const native = registerNativeKernels({ env: {} });
const nativeMeasured = native.available && process.env.MODALAB_NATIVE !== '0';
const bf16Measured = nativeMeasured && native.bf16.available;
setNativeKernels(false);

const hasTorch = spawnSync(defaultPython(), ['-c', 'import torch, numpy'], { timeout: 60_000 }).status === 0;

describe('pnpm bench --quick --json', () => {
  it('prints one JSON object with every row measured on every wasm kernel path, positive and compared with wasm as shipped', () => {
    const r = runScript('bench.ts', ['--quick', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as BenchJson;
    expect(out.backend).toBe('wasm');
    const paths = out.paths.map((p) => p.name);
    expect(paths).toEqual(expect.arrayContaining(['wasm', 'wasm+modalab', ...(nativeMeasured ? ['wasm+native'] : []), ...(bf16Measured ? ['wasm+native-bf16'] : [])]));
    if (!nativeMeasured) expect(r.stderr).toContain('path wasm+native not measured');
    else if (!bf16Measured) expect(r.stderr).toContain('path wasm+native-bf16 not measured');
    expect(out.rows.map((row) => row.bench)).toEqual(
      expect.arrayContaining([/^clip-mini train/, /^clip-mini inference/, /^matmul 256 plain/, /^matmul 256 transposed/, /^matmul 256 batched/, /^retrieval top-10/].map((re) => expect.stringMatching(re))),
    );
    for (const row of out.rows) {
      expect(Object.keys(row.values).sort(), row.bench).toEqual([...paths].sort());
      for (const v of Object.values(row.values)) expect(v, row.bench).toBeGreaterThan(0);
      expect(Number.isFinite(row.vsWasm), row.bench).toBe(true);
      expect(paths).toContain(row.best);
      expect(row.reference).toBeUndefined();
    }
    // One line per path names what runs it.
    for (const p of paths) expect(r.stderr).toContain(`path ${p}:`);
  });

  it('--vs-torch fails at once, saying what to install, when the interpreter has no torch', () => {
    const r = withPython('/nonexistent/python3', () => runScript('bench.ts', ['--quick', '--vs-torch']));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--vs-torch needs PyTorch.*python3-torch/);
    expect(r.stdout).toBe('');
  });

  it('rejects an unknown --only section and an unavailable --paths entry by name', () => {
    const r = runScript('bench.ts', ['--quick', '--only', 'matmul,conv']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown section 'conv'/);
    const p = runScript('bench.ts', ['--quick', '--only', 'matmul', '--paths', 'wasm,gpu']);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/--paths: 'gpu' is not available here. Available: wasm, wasm\+modalab/);
  });

  it('--profile prints where a training step spends its time, kernel by kernel, per path', () => {
    const r = runScript('bench.ts', ['--quick', '--json', '--only', 'clip', '--paths', 'wasm+modalab', '--profile']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/profile of 1 clip-mini training step\(s\) on wasm\+modalab: \d+ ms wall, \d+ ms CPU/);
    const out = JSON.parse(r.stdout) as { profiles: Record<string, Array<{ kernel: string; calls: number; cpuMs: number }>> };
    const kernels = out.profiles['wasm+modalab']!;
    expect(kernels.map((k) => k.kernel)).toContain('BatchMatMul');
    for (const k of kernels) expect(k.calls).toBeGreaterThan(0);
  });

  it.skipIf(!hasTorch)('--vs-torch adds the PyTorch value and best/torch to each row, and names the BLAS it used', () => {
    const r = runScript('bench.ts', ['--quick', '--json', '--vs-torch', '--only', 'matmul,retrieval']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as BenchJson;
    expect(out.reference?.torch).toMatch(/^torch \S+ \(\d+ threads; /);
    expect(out.reference?.numpy).toMatch(/^numpy /);
    expect(out.rows.length).toBe(4);
    for (const row of out.rows) {
      expect(row.reference, row.bench).toBeGreaterThan(0);
      expect(Number.isFinite(row.vsReference), row.bench).toBe(true);
    }
  });
});
