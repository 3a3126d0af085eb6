import { writeFileAtomic } from '@modalab/core';
import { ablationBars, embeddingScatter, recallBars, renderReport, similarityHeatmap, trainingCurves, type IntervalLike } from '@modalab/eval';
import type { RetrievalWithCi } from './evaluate.js';
import type { VideoClipConfig } from './video-clip-config.js';
import { type PairInterval, TIE_TOLERANCE, type VideoClipEvaluation } from './video-clip.js';

export interface VideoClipReportInput {
  name: string;
  runDir: string;
  config: VideoClipConfig;
  summary: Record<string, number | string>;
  metrics: Array<Record<string, number>>;
  evaluation: VideoClipEvaluation;
}

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : 'n/a');
const fmt = (v: number | string | undefined) => (typeof v === 'number' ? v.toFixed(3) : 'n/a');
const withCi = (v: PairInterval) => `${pct(v.accuracy)} [${pct(v.lower)}, ${pct(v.upper)}]`;

const TEMPORAL_TEXT: Record<VideoClipConfig['model']['temporal']['kind'], string> = {
  mean: 'mean pooling of the frame features (blind to order: a clip and its reverse get the same embedding)',
  transformer: 'a temporal transformer over the frame features with learned time embeddings (ViViT factorised encoder)',
  perceiver: 'a Perceiver resampler: learned latents cross-attend to the time-embedded frame features (Flamingo)',
};

/** The run's self-contained HTML report: curves, reversed-pair and motion accuracy against chance, recall, geometry, examples. */
export async function writeVideoClipReport(file: string, input: VideoClipReportInput): Promise<void> {
  const { summary, config, evaluation: e } = input;
  const d = e.data;
  const kind = config.model.temporal.kind;

  const accuracy: Record<string, Record<string, IntervalLike>> = {};
  const baselines: Record<string, number> = {};
  const accuracyRows: (string | number)[][] = [];
  for (const [split, r] of Object.entries(e.reversed)) {
    const m = e.motion[split]!;
    const entries: Array<[string, PairInterval, number]> = [
      ['reversed pair, video->text', r['video->text'], r.chance],
      ['reversed pair, text->video', r['text->video'], r.chance],
      ...Object.entries(r.byMotionPair).map(([k, v]) => [`reversed pair, ${k}`, v, r.chance] as [string, PairInterval, number]),
      [`motion (${m.choices}-way)`, m, m.chance],
    ];
    accuracy[split] = {};
    for (const [label, v, chance] of entries) {
      if (Number.isFinite(v.accuracy)) accuracy[split]![label] = { estimate: v.accuracy, lower: v.lower, upper: v.upper, n: v.pairs };
      baselines[label] = chance;
      accuracyRows.push([split, label, withCi(v), pct(chance), v.pairs]);
    }
  }

  const flat: Record<string, RetrievalWithCi> = {};
  for (const [split, r] of Object.entries(e.splits)) for (const [dir, v] of Object.entries(r)) flat[`${split}/${dir}`] = v;
  const ks = config.eval.ks;
  const recallRows = Object.entries(flat).map(([key, r]) => [
    key,
    ...ks.flatMap((k) => [`${pct(r.recall[k]!)} [${pct(r.recallCi[k]!.lower)}, ${pct(r.recallCi[k]!.upper)}]`, pct(r.chance.recall[k]!)]),
    r.medianRank,
    Number(r.chance.medianRank.toFixed(1)),
    r.n,
  ]);
  const test = e.reversed['test'];

  const html = renderReport({
    title: `${input.name}: video-text CLIP on emoji-motion, temporal '${kind}'`,
    subtitle: `${input.runDir} · backend ${summary.backend} · seed ${summary.seed} · ${Number(summary.parameters).toLocaleString('en')} parameters · ${summary.steps} steps in ${Number(summary['train/seconds']).toFixed(0)} s (${Number(summary['train/samplesPerSec']).toFixed(1)} clips/s)`,
    sections: [
      {
        title: 'Setup',
        text:
          `Clips of an emoji moving left/right or up/down, turning clockwise/anticlockwise, or growing/shrinking on white, captioned "a NAME VERB" (built-in emoji-motion dataset). ` +
          `Each clip has a time-reversed twin: the same emoji on the same path played backwards, with the other verb. ${d.trainClips} training clips of ${d.trainConcepts} emoji, ${d.testClips} held-out clips of ${d.testConcepts} emoji never seen in training; ` +
          `${d.frames} frames of ${d.frameSize} x ${d.frameSize} px per clip, taken from the dataset's in-memory frames (no mp4 decoding; rendered in ${(d.loadMs / 1000).toFixed(1)} s)${config.data.normalize ? `, each channel standardised by the training frames' mean (${d.pixels.mean.map((v) => v.toFixed(3)).join(', ')}) and std (${d.pixels.std.map((v) => v.toFixed(3)).join(', ')})` : ''}. ` +
          `Video tower: a ViT applied to every frame (patch ${config.model.frame.patchSize}, width ${config.model.frame.width}, depth ${config.model.frame.depth}), then ${TEMPORAL_TEXT[kind]}. Text tower: a ${config.model.text.depth}-block transformer on a BPE vocabulary trained on the training captions` +
          `${d.truncatedCaptions > 0 ? ` (${d.truncatedCaptions} captions are longer than the context and lose their verb)` : ''}. ` +
          `Symmetric InfoNCE with a ${config.model.learnTemperature ? 'learned' : 'fixed'} temperature; ${config.train.pairedBatches ? 'every batch holds whole reversed pairs, so each clip meets its twin as a negative.' : 'batches are random clips.'}`,
      },
      {
        title: 'Training',
        text: `Loss, temperature, learning rate, global gradient norm (before clipping), the gradient norm of each tower (video: frame ViT + temporal module + projection; text: transformer + projection) and their ratio, per logged step. The loss of a random model is ln(batch) = ${Math.log(config.train.batchSize).toFixed(2)}${config.train.pairedBatches ? "; with whole reversed pairs in every batch an order-blind model cannot go below ln 2 = 0.69, as it cannot tell a clip's caption from its twin's" : ''}.`,
        figures: [trainingCurves(input.metrics, ['loss', 'temperature', 'lr', 'gradNorm', 'gradNorm/video', 'gradNorm/text', 'gradNormRatio/text:video', 'samplesPerSec'])],
      },
      {
        title: 'During training: a fixed probe batch of training clips',
        text: `Every ${config.train.probeEvery} steps, on ${config.train.probeSize} training clips (whole pairs): reversed-pair accuracy (chance 50%), the modality gap, alignment, uniformity and effective rank (RankMe) of each modality.`,
        figures: [trainingCurves(input.metrics, ['probe/reversedPairAccuracy', 'probe/gap', 'probe/alignment', 'probe/uniformity/video', 'probe/uniformity/text', 'probe/rankMe/video', 'probe/rankMe/text'], { title: 'Probe' })],
      },
      {
        title: 'Time-reversed pairs: does the model see the order of the frames?',
        text:
          `Reversed pair, video->text: for each clip, is its own caption scored above the caption of its reversed motion ("moves left" vs "moves right", same emoji)? text->video: is each caption closer to its clip than to the reversed clip? Chance is 50%, and a model that averages frames scores exactly 50% (score differences within ${TIE_TOLERANCE} count as ties, half a hit): the mean of the frames is the same both ways. ` +
          `Motion: among the captions of the clip's own emoji with every motion, is its own the top one (chance 1/${e.motion['test']?.choices ?? 8}; an order-blind model can find the axis of motion but not its direction, so it stays at or below 50%). ` +
          `Bars show the accuracy with a 95% bootstrap interval over pairs (the two clips of a pair resampled together); dashes are chance. Held-out: ${test ? withCi(test['video->text']) : 'n/a'} on ${test?.['video->text'].pairs ?? 0} pairs.`,
        figures: [ablationBars(accuracy, { title: 'reversed-pair and motion accuracy (95% bootstrap CI)', yTitle: 'accuracy', baselines, baselineName: 'chance' })],
        table: { columns: ['split', 'measure', 'accuracy [95% CI]', 'chance', 'pairs'], rows: accuracyRows },
      },
      {
        title: 'Retrieval',
        text: 'Recall@K with a 95% bootstrap interval over queries; dashes show the recall of a random ranking. The gallery is every caption (video->text) or every clip (text->video) of the split, so a clip and its reversed twin compete. "test" holds the clips of emoji never seen in training; "train-sample" a same-size sample of training pairs, for the generalisation gap.',
        figures: [recallBars(flat)],
        table: { columns: ['split/direction', ...ks.flatMap((k) => [`R@${k}`, `chance R@${k}`]), 'median rank', 'chance median rank', 'queries'], rows: recallRows },
      },
      {
        title: 'Geometry of the shared space (held-out clips)',
        text: `PCA of the held-out clip and caption embeddings together; grey lines join each clip to its caption. Modality gap (distance between the centroids, Liang et al. 2022): ${fmt(summary['test/geometry/text-video/gap'])}. Alignment (mean squared distance of pairs): ${fmt(summary['test/geometry/text-video/alignment'])}. Uniformity (lower is more uniform): video ${fmt(summary['test/geometry/video/uniformity'])}, text ${fmt(summary['test/geometry/text/uniformity'])}. Effective rank (RankMe) of ${config.model.embedDim} dimensions: video ${fmt(summary['test/geometry/video/rankMe'])}, text ${fmt(summary['test/geometry/text/rankMe'])}.`,
        figures: [embeddingScatter({ video: e.scatter.video, text: e.scatter.text }, { title: 'held-out embeddings, PCA', axisTitles: e.scatter.axisTitles, labels: { video: e.scatter.labels, text: e.scatter.labels } })],
      },
      {
        title: 'Similarity of held-out reversed pairs',
        text: 'Cosine similarity of held-out clips (rows) and captions (columns), twins side by side: each 2x2 block on the diagonal is one reversed pair. A model that sees order is bright on the block diagonal\'s own diagonal; an order-blind one paints both cells of a row of the block alike.',
        figures: [similarityHeatmap(e.heatmap.matrix, e.heatmap.labels, e.heatmap.labels, 'clip (row) vs caption (column)')],
      },
      {
        title: 'Examples: held-out clip -> captions',
        text: 'A seeded sample of held-out clips: the emoji and its motion, the rank of its own caption among all held-out captions, its similarity to its own caption and to the caption of the reversed motion, and the three top captions.',
        table: {
          columns: ['emoji', 'motion', 'rank of its caption', 'own', 'reversed', 'top 1', 'top 2', 'top 3'],
          rows: e.examples.map((x) => [x.concept, x.motion, x.rank, x.own.toFixed(3), x.reversed.toFixed(3), ...x.top]),
        },
      },
    ],
  });
  await writeFileAtomic(file, new TextEncoder().encode(html));
}
