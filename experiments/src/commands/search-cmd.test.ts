import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainTinyIndex } from '../search/test-fixtures.js';
import { runScript } from '../testing/run-script.js';

// `pnpm exp search` as a user runs it (exit codes: 0 ok, 1 failed, 2 usage).
describe('exp search', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-search-cli-'));
  let index: string;

  beforeAll(async () => {
    ({ index } = await trainTinyIndex(root));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('answers a text query as JSON; audio on an image-text run fails (1); two queries are a usage error (2)', () => {
    const found = runScript('cli.ts', ['search', '--index', index, '--text', 'red heart', '--k', '3', '--modality', 'image', '--json']);
    expect(found.code, found.stderr).toBe(0);
    const out = JSON.parse(found.stdout) as { results: { hits: Array<{ modality: string; score: number }>; method: string } };
    expect(out.results.method).toBe('exact');
    expect(out.results.hits.map((h) => h.modality)).toEqual(['image', 'image', 'image']);
    const scores = out.results.hits.map((h) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);

    const audio = runScript('cli.ts', ['search', '--index', index, '--audio', path.join(root, 'clip.wav')]);
    expect(audio.code).toBe(1);
    expect(audio.stderr).toMatch(/error: Run .* has no audio encoder \(its towers: image, text\)/);

    const usage = runScript('cli.ts', ['search', '--index', index, '--text', 'a', '--image', 'b.png']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/give one query, got --text and --image/);
  });
});
