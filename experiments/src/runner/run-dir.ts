import { writeFileAtomic } from '@modalab/core';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Files every run directory has. */
export const CHECKPOINT_FILE = 'checkpoint.ckpt';
export const EVALUATION_FILE = 'evaluation.json';

export interface RunOptions {
  /** Parent folder of new run directories (default experiments/runs). */
  runsRoot?: string;
  /** Use exactly this (new or empty) directory instead of a timestamped one (sweeps). */
  runDir?: string;
  /** Continue the run in this directory from its checkpoint. */
  resume?: string;
  /** Stop (with a checkpoint) after this many steps in total, leaving the run resumable. */
  stopAfter?: number;
  /** Progress and messages; default stderr. */
  log?: (line: string) => void;
  /** A stream for the progress bar; default stderr. */
  progress?: NodeJS.WriteStream;
}

export interface RunResult {
  runDir: string;
  finished: boolean;
  step: number;
  summary?: Record<string, number | string>;
}

/** experiments/runs, next to this package: the default home of run directories. */
export const DEFAULT_RUNS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../runs');

export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/[:]/g, '-').replace(/\..+$/, '');
}

export function createRunDir(name: string, root = DEFAULT_RUNS_DIR): string {
  fs.mkdirSync(root, { recursive: true });
  let dir = path.join(root, `${name}-${timestamp()}`);
  for (let i = 1; fs.existsSync(dir); i++) dir = path.join(root, `${name}-${timestamp()}-${i}`);
  fs.mkdirSync(dir);
  return dir;
}

export function gitCommit(): string | null {
  try {
    const cwd = path.dirname(fileURLToPath(import.meta.url));
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() !== '';
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return null;
  }
}

export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, new TextEncoder().encode(JSON.stringify(value, null, 2) + '\n'));
}

export function readJson<T = unknown>(file: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`Cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** metrics.jsonl: one JSON object per logged step, appended as training goes. */
export class MetricsLog {
  constructor(readonly file: string) {}

  append(row: Record<string, number | string>): void {
    fs.appendFileSync(this.file, JSON.stringify(row) + '\n');
  }

  read(): Array<Record<string, number>> {
    if (!fs.existsSync(this.file)) return [];
    const rows: Array<Record<string, number>> = [];
    const lines = fs.readFileSync(this.file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        rows.push(JSON.parse(line) as Record<string, number>);
      } catch {
        // A run killed mid-write leaves at most a torn last line; anything else is corruption.
        if (i < lines.length - 2) throw new Error(`${this.file}:${i + 1} is not valid JSON`);
      }
    });
    return rows;
  }

  /** Keeps rows up to and including `step` (a resumed run redoes what came after its checkpoint). */
  async truncateAfter(step: number): Promise<void> {
    const kept = this.read().filter((r) => (r.step ?? 0) <= step);
    await writeFileAtomic(this.file, new TextEncoder().encode(kept.map((r) => JSON.stringify(r) + '\n').join('')));
  }
}
