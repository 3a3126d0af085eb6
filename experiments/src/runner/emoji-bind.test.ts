import { inspectReport } from '@modalab/eval';
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emojiBind } from '../../defs/emoji-bind.js';
import { applyOverrides } from '../cli/overrides.js';
import { CHECKPOINT_FILE } from './clip-emoji.js';
import { EmojiBindConfigSchema } from './emoji-bind-config.js';
import { rebuildEmojiBindReport, runEmojiBind } from './emoji-bind.js';
import { MetricsLog, readJson } from './run-dir.js';
import { quiet } from '../testing/quiet.js';
import { expectResumeMatches } from '../testing/resume.js';


/**
 * Reduced mode: 24 emoji (72 clips synthesised once into the cache, ~10 s cold), 16 px images, width
 * 16, one block per tower, a 1.5 s audio window, 6 steps.
 */
const REDUCED = [
  'data.concepts=24',
  'data.heldOutFraction=0.25',
  'data.imageSize=16',
  'model.image.imageSize=16',
  'model.embedDim=16',
  'model.image.width=16',
  'model.image.depth=1',
  'model.image.heads=2',
  'model.text.width=16',
  'model.text.depth=1',
  'model.text.heads=2',
  'model.audio.width=16',
  'model.audio.depth=1',
  'model.audio.heads=2',
  'audio.nMels=32',
  'model.audio.patchMel=32',
  'audio.seconds=1.5',
  'tokenizer.vocabSize=300',
  'train.steps=6',
  'train.batchSize=6',
  'train.warmupSteps=2',
  'train.logEvery=1',
  'train.checkpointEvery=2',
  'train.probeEvery=3',
  'train.probeSize=8',
];
const reduced = (extra: string[] = []) => applyOverrides(emojiBind as Record<string, unknown>, [...REDUCED, ...extra]);
const DIRECTIONS = ['audio->image', 'audio->text', 'image->audio', 'image->text', 'text->audio', 'text->image'];

describe('emoji-bind', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-bind-'));

  it('(a) the shipped config validates; an unknown key fails with its path', () => {
    const c = EmojiBindConfigSchema.parse(emojiBind);
    expect(c.data.pairing).toBe('disjoint');
    expect(c.data.concepts).toBeUndefined(); // full mode: every emoji
    expect(() => EmojiBindConfigSchema.parse(applyOverrides(emojiBind as Record<string, unknown>, ['model.audio.widht=3']))).toThrow(/widht[\s\S]*"model",\s*"audio"/);
    expect(() => EmojiBindConfigSchema.parse(applyOverrides(emojiBind as Record<string, unknown>, ['audio.nMels=60']))).toThrow(/patchMel/);
  });

  it('(b, c) a reduced run writes every file, six directions with CIs and chance, audio<->image marked never trained; the report rebuilds', async () => {
    const before = tf.memory().numTensors;
    const result = await runEmojiBind('bind', reduced(), { runsRoot: root, ...quiet });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.finished).toBe(true);
    const dir = result.runDir;
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'evaluation.json', 'report.html', 'tokenizer.json', CHECKPOINT_FILE]) {
      expect(fs.existsSync(path.join(dir, f)), f).toBe(true);
    }
    const rows = new MetricsLog(path.join(dir, 'metrics.jsonl')).read();
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const r of rows.slice(0, -1)) {
      // Per-tower gradient norms, and both trained pairs' losses; never an audio-image loss.
      for (const m of ['audio', 'image', 'text']) expect(r[`gradNorm/${m}`], `step ${r.step} gradNorm/${m}`).toBeGreaterThan(0);
      expect(r['gradNormRatio/audio:text']).toBeCloseTo(r['gradNorm/audio']! / r['gradNorm/text']!, 6);
      expect(Number.isFinite(r['loss/audio-text'])).toBe(true);
      expect(Number.isFinite(r['loss/image-text'])).toBe(true);
      expect(r['loss/audio-image']).toBeUndefined();
    }
    expect(Number.isFinite(rows[2]!['probe/R@1/audio->image'])).toBe(true);
    expect(Number.isFinite(rows[5]!['probe/gap/audio-image'])).toBe(true);

    const summary = readJson<Record<string, number | string>>(path.join(dir, 'summary.json'));
    // (c) the untrained pair is reported both ways and marked as never trained.
    expect(summary['pairs/trained']).toBe('audio-text,image-text');
    expect(summary['pairs/untrained']).toBe('audio-image');
    expect(String(summary['pairs/trained']).split(',')).not.toContain('audio-image');
    for (const split of ['test', 'train-sample']) {
      for (const d of DIRECTIONS) {
        for (const k of [1, 5, 10]) {
          const v = summary[`${split}/${d}/R@${k}`] as number;
          expect(Number.isFinite(v), `${split}/${d}/R@${k}`).toBe(true);
          expect(summary[`${split}/${d}/R@${k}/ci95/lower`]).toBeLessThanOrEqual(v);
          expect(summary[`${split}/${d}/R@${k}/ci95/upper`]).toBeGreaterThanOrEqual(v);
          expect(summary[`${split}/${d}/chance/R@${k}`]).toBeGreaterThan(0);
        }
        expect(summary[`${split}/${d}/trained`]).toBe(d.includes('text') ? 1 : 0);
      }
    }
    // 6 held-out concepts; audio in 2 training voices, so audio->x has 12 queries and x->audio 12 candidates.
    expect(summary['test/audio->image/count']).toBe(12);
    expect(summary['test/image->audio/galleryCount']).toBe(12);
    expect(summary['test/image->audio/chance/R@1']).toBeCloseTo(2 / 12, 10);
    expect(summary['test-new-voice/audio->image/count']).toBe(6);
    expect(summary['test-new-voice/image->text/R@1']).toBeUndefined(); // no audio: identical to test
    for (const key of ['audio/rankMe', 'image/uniformity', 'text/cone', 'audio-image/gap', 'audio-text/alignment', 'image-text/jointUniformity']) {
      expect(Number.isFinite(summary[`test/geometry/${key}`]), key).toBe(true);
    }
    expect(summary['test/geometry/audio/rankMe']).toBeLessThanOrEqual(16 + 1e-9);

    const seen = await inspectReport(path.join(dir, 'report.html'));
    expect(seen.errors).toEqual([]);
    expect(seen.figureErrors).toBe(0);
    expect(seen.plotsDrawn).toBe(8);
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain('never trained');
    fs.rmSync(path.join(dir, 'report.html'));
    expect(await rebuildEmojiBindReport(dir)).toBe(path.join(dir, 'report.html'));
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8').length).toBeGreaterThan(html.length * 0.9);
  }, 120_000);

  it('(c) a run stopped after 3 steps resumes to the end with the same losses', async () => {
    const config = reduced(['seed=2']);
    const { wholeSummary: sa, resumedSummary: sb } = await expectResumeMatches(runEmojiBind, config, { runsRoot: root, stopAfter: 3, steps: 6 });
    expect(sb['test/audio->image/R@5']).toBe(sa['test/audio->image/R@5']);
    expect(sb['test/image->audio/R@5']).toBe(sa['test/image->audio/R@5']);
  }, 120_000);
});
