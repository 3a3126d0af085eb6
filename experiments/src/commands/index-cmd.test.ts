import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainTinyRun } from '../search/test-fixtures.js';
import { runScript } from '../testing/run-script.js';

interface IndexJson {
  embedded: number;
  unchanged: number;
  removed: number;
  counts: Record<string, number>;
  run: { dir: string; fingerprint: string };
}

// `pnpm exp index` as a user runs it (exit codes: 0 ok, 1 failed, 2 usage).
describe('exp index', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-index-cli-'));
  let run: string;

  beforeAll(async () => {
    run = await trainTinyRun(root);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('builds an index with a progress bar, then re-indexes only what changed', () => {
    const index = path.join(root, 'index');
    const args = ['index', '--run', run, '--data', 'builtin:emoji', '--out', index, '--json'];
    const built = runScript('cli.ts', [...args, '--limit', '20']);
    expect(built.code, built.stderr).toBe(0);
    const first = JSON.parse(built.stdout) as IndexJson;
    expect(first).toMatchObject({ embedded: 40, unchanged: 0, removed: 0, counts: { image: 20, text: 20 }, run: { dir: run } });
    expect(first.run.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(built.stderr).toMatch(/embedding \[#+\] 40\/40/);

    // Five more emoji: only their image and name are embedded.
    const grown = runScript('cli.ts', [...args, '--limit', '25']);
    expect(grown.code, grown.stderr).toBe(0);
    expect(JSON.parse(grown.stdout)).toMatchObject({ embedded: 10, unchanged: 40, removed: 0, counts: { image: 25, text: 25 } });

    const usage = runScript('cli.ts', ['index', '--run', run, '--out', index]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/index needs --run <runDir>, --data <collection> and --out <indexDir>/);
    for (const line of ['index --run <runDir>', 'search --index <dir>', 'serve --run <runDir>']) expect(usage.stderr).toContain(line);
  });
});
