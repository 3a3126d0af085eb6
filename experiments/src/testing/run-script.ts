import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repo = path.resolve(src, '../..');

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a script of experiments/src (e.g. 'cli.ts') the way `pnpm exp` / `pnpm bench` do, in a child process. */
export function runScript(script: string, args: string[], timeoutMs = 120_000): ScriptResult {
  const r = spawnSync(path.join(repo, 'node_modules/.bin/tsx'), ['--conditions=source', path.join(src, script), ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, MODALAB_BACKEND: process.env.MODALAB_BACKEND ?? 'wasm' },
    timeout: timeoutMs,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
