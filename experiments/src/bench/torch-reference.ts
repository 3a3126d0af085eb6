import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchPlan } from './plan.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLIP_SCRIPT = path.join(repo, 'tools/reference/clip_mini.py');
export const RETRIEVAL_SCRIPT = path.join(repo, 'tools/reference/retrieval_bench.py');

/** Debian's interpreter has python3-torch; the `python3` on PATH may be another one. */
export const defaultPython = (): string => process.env.MODALAB_PYTHON ?? '/usr/bin/python3';

export interface ReferenceRow { bench: string; unit: string; value: number }
export interface ReferenceResult {
  /** One line naming the library, version, threads and BLAS, e.g. "torch 1.13 (2 threads; OpenBLAS core SkylakeX ...)". */
  path: string;
  parameters?: number | null;
  rows: ReferenceRow[];
}

/**
 * Throws a message that says how to get torch when `python` cannot import torch and numpy.
 * Called before any measurement so `--vs-torch` fails in a second, not after the tfjs rows.
 */
export function assertTorchAvailable(python = defaultPython()): void {
  const r = spawnSync(python, ['-c', 'import torch, numpy'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error !== undefined || r.status !== 0) {
    const why = r.error !== undefined ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`);
    throw new Error(
      `--vs-torch needs PyTorch and numpy in ${python} (${why}). On Debian/Ubuntu: apt-get install python3-torch libopenblas0-pthread ` +
        '(tools/setup.sh lists them); or set MODALAB_PYTHON to an interpreter that has torch.',
    );
  }
}

function runScript(python: string, script: string, planFile: string): ReferenceResult {
  const r = spawnSync(python, [script, '--plan', planFile, '--json'], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const rel = path.relative(repo, script);
  if (r.error !== undefined) throw new Error(`${rel}: could not run ${python}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${rel} exited with ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as ReferenceResult;
  } catch {
    throw new Error(`${rel}: expected one JSON object on the last line of its output, got: ${last.slice(0, 200)}`);
  }
}

/** A plan with sections left out (`pnpm bench --only`): null clip, empty matmul, null retrieval. */
export type PartialPlan = Omit<BenchPlan, 'clip' | 'retrieval'> & { clip: BenchPlan['clip'] | null; retrieval: BenchPlan['retrieval'] | null };

/**
 * Runs clip_mini.py (clip and matmul rows) and retrieval_bench.py (numpy) on the same plan,
 * one after the other; a script whose sections are all left out is not run.
 */
export function runTorchReference(plan: PartialPlan, python = defaultPython()): { torch?: ReferenceResult; numpy?: ReferenceResult } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-bench-'));
  const planFile = path.join(dir, 'plan.json');
  try {
    fs.writeFileSync(planFile, JSON.stringify(plan));
    return {
      ...(plan.clip !== null || plan.matmul.length > 0 ? { torch: runScript(python, CLIP_SCRIPT, planFile) } : {}),
      ...(plan.retrieval !== null ? { numpy: runScript(python, RETRIEVAL_SCRIPT, planFile) } : {}),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
