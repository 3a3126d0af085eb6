import { Rng } from '@modalab/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ablate, ablationDrop, permutationImportance, permuteRows, unimodalVsFused, type ModalityInputs, type ModalityScorer } from './ablation.js';
import { collapseReport, runCollapseDiagnostics, type CollapseReportInput } from './collapse-report.js';
import { fusionInputRank } from './fusion-input-rank.js';
import { gradNormHistory, gradNormRatio } from './grad-norm-ratio.js';

/**
 * A hand-built "model" that reads only the image: predicts class 1 when image[:, 0] > 0.
 * Its loss is 1 - accuracy so loss increases equal accuracy drops. Text is never read.
 */
function imageOnlyScorer(labels: readonly number[]): ModalityScorer {
  return (inputs) => {
    const x = inputs.image!.dataSync();
    const cols = inputs.image!.shape[1]!;
    let hits = 0;
    labels.forEach((y, i) => { if ((x[i * cols]! > 0 ? 1 : 0) === y) hits += 1; });
    const accuracy = hits / labels.length;
    return { accuracy, loss: 1 - accuracy };
  };
}

/** image [[1], [2], [-1], [-2]] with labels [1, 1, 0, 0]; text is noise. */
function handBatch(): { inputs: ModalityInputs; labels: number[] } {
  return {
    inputs: { image: tf.tensor2d([[1], [2], [-1], [-2]]), text: tf.tensor2d([[0.3, 1], [-2, 0], [1, 1], [0.5, -1]]) },
    labels: [1, 1, 0, 0],
  };
}

/** The tensor count must not move over a second and third run (after a warm-up). */
async function expectLeakFreeAsync(fn: () => Promise<unknown>): Promise<void> {
  await fn();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 2; i++) await fn();
  expect(tf.memory().numTensors).toBe(before);
}

/** A batch of b rows: image carries the label in column 0, text is standard normal. */
function randomBatch(b: number, seed: number): { inputs: ModalityInputs; labels: number[] } {
  const rng = new Rng(seed);
  const labels = Array.from({ length: b }, () => rng.int(2));
  const image = tf.tensor2d(labels.map((y) => [(y === 1 ? 1 : -1) * (0.5 + rng.next()), rng.normal()]));
  const text = tf.tensor2d(labels.map(() => [rng.normal(), rng.normal(), rng.normal()]));
  return { inputs: { image, text }, labels };
}

describe('permutationImportance', () => {
  it('matches the hand computation: the unread modality drops 0 on every repeat, the read one by its permutations', async () => {
    const { inputs, labels } = handBatch();
    const score = imageOnlyScorer(labels);
    const out = await permutationImportance(inputs, score, { seed: 3, repeats: 4 });
    expect(out.base).toEqual({ accuracy: 1, loss: 0 });
    expect(out.modalities.text!.perRepeat).toEqual([0, 0, 0, 0]);
    expect(out.modalities.text!.accuracyDrop).toBe(0);
    expect(out.modalities.text!.perceptualScore).toBe(0);
    // Reference: the same permutations, drawn as the function draws them (one forked stream per sorted modality).
    const rng = new Rng(3);
    const imageRng = rng.fork();
    const expected = Array.from({ length: 4 }, () => {
      const order = imageRng.shuffle([0, 1, 2, 3]);
      const hits = order.filter((src, i) => ((src < 2 ? 1 : 0) === labels[i])).length; // image row src is positive iff src < 2
      return 1 - hits / 4;
    });
    expect(out.modalities.image!.perRepeat).toEqual(expected);
    const mean = expected.reduce((a, b) => a + b, 0) / 4;
    expect(out.modalities.image!.accuracyDrop).toBeCloseTo(mean, 12);
    expect(out.modalities.image!.lossIncrease).toBeCloseTo(mean, 12);
    expect(out.modalities.image!.perceptualScore).toBeCloseTo(mean, 12); // base accuracy 1
    tf.dispose(Object.values(inputs));
  });

  it('is deterministic per seed, differs across seeds, and leaks no tensors', async () => {
    const { inputs, labels } = randomBatch(64, 1);
    const score = imageOnlyScorer(labels);
    const a = await permutationImportance(inputs, score, { seed: 7 });
    const b = await permutationImportance(inputs, score, { seed: 7 });
    const c = await permutationImportance(inputs, score, { seed: 8 });
    expect(b).toEqual(a);
    expect(c.modalities.image!.perRepeat).not.toEqual(a.modalities.image!.perRepeat);
    expect(a.modalities.image!.accuracyDrop).toBeGreaterThan(0.3); // about 0.5 for a balanced batch
    await expectLeakFreeAsync(() => permutationImportance(inputs, score, { repeats: 2 }));
    tf.dispose(Object.values(inputs));
  });

  it('leaves the loss undefined without one and handles batch-1-sized errors', async () => {
    const { inputs } = handBatch();
    const out = await permutationImportance(inputs, () => ({ accuracy: 0.5 }), { repeats: 2 });
    expect(out.modalities.image!.lossIncrease).toBeUndefined();
    const one = { image: tf.tensor2d([[1]]), text: tf.tensor2d([[1]]) };
    await expect(permutationImportance(one, () => ({ accuracy: 1 }))).rejects.toThrow(/batch of at least 2 rows to permute, received 1/);
    tf.dispose([...Object.values(inputs), ...Object.values(one)]);
  });

  it('names bad inputs, options and scores', async () => {
    const { inputs, labels } = handBatch();
    const score = imageOnlyScorer(labels);
    await expect(permutationImportance({}, score)).rejects.toThrow(/inputs is empty/);
    const ragged = { image: inputs.image!, text: tf.zeros([3, 2]) };
    await expect(permutationImportance(ragged, score)).rejects.toThrow(/inputs\.image has 4 rows but inputs\.text has 3/);
    await expect(permutationImportance(inputs, score, { repeats: 0 })).rejects.toThrow(/repeats must be an integer >= 1, received 0/);
    await expect(permutationImportance(inputs, () => ({ accuracy: Number.NaN }))).rejects.toThrow(/returned accuracy NaN for the intact inputs; expected a finite number in \[0, 1\]/);
    await expect(permutationImportance(inputs, () => ({ accuracy: 1, loss: Number.POSITIVE_INFINITY }))).rejects.toThrow(/returned loss Infinity/);
    expect(() => permuteRows(inputs.image!, [0, 1])).toThrow(/order has 2 entries for 4 rows/);
    tf.dispose([...Object.values(inputs), ragged.text]);
  });
});

describe('ablationDrop', () => {
  it('zero and mean ablation match the hand computation, without leaks', async () => {
    const { inputs, labels } = handBatch();
    const score = imageOnlyScorer(labels);
    const zero = await ablationDrop(inputs, score, 'zero');
    expect(zero.modalities.image).toEqual({ accuracyDrop: 0.5, lossIncrease: 0.5, accuracy: 0.5 }); // 0 > 0 is false: all class 0
    expect(zero.modalities.text).toEqual({ accuracyDrop: 0, lossIncrease: 0, accuracy: 1 });
    const mean = await ablationDrop(inputs, score, 'mean'); // the image column's mean is 0
    expect(mean.modalities.image!.accuracyDrop).toBe(0.5);
    const given = tf.tensor1d([5]);
    const shifted = await ablationDrop(inputs, score, 'mean', { means: { image: given } }); // all class 1
    expect(shifted.modalities.image!.accuracy).toBe(0.5);
    await expectLeakFreeAsync(() => ablationDrop(inputs, score, 'mean'));
    await expectLeakFreeAsync(() => ablationDrop(inputs, score, 'zero'));
    await expect(ablationDrop(inputs, score, 'mean', { means: { audio: given } })).rejects.toThrow(/means\.audio names no modality; modalities: image, text/);
    await expect(ablationDrop(inputs, score, 'half' as 'zero')).rejects.toThrow(/kind must be 'zero' or 'mean', received half/);
    const ids = tf.tensor2d([[1], [2]], undefined, 'int32');
    expect(() => ablate(ids, 'mean')).toThrow(/mean-ablation needs float32 inputs, received int32/);
    tf.dispose([...Object.values(inputs), given, ids]);
  });
});

describe('unimodalVsFused', () => {
  it('scores each modality alone through the fused scorer, or through given unimodal scorers', async () => {
    const { inputs, labels } = handBatch();
    const score = imageOnlyScorer(labels);
    const out = await unimodalVsFused(inputs, score);
    expect(out).toEqual({ fusedAccuracy: 1, unimodalAccuracy: { image: 1, text: 0.5 }, bestUnimodal: 'image', bestUnimodalAccuracy: 1, fusionGain: 0 });
    const given = await unimodalVsFused(inputs, score, { unimodal: { text: () => ({ accuracy: 0.75 }) }, replace: 'zero' });
    expect(given.unimodalAccuracy).toEqual({ image: 1, text: 0.75 });
    await expectLeakFreeAsync(() => unimodalVsFused(inputs, score));
    await expect(unimodalVsFused(inputs, score, { unimodal: { audio: score } })).rejects.toThrow(/unimodal\.audio names no modality/);
    tf.dispose(Object.values(inputs));
  });
});

describe('gradNormRatio and gradNormHistory', () => {
  it('gives shares, ratios and tail means by hand', () => {
    const out = gradNormRatio([
      { step: 10, norms: { text: 1, image: 3 } },
      { step: 20, norms: { image: 1, text: 1 } },
      { step: 30, norms: { image: 2, text: 0 } },
    ], { tailFraction: 0.5 });
    expect(out.modalities).toEqual(['image', 'text']);
    expect(out.shares[0]).toEqual({ step: 10, shares: { image: 0.75, text: 0.25 } });
    expect(out.ratios[0]!.ratios).toEqual({ image: 3, text: 1 / 3 });
    expect(out.ratios[2]!.ratios).toEqual({ image: Number.POSITIVE_INFINITY, text: 0 });
    expect(out.tailPoints).toBe(2);
    expect(out.meanShare).toEqual({ image: 0.75, text: 0.25 }); // (0.5 + 1) / 2
    expect(out.meanRatio).toEqual({ image: 1, text: 0.5 }); // Infinity skipped for image
    const zeros = gradNormRatio([{ step: 1, norms: { image: 0, text: 0 } }]);
    expect(zeros.meanShare).toEqual({ image: 0, text: 0 });
    expect(zeros.meanRatio.image).toBeNaN();
  });

  it('reads trainer log records and names bad points', () => {
    const points = gradNormHistory([
      { step: 1, metrics: { 'gradNorm/encoders.image': 2, 'gradNorm/encoders.text': 1, 'gradNorm/head': 9, acc: 1 } },
      { step: 2, metrics: { acc: 1 } },
    ], { prefix: 'gradNorm/encoders.' });
    expect(points).toEqual([{ step: 1, norms: { image: 2, text: 1 } }]);
    expect(gradNormHistory([{ step: 1, metrics: { 'gradNorm/a': 1, 'gradNorm/b': 2 } }], { modalities: ['b'] })).toEqual([{ step: 1, norms: { b: 2 } }]);
    expect(() => gradNormHistory([{ step: 1, metrics: { acc: 1 } }])).toThrow(/no record has a metric starting with 'gradNorm\/'/);
    expect(() => gradNormRatio([])).toThrow(/points is empty/);
    expect(() => gradNormRatio([{ step: 1, norms: { image: 1 } }])).toThrow(/at least 2 modalities, received image/);
    expect(() => gradNormRatio([{ step: 1, norms: { image: 1, text: 1 } }, { step: 2, norms: { image: 1, audio: 1 } }])).toThrow(/points\[1\] has norms for audio, image but points\[0\] has image, text/);
    expect(() => gradNormRatio([{ step: 1, norms: { image: Number.NaN, text: 1 } }])).toThrow(/points\[0\]\.norms\.image is NaN/);
    expect(() => gradNormRatio([{ step: 1, norms: { image: 1, text: 1 } }], { tailFraction: 0 })).toThrow(/tailFraction must be in \(0, 1\], received 0/);
  });
});

describe('fusionInputRank', () => {
  it('gives about k for k equal singular values, normalised by min(n, d)', () => {
    const rank2 = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? [1, 0, 0, 0] : [0, 1, 0, 0]));
    const full = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]];
    const out = fusionInputRank({ text: full, image: rank2 });
    expect(Object.keys(out.modalities)).toEqual(['image', 'text']);
    expect(out.modalities.image!.rankMe).toBeCloseTo(2, 4);
    expect(out.modalities.image!.normalizedRankMe).toBeCloseTo(0.5, 4);
    expect(out.modalities.text!.maxRank).toBe(3);
    expect(out.modalities.text!.normalizedRankMe).toBeCloseTo(1, 4);
    expect(() => fusionInputRank({})).toThrow(/features is empty/);
  });
});

/** A permutation-importance result from drops alone (base accuracy 0.9). */
function fromDrops(drops: Record<string, number>): CollapseReportInput {
  const modalities = Object.fromEntries(Object.entries(drops).map(([m, d]) => [m, { accuracyDrop: d, lossIncrease: undefined, accuracy: 0.9 - d, perceptualScore: d / 0.9, perRepeat: [d] }]));
  return { permutation: { base: { accuracy: 0.9 }, modalities } };
}

describe('collapseReport', () => {
  it('flags a negligible modality only when another one matters a lot', () => {
    expect(collapseReport(fromDrops({ image: 0.6, text: 0.004 })).flagged).toEqual(['text']);
    expect(collapseReport(fromDrops({ image: 0.25, text: 0.3 })).flagged).toEqual([]);
    expect(collapseReport(fromDrops({ image: 0.01, text: 0.05 })).flagged).toEqual([]); // under-fitting, not collapse
    expect(collapseReport(fromDrops({ image: 0.6, text: 0.05 })).flagged).toEqual(['text']); // relative rule: 0.05 < 0.1 x 0.6
    expect(collapseReport(fromDrops({ image: 0.6, text: -0.01 })).flagged).toEqual(['text']); // a negative drop is noise
    expect(collapseReport(fromDrops({ image: 0.6, text: 0.05 }), { thresholds: { relativeDrop: 0 } }).flagged).toEqual([]);
    expect(collapseReport(fromDrops({ audio: 0.5, image: 0.4, text: 0.001 })).flagged).toEqual(['text']);
    const r = collapseReport(fromDrops({ image: 0.01, text: 0.05 }));
    expect(r.records.image!.reason).toMatch(/no other modality costs >= 0.100 either \(text: 0.050\)/);
  });

  it('combines every diagnostic into the records, the notes and the summary', async () => {
    const { inputs, labels } = handBatch();
    const diag = await runCollapseDiagnostics(inputs, imageOnlyScorer(labels), { permutation: { seed: 1 } });
    const gradNorms = gradNormRatio([{ step: 1, norms: { image: 3, text: 1 } }]);
    const report = collapseReport({ ...diag, gradNorms });
    expect(report.modalities).toEqual(['image', 'text']);
    expect(report.flagged).toEqual(['text']);
    const text = report.records.text!;
    expect(text).toMatchObject({ permutationDrop: 0, zeroAblationDrop: 0, meanAblationDrop: 0, unimodalAccuracy: 0.5, gradNormShare: 0.25, collapsed: true });
    expect(report.records.image!.rankMe).toBeCloseTo(1, 4); // a single column
    expect(report.notes).toEqual(['fusion adds nothing over image alone (fused 1.000, image alone 1.000)']);
    expect(report.summary).toMatch(/^Modality collapse: flagged text \(fused accuracy 1\.000; best unimodal image 1\.000, fusion gain 0\.000\)/);
    expect(report.summary).toMatch(/\n {2}text: COLLAPSED: permutation drop 0\.000 .*grad-norm share 0\.250.*shuffling text costs 0\.000 accuracy \(< 0\.050\) while shuffling image costs 0\.500 \(>= 0\.100\)/);
    expect(report.summary).toContain(`Rule: ${report.rule}.`);
    expect(report.rule).toMatch(/minDrop = 0.02, relativeDrop = 0.1 .* dominantDrop = 0.1/);
    await expectLeakFreeAsync(() => runCollapseDiagnostics(inputs, imageOnlyScorer(labels)));
    tf.dispose(Object.values(inputs));
  });

  it('notes a modality whose zeroing hurts though its content is unused', () => {
    const input: CollapseReportInput = {
      ...fromDrops({ image: 0.6, text: 0 }),
      zeroAblation: { kind: 'zero', base: { accuracy: 0.9 }, modalities: { image: { accuracyDrop: 0.6, lossIncrease: undefined, accuracy: 0.3 }, text: { accuracyDrop: 0.4, lossIncrease: undefined, accuracy: 0.5 } } },
    };
    expect(collapseReport(input).notes).toEqual(["zeroing text costs 0.400 although shuffling it costs 0.000: the model reacts to text's presence or scale, not its content"]);
  });

  it('names bad thresholds and mismatched diagnostics', () => {
    const input = fromDrops({ image: 0.5, text: 0 });
    expect(() => collapseReport(input, { thresholds: { minDrop: 2 } })).toThrow(/thresholds\.minDrop must be in \[0, 1\], received 2/);
    expect(() => collapseReport(input, { thresholds: { minDrop: 0.3, dominantDrop: 0.2 } })).toThrow(/dominantDrop \(0.2\) must be >= thresholds.minDrop \(0.3\)/);
    expect(() => collapseReport(input, { thresholds: { maxDrop: 0.1 } as never })).toThrow(/unknown threshold 'maxDrop'. Known: minDrop, relativeDrop, dominantDrop/);
    expect(() => collapseReport(fromDrops({ image: 0.5 }))).toThrow(/at least 2 modalities to compare, received image/);
    expect(() => collapseReport({ ...input, gradNorms: gradNormRatio([{ step: 1, norms: { image: 1, audio: 1 } }]) })).toThrow(/gradNorms covers audio, image but the permutation importance covers image, text/);
  });
});
