import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainTinyIndex } from '../search/test-fixtures.js';

describe('exp serve', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-serve-cli-'));
  let run: string;
  let index: string;

  beforeAll(async () => {
    ({ run, index } = await trainTinyIndex(root));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('prints its URL on 127.0.0.1, answers there, and stops on SIGTERM with exit 0', async () => {
    const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
    const child = spawn(path.resolve(src, '../../node_modules/.bin/tsx'), ['--conditions=source', path.join(src, 'cli.ts'), 'serve', '--run', run, '--index', index, '--port', '0'], {
      env: { ...process.env, MODALAB_BACKEND: 'wasm' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('\n')) resolve(out.trim());
        });
        void exited.then((code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const info = (await (await fetch(`${url}api/info`)).json()) as { index: { counts: Record<string, number> } };
      expect(info.index.counts).toEqual({ image: 20, text: 20 });
      const bad = await fetch(`${url}api/search?q=cat&k=lots`);
      expect(bad.status).toBe(400);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, stderr).toBe(0);
  });
});
