import { loadEmojiMotion } from '@modalab/data';
import { inspectReport } from '@modalab/eval';
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { videoClip } from '../../defs/video-clip.js';
import { applyOverrides } from '../cli/overrides.js';
import { MetricsLog, readJson } from './run-dir.js';
import { VideoClipConfigSchema } from './video-clip-config.js';
import { buildVideoTextModel, clipBatch, pixelStats, rebuildVideoClipReport, reversedPairAccuracy, runVideoClip, TIE_TOLERANCE } from './video-clip.js';
import { quiet } from '../testing/quiet.js';
import { expectResumeMatches } from '../testing/resume.js';


/** The shipped config shrunk to seconds: 12 emoji, 16 px frames, width 16, one block per tower, 4 steps. */
const TINY = [
  'data.concepts=12',
  'data.frameSize=16',
  'data.spriteSize=8',
  'model.frame.imageSize=16',
  'model.frame.patchSize=8',
  'model.frame.width=16',
  'model.frame.depth=1',
  'model.frame.heads=2',
  'model.text.width=16',
  'model.text.depth=1',
  'model.text.heads=2',
  'model.embedDim=16',
  'tokenizer.vocabSize=300',
  'train.steps=4',
  'train.batchSize=8',
  'train.warmupSteps=1',
  'train.logEvery=1',
  'train.checkpointEvery=2',
  'train.probeEvery=2',
  'train.probeSize=8',
  'eval.examples=4',
];
const tiny = (extra: string[] = []) => applyOverrides(videoClip as Record<string, unknown>, [...TINY, ...extra]);
const KINDS = ['mean', 'transformer', 'perceiver'] as const;

describe('video-clip config', () => {
  it('the shipped config validates; unknown keys and mismatched sizes fail naming their path', () => {
    const c = VideoClipConfigSchema.parse(videoClip);
    expect(c.model.temporal.kind).toBe('transformer');
    expect(c.data.frames).toBe(8);
    expect(() => VideoClipConfigSchema.parse(tiny(['train.stepz=3']))).toThrow(/stepz/);
    expect(() => VideoClipConfigSchema.parse(tiny(['model.temporal.depthz=3']))).toThrow(/depthz[\s\S]*temporal|temporal[\s\S]*depthz/);
    expect(() => VideoClipConfigSchema.parse(tiny(['model.frame.imageSize=32']))).toThrow(/model\.frame\.imageSize 32 must equal data\.frameSize 16/);
    expect(() => VideoClipConfigSchema.parse(tiny(['model.temporal.heads=3']))).toThrow(/heads 3 must divide/);
    expect(() => VideoClipConfigSchema.parse(tiny(['train.batchSize=7']))).toThrow(/must be even/);
    // The sweep sets only the kind: every kind must validate from the shipped config.
    for (const kind of KINDS) expect(VideoClipConfigSchema.parse(applyOverrides(videoClip as Record<string, unknown>, [`model.temporal.kind="${kind}"`])).model.temporal.kind).toBe(kind);
  });
});

describe('reversedPairAccuracy', () => {
  it('scores own caption vs the twin caption, ties as half, and resamples whole pairs', () => {
    // Clips 0,1 are twins, 2,3 are twins. sims[i][j] = video i . text j.
    const sims = [
      [0.9, 0.1, 0, 0], // own 0.9 > twin 0.1: hit
      [0.8, 0.5, 0, 0], // own 0.5 < twin 0.8: miss
      [0, 0, 0.4, 0.4], // tie: half
      [0, 0, 0.3, 0.7], // own 0.7 > 0.3: hit
    ];
    const r = reversedPairAccuracy(sims, [1, 0, 3, 2], 0);
    expect(r.perClip).toEqual([1, 0, 0.5, 1]);
    expect(r.videoToText.accuracy).toBeCloseTo(0.625, 12);
    expect(r.videoToText.pairs).toBe(2);
    // Pair means are 0.5 and 0.75: every resample lies between them.
    expect(r.videoToText.lower).toBeGreaterThanOrEqual(0.5);
    expect(r.videoToText.upper).toBeLessThanOrEqual(0.75);
    // text->video compares sims[i][i] with sims[twin][i]: 0.9>0.8, 0.5>0.1, 0.4>0, 0.7>0.4.
    expect(r.textToVideo.accuracy).toBe(1);
  });
});

describe('runVideoClip (tiny)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-video-'));

  it('each temporal kind builds at the shipped size; mean pooling embeds a clip and its reverse alike, the temporal modules do not; no leak', async () => {
    const data = await loadEmojiMotion({ concepts: 4 });
    const set = data.splits.train;
    const twin = set.clips[0]!.mirror;
    const batch = clipBatch(set, [0, twin], pixelStats(set));
    for (const kind of KINDS) {
      const config = VideoClipConfigSchema.parse(applyOverrides(videoClip as Record<string, unknown>, [`model.temporal.kind="${kind}"`]));
      const model = buildVideoTextModel(config, 300);
      const warm = model.encode('video', batch);
      warm.dispose();
      const before = tf.memory().numTensors;
      const emb = model.encode('video', batch);
      expect(emb.shape).toEqual([2, config.model.embedDim]);
      const [a, b] = (await emb.array()) as number[][];
      emb.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const diff = Math.max(...a!.map((v, i) => Math.abs(v - b![i]!)));
      if (kind === 'mean') expect(diff, kind).toBeLessThanOrEqual(TIE_TOLERANCE);
      else expect(diff, kind).toBeGreaterThan(10 * TIE_TOLERANCE);
      model.dispose();
    }
    batch.dispose();
  });

  it('a reduced run writes every file, with finite headline metrics, the reversed-pair accuracy beside its chance 0.5, and a report that rebuilds', async () => {
    const before = tf.memory().numTensors;
    const result = await runVideoClip('tiny-video', tiny(), { runsRoot: root, ...quiet });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.finished).toBe(true);
    const dir = result.runDir;
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'evaluation.json', 'report.html', 'checkpoint.ckpt']) expect(fs.existsSync(path.join(dir, f)), f).toBe(true);

    const rows = new MetricsLog(path.join(dir, 'metrics.jsonl')).read();
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3, 4]);
    for (const r of rows) {
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r['gradNorm/video']).toBeGreaterThan(0);
      expect(r['gradNorm/text']).toBeGreaterThan(0);
      expect(r['gradNormRatio/text:video']).toBeCloseTo(r['gradNorm/text']! / r['gradNorm/video']!, 6);
      expect(r.temperature).toBeGreaterThan(0);
    }
    expect(rows.filter((r) => r['probe/reversedPairAccuracy'] !== undefined).map((r) => r.step)).toEqual([2, 4]);

    const s = readJson<Record<string, number | string>>(path.join(dir, 'summary.json'));
    expect(s['model/temporal']).toBe('transformer');
    expect(s['data/frames']).toBe(8);
    expect(s['data/frameSize']).toBe(16);
    for (const split of ['test', 'train-sample']) {
      for (const dirn of ['video->text', 'text->video']) {
        for (const k of [1, 5, 10]) {
          const key = `${split}/${dirn}/R@${k}`;
          const v = s[key] as number;
          expect(v, key).toBeGreaterThanOrEqual(0);
          expect(v, key).toBeLessThanOrEqual(1);
          expect(s[`${split}/${dirn}/chance/R@${k}`]).toBeGreaterThan(0);
          expect(s[`${key}/ci95/lower`]).toBeLessThanOrEqual(v);
          expect(s[`${key}/ci95/upper`]).toBeGreaterThanOrEqual(v);
        }
      }
      for (const p of [`${split}/reversed-pair`, `${split}/reversed-pair/text->video`, `${split}/motion`]) {
        const v = s[`${p}/accuracy`] as number;
        expect(Number.isFinite(v), p).toBe(true);
        expect(s[`${p}/accuracy/ci95/lower`]).toBeLessThanOrEqual(v);
        expect(s[`${p}/accuracy/ci95/upper`]).toBeGreaterThanOrEqual(v);
        expect(s[`${p}/pairs`]).toBeGreaterThanOrEqual(1);
      }
      expect(s[`${split}/reversed-pair/chance/accuracy`]).toBe(0.5);
    }
    expect(s['test/image->text/R@1']).toBeUndefined();
    expect(s['test/video->text/count']).toBe(s['data/testClips']);
    expect(s['test/motion/chance/accuracy']).toBeGreaterThanOrEqual(1 / 8);
    for (const key of ['text-video/gap', 'text-video/alignment', 'video/rankMe', 'text/rankMe', 'video/uniformity']) expect(Number.isFinite(s[`test/geometry/${key}`]), key).toBe(true);
    expect(s['test/geometry/video/rankMe']).toBeLessThanOrEqual(16 + 1e-9);

    const seen = await inspectReport(path.join(dir, 'report.html'));
    expect(seen).toEqual({ plotsDrawn: 6, plotsReady: 6, figureErrors: 0, errors: [], externalRequests: [] });
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain('reversed pair, video-&gt;text');
    fs.rmSync(path.join(dir, 'report.html'));
    expect(await rebuildVideoClipReport(dir)).toBe(path.join(dir, 'report.html'));
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toBe(html);
  });

  it('mean pooling sits at chance on reversed pairs, exactly: a clip and its reverse get one embedding', async () => {
    const result = await runVideoClip('tiny-mean', tiny(['model.temporal.kind="mean"', 'train.steps=2']), { runsRoot: root, ...quiet });
    const s = result.summary!;
    for (const split of ['test', 'train-sample']) {
      expect(s[`${split}/reversed-pair/text->video/accuracy`], split).toBe(0.5);
      expect(s[`${split}/reversed-pair/text->video/accuracy/ci95/upper`], split).toBe(0.5);
      // video->text: of two identical clip embeddings, exactly one prefers its own caption.
      expect(s[`${split}/reversed-pair/accuracy`], split).toBe(0.5);
    }
    expect(s['test/motion/accuracy'] as number).toBeLessThanOrEqual(0.5);
  });

  it('a run stopped and resumed matches the uninterrupted run', async () => {
    const config = tiny(['seed=2', 'train.steps=3', 'train.checkpointEvery=1']);
    const { wholeSummary: sa, resumedSummary: sb } = await expectResumeMatches(runVideoClip, config, { runsRoot: root, stopAfter: 2, steps: 3 });
    expect(sb['test/reversed-pair/accuracy']).toBe(sa['test/reversed-pair/accuracy']);
    expect(sb['test/video->text/R@5']).toBe(sa['test/video->text/R@5']);
  });
}, 120_000);
