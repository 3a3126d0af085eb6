import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspectReport } from '@modalab/eval';
import { describe, expect, it } from 'vitest';
import { captionEmoji } from '../../defs/caption-emoji.js';
import { applyOverrides } from '../cli/overrides.js';
import { CAPTION_METHODS, CAPTION_SPLITS, captionImages, loadCaptionEmojiModel, rebuildCaptionEmojiReport, runCaptionEmoji, type CaptionEvaluation } from './caption-emoji.js';
import { CaptionEmojiConfigSchema } from './caption-emoji-config.js';
import { CHECKPOINT_FILE } from './clip-emoji.js';
import { imageBatch } from './embed.js';
import { MetricsLog, readJson } from './run-dir.js';
import { quiet } from '../testing/quiet.js';
import { expectResumeMatches } from '../testing/resume.js';


/** The shipped config shrunk to seconds: 16 px, width 16, one block per tower, 40 concepts. */
function tinyConfig(extra: string[] = []): Record<string, unknown> {
  return applyOverrides(captionEmoji as Record<string, unknown>, [
    'data.maxConcepts=40',
    'data.imageSize=16',
    'model.image.imageSize=16',
    'model.image.width=16',
    'model.image.depth=1',
    'model.image.heads=2',
    'model.decoder.width=16',
    'model.decoder.depth=1',
    'model.decoder.heads=2',
    'tokenizer.vocabSize=300',
    'tokenizer.contextLength=10',
    'train.steps=6',
    'train.batchSize=8',
    'train.warmupSteps=2',
    'train.logEvery=1',
    'train.checkpointEvery=2',
    'train.probeEvery=3',
    'train.probeSize=4',
    'eval.beamSize=2',
    'eval.bootstrapResamples=200',
    'eval.examples=4',
    ...extra,
  ]);
}

describe('caption-emoji', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-caption-'));

  it('the shipped config validates; an unknown key or a mismatched image size fails with its path', () => {
    const parsed = CaptionEmojiConfigSchema.parse(captionEmoji);
    expect(parsed.model.image.imageSize).toBe(parsed.data.imageSize);
    expect(parsed.description).toMatch(/min on an idle 2-core CPU/);
    expect(() => CaptionEmojiConfigSchema.parse(applyOverrides(captionEmoji as Record<string, unknown>, ['model.decoder.widht=8']))).toThrow(/widht/);
    expect(() => CaptionEmojiConfigSchema.parse(applyOverrides(captionEmoji as Record<string, unknown>, ['eval.beamsize=2']))).toThrow(/beamsize/);
    expect(() => CaptionEmojiConfigSchema.parse(applyOverrides(captionEmoji as Record<string, unknown>, ['data.imageSize=16']))).toThrow(/model.*image.*imageSize/);
    expect(() => CaptionEmojiConfigSchema.parse(applyOverrides(captionEmoji as Record<string, unknown>, ['model.decoder.heads=5']))).toThrow(/divisible by heads/);
  });

  it('a reduced run writes a complete run directory, leaks no tensors, and its model captions images', async () => {
    const before = tf.memory().numTensors;
    const result = await runCaptionEmoji('caption-emoji', tinyConfig(), { runsRoot: root, ...quiet });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.finished).toBe(true);
    const dir = result.runDir;
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'evaluation.json', 'report.html', 'tokenizer.json', CHECKPOINT_FILE]) expect(fs.existsSync(path.join(dir, f)), f).toBe(true);

    const rows = new MetricsLog(path.join(dir, 'metrics.jsonl')).read();
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const r of rows) {
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.accuracy).toBeLessThanOrEqual(1);
      expect(r['gradNorm/image']).toBeGreaterThan(0);
      expect(r['gradNorm/decoder']).toBeGreaterThan(0);
    }
    expect(rows.filter((r) => r['probe/test/loss'] !== undefined).map((r) => r.step)).toEqual([3, 6]);
    // The first loss is near a uniform guess over the vocabulary (within a factor 2 either way).
    const vocab = readJson<{ vocabSize: number }>(path.join(dir, 'tokenizer.json')).vocabSize;
    expect(rows[0]!.loss).toBeGreaterThan(Math.log(vocab) / 2);
    expect(rows[0]!.loss).toBeLessThan(2 * Math.log(vocab));

    const summary = readJson<Record<string, number | string>>(path.join(dir, 'summary.json'));
    for (const split of CAPTION_SPLITS) {
      expect(summary[`${split}/count`]).toBe(6); // 15% of 40 concepts; the train sample has as many
      for (const method of CAPTION_METHODS) {
        for (const metric of ['BLEU-4', 'CIDEr-D']) {
          const key = `${split}/${method}/${metric}`;
          const v = summary[key] as number;
          expect(Number.isFinite(v), key).toBe(true);
          expect(v, key).toBeGreaterThanOrEqual(0);
          expect(summary[`${key}/ci95/lower`], key).toBeLessThanOrEqual(summary[`${key}/ci95/upper`] as number);
        }
      }
    }
    // On training concepts the pixel-NN finds the image itself (up to exact pixel duplicates): its own name scores BLEU-4 ~1.
    expect(summary['train-sample/baseline-pixel-nn/BLEU-4']).toBeGreaterThan(0.9);
    expect(typeof summary.mostFrequentCaption).toBe('string');
    expect(summary['test/baseline-most-frequent/distinct']).toBeCloseTo(1 / 6, 10);
    expect(Number.isFinite(summary['gap/greedy/CIDEr-D'] as number)).toBe(true);

    const evaluation = readJson<CaptionEvaluation>(path.join(dir, 'evaluation.json'));
    expect(evaluation.examples).toHaveLength(4);
    for (const x of evaluation.examples) {
      expect(typeof x.greedy).toBe('string');
      expect(x.image).toMatch(/^data:image\/png;base64,/);
      expect(x.references.length).toBeGreaterThan(0);
    }

    // Greedy and beam decoding of the trained model, rebuilt from the run directory.
    const { model, tokenizer, config } = await loadCaptionEmojiModel(dir);
    const images = imageBatch(new Float32Array(3 * 16 * 16 * 3).fill(0.5), 16, [0, 1, 2]);
    for (const caps of [captionImages(model, tokenizer, images), captionImages(model, tokenizer, images, { beamSize: 2 })]) {
      expect(caps).toHaveLength(3);
      for (const c of caps) expect(typeof c).toBe('string');
    }
    expect(config.data.imageSize).toBe(16);
    images.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);

    // The report as a reader sees it: every figure drawn (the examples grid included), offline; the rebuild rewrites it.
    const report = path.join(dir, 'report.html');
    expect((fs.readFileSync(report, 'utf8').match(/<div class="figure" id="figure-\d+">/g) ?? []).length).toBe(5);
    expect(await inspectReport(report)).toEqual({ plotsDrawn: 5, plotsReady: 5, figureErrors: 0, errors: [], externalRequests: [] });
    fs.writeFileSync(report, 'stale');
    expect(await rebuildCaptionEmojiReport(dir)).toBe(report);
    expect(fs.readFileSync(report, 'utf8')).toMatch(/Examples: held-out concepts/);
  }, 120_000);

  it('a run stopped and resumed finishes with the same losses as an uninterrupted one', async () => {
    const config = tinyConfig(['seed=2', 'eval.bootstrapResamples=100']);
    const { wholeSummary: sa, resumedSummary: sb } = await expectResumeMatches(runCaptionEmoji, config, { runsRoot: root, stopAfter: 3, steps: 6 });
    expect(sb['test/greedy/CIDEr-D']).toBeCloseTo(sa['test/greedy/CIDEr-D'] as number, 6);
    expect(sb['test/beam/BLEU-4']).toBeCloseTo(sa['test/beam/BLEU-4'] as number, 6);
  }, 120_000);
});
