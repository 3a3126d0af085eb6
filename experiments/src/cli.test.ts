import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { runClipEmoji } from './runner/clip-emoji.js';
import { runScript } from './testing/run-script.js';
import { tinyConfig } from './testing/tiny-config.js';


/** The real CLI, as `pnpm exp` runs it. */
const exp = (args: string[]) => runScript('cli.ts', args);

describe('exp CLI: usage', () => {
  it('lists experiments', () => {
    const r = exp(['list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^quickstart\s+Small CLIP/m);
  });
  it('prints the usage with --help on every command', () => {
    for (const command of ['run', 'eval', 'sweep', 'report', 'compare', 'data', 'list']) {
      const r = exp([command, '--help']);
      expect(r.code, command).toBe(0);
      expect(r.stdout).toMatch(/usage: pnpm exp <command>/);
    }
  });

  it('exits 2 with a message on usage errors', () => {
    for (const [args, message] of [
      [[], /usage: pnpm exp/],
      [['frobnicate'], /Unknown command 'frobnicate'/],
      [['run'], /run takes one experiment name/],
      [['run', 'nope'], /Unknown experiment 'nope'. Registered: quickstart/],
      [['run', 'quickstart', '--set', 'novalue'], /--set expects path.to.key=value/],
      [['run', 'quickstart', '--seed', '1.5'], /--seed must be a non-negative integer/],
      [['run', 'quickstart', '--bogus'], /Unknown option '--bogus'/],
      [['eval', '--run', 'x'], /eval needs --run <runDir> and --data <manifest.jsonl>/],
    ] as const) {
      const r = exp([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
  it('exits 1 naming the key when the config is invalid', () => {
    const r = exp(['run', 'quickstart', '--set', 'train.stepz=3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stepz/);
  });
});

describe('exp eval', () => {
  let runDir = '';
  let dataDir = '';
  let root = '';

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-eval-'));
    const quiet = { log: () => undefined, progress: { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream };
    runDir = (await runClipEmoji('tiny', tinyConfig(), { runsRoot: root, ...quiet })).runDir;
    dataDir = path.join(root, 'data');
    fs.mkdirSync(path.join(dataDir, 'img'), { recursive: true });
    const colours = [[255, 0, 0], [0, 160, 0], [0, 0, 255], [240, 200, 0]] as const;
    const names = ['red square', 'green square', 'blue square', 'yellow square'];
    const lines: string[] = [];
    for (const [i, [r, g, b]] of colours.entries()) {
      await sharp({ create: { width: 20, height: 20, channels: 3, background: { r, g, b } } }).png().toFile(path.join(dataDir, 'img', `${i}.png`));
      lines.push(JSON.stringify({ id: `c${i}`, image: `img/${i}.png`, text: i === 0 ? [names[i], 'a red block'] : names[i] }));
    }
    fs.writeFileSync(path.join(dataDir, 'manifest.jsonl'), lines.join('\n') + '\n');
    fs.writeFileSync(path.join(dataDir, 'escape.jsonl'), JSON.stringify({ id: 'x', image: '../outside.png', text: 'x' }) + '\n');
    fs.writeFileSync(path.join(dataDir, 'mixed.jsonl'), [lines[0], lines[1], lines[2], JSON.stringify({ id: 'esc', image: '../outside.png', text: 'x' })].join('\n') + '\n');
    const folder = path.join(root, 'folder');
    fs.mkdirSync(path.join(folder, 'images'), { recursive: true });
    fs.mkdirSync(path.join(folder, 'captions'));
    for (const i of [0, 1, 2]) {
      fs.copyFileSync(path.join(dataDir, 'img', `${i}.png`), path.join(folder, 'images', `c${i}.PNG`));
      fs.writeFileSync(path.join(folder, 'captions', `c${i}.txt`), `${names[i]}\nanother caption ${i}\n`);
    }
    fs.writeFileSync(path.join(dataDir, 'img', 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\n not really a png'));
    fs.writeFileSync(path.join(dataDir, 'broken.jsonl'), [lines[0], lines[1], JSON.stringify({ id: 'b', image: 'img/broken.png', text: 'broken' })].join('\n') + '\n');
  });

  it('--json prints exactly one JSON object on stdout with retrieval metrics and chance', () => {
    const r = exp(['eval', '--run', runDir, '--data', path.join(dataDir, 'manifest.jsonl'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]!) as { items: number; texts: number; metrics: Record<string, number> };
    expect(out.items).toBe(4);
    expect(out.texts).toBe(5);
    for (const key of ['eval/image->text/R@1', 'eval/text->image/R@1', 'eval/image->text/medianRank', 'eval/text->image/chance/R@1']) {
      expect(typeof out.metrics[key], key).toBe('number');
    }
    // Image 0 owns 2 of the 5 texts: chance R@1 for image->text is the mean over queries of p/G.
    expect(out.metrics['eval/image->text/chance/R@1']).toBeCloseTo((2 / 5 + 3 * (1 / 5)) / 4, 10);
    expect(out.metrics['eval/text->image/chance/R@1']).toBeCloseTo(1 / 4, 10);
    // K larger than the gallery is left out rather than reported as a trivial 100%.
    expect(out.metrics['eval/text->image/R@10']).toBeUndefined();
  });

  it('evaluates on a built-in set: builtin:emoji/STYLE, every concept; an unknown name is a usage error', () => {
    const r = exp(['eval', '--run', runDir, '--data', 'builtin:emoji/google', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { items: number; texts: number; metrics: Record<string, number> };
    expect(out.items).toBeGreaterThan(1800);
    expect(out.texts).toBe(out.items);
    expect(out.metrics['eval/image->text/chance/R@1']).toBeCloseTo(1 / out.items, 10);
    expect(out.metrics['eval/image->text/R@10']).toBeGreaterThanOrEqual(0);
    const bad = exp(['eval', '--run', runDir, '--data', 'builtin:nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/builtin:emoji/);
    expect(exp(['eval', '--run', runDir, '--data', 'builtin:emoji/sketchy']).stderr).toMatch(/unknown emoji style 'sketchy'/);
  });

  it('prints a table without --json, and names the line and file of a bad manifest entry', () => {
    const table = exp(['eval', '--run', runDir, '--data', path.join(dataDir, 'manifest.jsonl')]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/eval image->text\s+R@1 [\d.]+% \[[\d.]+, [\d.]+\] \(chance [\d.]+%\)/);
    const bad = exp(['eval', '--run', runDir, '--data', path.join(dataDir, 'escape.jsonl'), '--json']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/escape\.jsonl:1: .*(outside|leaves)/);
    const broken = exp(['eval', '--run', runDir, '--data', path.join(dataDir, 'broken.jsonl'), '--json']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toBe('');
    expect(broken.stderr).toMatch(/broken\.jsonl:3: .*broken\.png/);
  });

  it('reads a folder of images with caption files, and skips bad items with --policy skip, reporting each', () => {
    const folder = exp(['eval', '--run', runDir, '--data', path.join(root, 'folder'), '--json']);
    expect(folder.code, folder.stderr).toBe(0);
    expect(JSON.parse(folder.stdout)).toMatchObject({ items: 3, texts: 6, badItems: 0 });
    const mixed = exp(['eval', '--run', runDir, '--data', path.join(dataDir, 'mixed.jsonl'), '--json', '--policy', 'skip']);
    expect(mixed.code, mixed.stderr).toBe(0);
    expect(JSON.parse(mixed.stdout)).toMatchObject({ items: 3, badItems: 1 });
    expect(mixed.stderr).toMatch(/skipped: .*mixed\.jsonl:4: .*path-escapes/);
    expect(exp(['eval', '--run', runDir, '--data', path.join(dataDir, 'mixed.jsonl'), '--policy', 'lenient']).code).toBe(2);
  });

  it('data check validates a dataset: exit 0 when clean, 1 with bad items listed', () => {
    const ok = exp(['data', 'check', path.join(root, 'folder')]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/3/);
    const bad = exp(['data', 'check', path.join(dataDir, 'mixed.jsonl'), '--json']);
    expect(bad.code).toBe(1);
    const check = JSON.parse(bad.stdout) as { bad: Array<{ code: string; line: number }> };
    expect(check.bad).toEqual([expect.objectContaining({ code: 'path-escapes', line: 4 })]);
    expect(exp(['data', 'frobnicate']).code).toBe(2);
  });
});

describe('exp report and compare', () => {
  let runDir = '';
  let root = '';
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-cmp-'));
    const quiet = { log: () => undefined, progress: { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream };
    runDir = (await runClipEmoji('tiny', tinyConfig(), { runsRoot: root, ...quiet })).runDir;
  });

  it('report rebuilds report.html from the run files alone', () => {
    const file = path.join(runDir, 'report.html');
    fs.rmSync(file);
    const r = exp(['report', runDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/Geometry of the shared space/);
  });

  it('compare prints summaries side by side and writes HTML; a run without summary fails', () => {
    const html = path.join(root, 'cmp.html');
    const r = exp(['compare', runDir, runDir, '--html', html]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^test\/image->text\/R@1\s+[\d.]+\s+[\d.]+$/m);
    expect(fs.readFileSync(html, 'utf8')).toContain('Comparison of 2 runs');
    const empty = fs.mkdtempSync(path.join(root, 'empty-'));
    const bad = exp(['compare', empty]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/has no summary\.json/);
    expect(exp(['compare', runDir, '--keys', '(']).code).toBe(2);
  });
});
