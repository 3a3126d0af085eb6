import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';
import { MetricsLog, readJson, type RunOptions, type RunResult } from '../runner/run-dir.js';
import { quiet } from './quiet.js';


type Runner = (name: string, config: unknown, options: RunOptions) => Promise<RunResult>;

export interface ResumeComparison {
  /** metrics.jsonl of the uninterrupted run and of the stopped-then-resumed one. */
  whole: Array<Record<string, number>>;
  resumed: Array<Record<string, number>>;
  wholeSummary: Record<string, number | string>;
  resumedSummary: Record<string, number | string>;
}

/**
 * Runs `config` once uninterrupted and once stopped after `stopAfter` steps and resumed, and
 * checks what every runner owes a resumed run: the stopped run is unfinished with no summary,
 * the resume finishes in the same directory, and it logs the same steps with the same losses
 * (relative 1e-5). Returns both logs and summaries for the experiment's own checks.
 */
export async function expectResumeMatches(run: Runner, config: unknown, options: { runsRoot: string; stopAfter: number; steps: number }): Promise<ResumeComparison> {
  const whole = await run('whole', config, { runsRoot: options.runsRoot, ...quiet });
  const stopped = await run('parted', config, { runsRoot: options.runsRoot, stopAfter: options.stopAfter, ...quiet });
  expect(stopped.finished).toBe(false);
  expect(stopped.step).toBe(options.stopAfter);
  expect(fs.existsSync(path.join(stopped.runDir, 'summary.json'))).toBe(false);
  const resumed = await run('ignored', undefined, { resume: stopped.runDir, ...quiet });
  expect(resumed.finished).toBe(true);
  expect(resumed.runDir).toBe(stopped.runDir);
  const a = new MetricsLog(path.join(whole.runDir, 'metrics.jsonl')).read();
  const b = new MetricsLog(path.join(stopped.runDir, 'metrics.jsonl')).read();
  const steps = Array.from({ length: options.steps }, (_, i) => i + 1);
  expect(a.map((r) => r.step)).toEqual(steps);
  expect(b.map((r) => r.step)).toEqual(steps);
  a.forEach((r, i) => {
    const rel = Math.abs(r.loss! - b[i]!.loss!) / Math.abs(r.loss!);
    expect(rel, `step ${r.step}: ${r.loss} vs ${b[i]!.loss}`).toBeLessThanOrEqual(1e-5);
  });
  return {
    whole: a,
    resumed: b,
    wholeSummary: readJson(path.join(whole.runDir, 'summary.json')),
    resumedSummary: readJson(path.join(stopped.runDir, 'summary.json')),
  };
}
