import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspectReport } from '@modalab/eval';
import { describe, expect, it } from 'vitest';
import { tinyConfig } from '../testing/tiny-config.js';
import { CHECKPOINT_FILE, runClipEmoji } from './clip-emoji.js';
import { MetricsLog, readJson } from './run-dir.js';
import { quiet } from '../testing/quiet.js';
import { expectResumeMatches } from '../testing/resume.js';


describe('runClipEmoji (tiny quickstart)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-run-'));

  it('writes a complete run directory whose files are what they claim', async () => {
    const result = await runClipEmoji('tiny', tinyConfig(), { runsRoot: root, ...quiet });
    expect(result.finished).toBe(true);
    const dir = result.runDir;
    expect(path.basename(dir)).toMatch(/^tiny-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d/);
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'report.html', 'tokenizer.json', CHECKPOINT_FILE]) {
      expect(fs.existsSync(path.join(dir, f)), f).toBe(true);
    }
    const config = readJson<{ name: string; config: { seed: number }; backend: { name: string }; git: string | null }>(path.join(dir, 'config.json'));
    expect(config.name).toBe('tiny');
    expect(config.backend.name).toBe(process.env.MODALAB_BACKEND);
    expect(config.config.seed).toBe(0);

    const rows = new MetricsLog(path.join(dir, 'metrics.jsonl')).read();
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const r of rows) {
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r['gradNorm/image']).toBeGreaterThan(0);
      expect(r['gradNormRatio/image:text']).toBeCloseTo(r['gradNorm/image']! / r['gradNorm/text']!, 6);
      expect(r.temperature).toBeGreaterThan(0);
    }
    // The probe runs at the last step (probeEvery 25 > 6 steps); its geometry is in that row.
    const last = rows[rows.length - 1]!;
    for (const k of ['probe/gap', 'probe/alignment', 'probe/uniformity/image', 'probe/rankMe/text']) expect(Number.isFinite(last[k]), k).toBe(true);
    expect(rows[0]!['probe/gap']).toBeUndefined();

    const summary = readJson<Record<string, number>>(path.join(dir, 'summary.json'));
    for (const split of ['test', 'test-other-style', 'all-other-style', 'train-sample']) {
      for (const dirn of ['image->text', 'text->image']) {
        for (const k of [1, 5, 10]) {
          const v = summary[`${split}/${dirn}/R@${k}`]!;
          expect(v, `${split}/${dirn}/R@${k}`).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
          expect(summary[`${split}/${dirn}/chance/R@${k}`]).toBeGreaterThan(0);
          expect(summary[`${split}/${dirn}/R@${k}/ci95/lower`]).toBeLessThanOrEqual(v);
          expect(summary[`${split}/${dirn}/R@${k}/ci95/upper`]).toBeGreaterThanOrEqual(v);
        }
        expect(summary[`${split}/${dirn}/medianRank`]).toBeGreaterThanOrEqual(1);
      }
    }
    expect(summary['all-other-style/image->text/count']).toBeGreaterThan(1800);
    for (const key of ['image-text/gap', 'image-text/alignment', 'image/rankMe', 'text/rankMe', 'image/uniformity', 'image/cone']) {
      expect(Number.isFinite(summary[`test/geometry/${key}`]), key).toBe(true);
    }
    expect(summary['test/geometry/image/rankMe']).toBeLessThanOrEqual(16 + 1e-9); // embedDim of the tiny config
    expect(summary['test/zero-shot-category/top1']).toBeGreaterThanOrEqual(0);
    expect(summary['test/zero-shot-category/chance/top1']).toBeCloseTo(1 / 10, 10); // 10 emoji categories
    for (const probe of ['linear', 'knn', 'knn-pixels']) {
      const acc = summary[`test/probe-category/${probe}/accuracy`]!;
      expect(acc, probe).toBeGreaterThanOrEqual(0);
      expect(summary[`test/probe-category/${probe}/accuracy/ci95/lower`]).toBeLessThanOrEqual(acc);
      expect(summary[`test/probe-category/${probe}/chance`]).toBeGreaterThan(0);
    }
    expect(summary['test/image->text/mAP']).toBeGreaterThan(0);
    const evaluation = readJson<{ gapShift: Array<{ lambda: number; gap: number }> }>(path.join(dir, 'evaluation.json'));
    const at = (l: number) => evaluation.gapShift.find((p) => p.lambda === l)!.gap;
    // Shifting towards each other shrinks the gap (renormalisation keeps it from reaching 0); away widens it.
    expect(at(0.5)).toBeLessThan(0.5 * at(0));
    expect(at(-0.5)).toBeGreaterThan(at(0));
    expect(summary['test/image->text/count']).toBe(6); // 15% of 40 concepts

    // The report as a reader sees it: every figure drawn, offline, without errors.
    const seen = await inspectReport(path.join(dir, 'report.html'));
    expect(seen).toEqual({ plotsDrawn: 8, plotsReady: 8, figureErrors: 0, errors: [], externalRequests: [] });
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a run stopped and resumed reaches the same loss at the same step (rel. 1e-5)', async () => {
    const config = tinyConfig(['seed=3']);
    const { whole: a, resumed: b, wholeSummary: sa, resumedSummary: sb } = await expectResumeMatches(runClipEmoji, config, { runsRoot: root, stopAfter: 3, steps: 6 });
    a.forEach((r, i) => expect(b[i]!.temperature).toBeCloseTo(r.temperature!, 6));
    expect(sb['test/image->text/R@5']).toBe(sa['test/image->text/R@5']);
  });

  it('refuses to resume a folder without a checkpoint, and a config with an unknown key', async () => {
    const empty = fs.mkdtempSync(path.join(root, 'empty-'));
    fs.writeFileSync(path.join(empty, 'config.json'), JSON.stringify({ name: 'x', config: tinyConfig() }));
    await expect(runClipEmoji('x', undefined, { resume: empty, ...quiet })).rejects.toThrow(/has no checkpoint\.ckpt/);
    await expect(runClipEmoji('x', tinyConfig(['train.stepz=3']), { runsRoot: root, ...quiet })).rejects.toThrow(/stepz/);
  });

  it('trains on a user dataset folder: bad items skipped and listed in data-report.json; past the limit the run aborts, report written', async () => {
    const sharp = (await import('sharp')).default;
    const folder = fs.mkdtempSync(path.join(root, 'own-'));
    fs.mkdirSync(path.join(folder, 'images'));
    fs.mkdirSync(path.join(folder, 'captions'));
    const colours: Array<[string, [number, number, number]]> = [['red', [230, 20, 20]], ['green', [20, 200, 40]], ['blue', [30, 40, 230]], ['yellow', [240, 220, 10]]];
    const shapes = ['square', 'block', 'tile'];
    for (const [c, rgb] of colours) {
      for (const s of shapes) {
        await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toFile(path.join(folder, 'images', `${c}-${s}.png`));
        fs.writeFileSync(path.join(folder, 'captions', `${c}-${s}.txt`), `a ${c} ${s}\n${c}\n`);
      }
    }
    fs.writeFileSync(path.join(folder, 'images', 'broken.png'), 'not a png');
    fs.writeFileSync(path.join(folder, 'captions', 'broken.txt'), 'a broken image\n');
    const result = await runClipEmoji('own', tinyConfig([`data.dataset=${JSON.stringify(folder)}`, 'data.policy={"mode":"skip","maxBadFraction":0.5}', 'train.batchSize=4', 'data.heldOutFraction=0.25']), { runsRoot: root, ...quiet });
    expect(result.finished).toBe(true);
    const report = readJson<{ counts: { bad: number }; bad: Array<{ code: string; path?: string }> }>(path.join(result.runDir, 'data-report.json'));
    expect(report.counts.bad).toBe(1);
    expect(report.bad[0]!.path).toMatch(/broken\.png$/);
    const summary = readJson<Record<string, number | string>>(path.join(result.runDir, 'summary.json'));
    expect(summary.dataset).toBe(folder);
    expect(summary['test/image->text/count']).toBeGreaterThanOrEqual(2);
    // Two captions per image: image->text has 2 positives per query, so its chance is above 1/G.
    expect(summary['test/image->text/galleryCount']).toBe(2 * Number(summary['test/image->text/count']));
    expect(summary['test-other-style/image->text/R@1']).toBeUndefined();
    expect(summary['test/zero-shot-category/top1']).toBeUndefined(); // folder datasets carry no labels
    // The default skip policy aborts past 5% bad items, and still writes the report.
    await expect(runClipEmoji('own', tinyConfig([`data.dataset=${JSON.stringify(folder)}`]), { runsRoot: root, ...quiet })).rejects.toThrow(/aborting: 1 of 13 items are bad/);
    const aborted = fs.readdirSync(root).filter((d) => d.startsWith('own-') && fs.existsSync(path.join(root, d, 'config.json'))).map((d) => path.join(root, d));
    expect(aborted.some((d) => fs.existsSync(path.join(d, 'data-report.json')) && !fs.existsSync(path.join(d, 'summary.json')))).toBe(true);
  });

  it('trains with a pretrained tiktoken vocabulary and resumes with it', async () => {
    const config = tinyConfig(['tokenizer.kind="gpt2"', 'train.steps=3']);
    const stopped = await runClipEmoji('tik', config, { runsRoot: root, stopAfter: 2, ...quiet });
    expect(readJson<{ kind: string; encoding: string }>(path.join(stopped.runDir, 'tokenizer.json'))).toEqual({ kind: 'tiktoken', encoding: 'gpt2' });
    const resumed = await runClipEmoji('tik', undefined, { resume: stopped.runDir, ...quiet });
    expect(resumed.finished).toBe(true);
    const summary = readJson<Record<string, number>>(path.join(stopped.runDir, 'summary.json'));
    expect(summary.parameters).toBeGreaterThan(50257 * 16); // the text tower's embedding table alone
  });
});
