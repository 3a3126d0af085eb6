import { ablationBars, embeddingScatter, gapShiftCurve, recallBars, renderReport, similarityHeatmap, trainingCurves } from '@modalab/eval';
import { writeFileAtomic } from '@modalab/core';
import type { ClipEmojiConfig } from './clip-emoji-config.js';
import type { EmojiEvaluation } from './clip-emoji.js';
import type { SplitResults } from './evaluate.js';

export interface ClipReportInput {
  name: string;
  runDir: string;
  config: ClipEmojiConfig;
  summary: Record<string, number | string>;
  metrics: Array<Record<string, number>>;
  evaluation: EmojiEvaluation;
  /** 'emoji' or the path of the user's dataset. */
  dataSource?: string;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const fmt = (v: number | string | undefined) => (typeof v === 'number' ? v.toFixed(3) : 'n/a');

/** The run's self-contained HTML report: curves, recall with chance, a similarity heatmap, examples. */
export async function writeClipReport(file: string, input: ClipReportInput): Promise<void> {
  const { summary } = input;
  const { splits: results, heatmap, examples, scatter, zeroShot, gapShift, baselines } = input.evaluation;
  const flatResults: Record<string, SplitResults[keyof SplitResults]> = {};
  for (const [split, r] of Object.entries(results)) for (const [dir, v] of Object.entries(r)) flatResults[`${split}/${dir}`] = v;
  for (const [split, r] of Object.entries(baselines)) for (const [dir, v] of Object.entries(r)) flatResults[`${split}/${dir} (pixel-NN baseline)`] = v;
  const ks = input.config.eval.ks;
  const rows: (string | number)[][] = Object.entries(flatResults).map(([key, r]) => [
    key,
    ...ks.flatMap((k) => [`${pct(r.recall[k]!)} [${pct(r.recallCi[k]!.lower)}, ${pct(r.recallCi[k]!.upper)}]`, pct(r.chance.recall[k]!)]),
    r.medianRank,
    Number(r.chance.medianRank.toFixed(1)),
    r.n,
  ]);
  const html = renderReport({
    title: `${input.name}: CLIP on ${input.dataSource ?? 'emoji'}`,
    subtitle: `${input.runDir} · backend ${summary.backend} · seed ${summary.seed} · ${Number(summary.parameters).toLocaleString('en')} parameters · ${summary.steps} steps in ${Number(summary['train/seconds']).toFixed(0)} s (${Number(summary['train/samplesPerSec']).toFixed(1)} samples/s)`,
    sections: [
      {
        title: 'Training',
        text: `Symmetric InfoNCE loss, temperature (1 / logit scale), learning rate, gradient norm (before clipping) and the ratio of the image tower's gradient norm to the text tower's per logged step. Chance loss at the start is ln(batch) = ${Math.log(input.config.train.batchSize).toFixed(2)}.`,
        figures: [trainingCurves(input.metrics, ['loss', 'temperature', 'lr', 'gradNorm', 'gradNormRatio/image:text', 'samplesPerSec'])],
      },
      {
        title: 'Geometry during training',
        text: `Every ${input.config.train.probeEvery} steps, on a fixed batch of ${input.config.train.probeSize} training concepts: the modality gap between image and text centroids, alignment of pairs, uniformity of each modality and its effective rank (RankMe).`,
        figures: [trainingCurves(input.metrics, ['probe/gap', 'probe/alignment', 'probe/uniformity/image', 'probe/uniformity/text', 'probe/rankMe/image', 'probe/rankMe/text'], { title: 'Probe geometry' })],
      },
      {
        title: 'Retrieval',
        text: 'Recall@K per split and direction, with a 95% bootstrap interval over queries in brackets; markers show the recall of a random ranking. The pixel-NN baseline learns nothing: it matches each image by raw pixels to the training-style images of the trained concepts and returns their names (it cannot name a concept never trained on). "test" holds concepts never seen in training, drawn in the training style; "test-other-style" the same concepts in the style never trained on; "all-other-style" every concept in that style; "train-sample" training concepts, for the generalisation gap.',
        figures: [recallBars(flatResults)],
        table: { columns: ['split/direction', ...ks.flatMap((k) => [`R@${k}`, `chance R@${k}`]), 'median rank', 'chance median rank', 'queries'], rows },
      },
      {
        title: 'Geometry of the shared space (held-out concepts)',
        text: `PCA of the held-out image and name embeddings together; grey lines join each image to its name. The modality gap (Liang et al. 2022) is the distance between the two centroids: ${fmt(summary['test/geometry/image-text/gap'])}. Alignment (mean squared distance of pairs, Wang & Isola 2020): ${fmt(summary['test/geometry/image-text/alignment'])}. Uniformity (log mean Gaussian potential; lower is more uniform): image ${fmt(summary['test/geometry/image/uniformity'])}, text ${fmt(summary['test/geometry/text/uniformity'])}. Effective rank (RankMe, Garrido et al. 2023) of ${input.config.model.embedDim} dimensions: image ${fmt(summary['test/geometry/image/rankMe'])}, text ${fmt(summary['test/geometry/text/rankMe'])}. Cone effect (mean pairwise cosine): image ${fmt(summary['test/geometry/image/cone'])}, text ${fmt(summary['test/geometry/text/cone'])}.`,
        figures: [
          embeddingScatter(
            { image: scatter.image, text: scatter.text },
            { title: 'held-out embeddings, PCA', axisTitles: scatter.axisTitles, labels: { image: scatter.labels, text: scatter.labels } },
          ),
        ],
      },
      {
        title: 'Closing the gap (held-out concepts)',
        text: 'The gap-shift intervention of Liang et al. (2022): both modalities move along the vector between their centroids by lambda (0.5 closes the gap, negative values widen it) and are renormalised; retrieval is measured again at each lambda. The dashed line is the model as trained.',
        figures: [gapShiftCurve(gapShift, { title: 'recall against the gap shift' })],
      },
      ...(zeroShot.classes.length === 0
        ? []
        : [
          {
            title: 'Zero-shot category classification (held-out concepts)',
            text: `Each held-out image is classified into one of the ${zeroShot.classes.length} categories by the similarity of its embedding to the averaged text embeddings of the templates ${zeroShot.templates.map((t) => `"${t}"`).join(', ')} filled with the category name, never trained as a task. Top-1 ${pct(zeroShot.result.topK[1] ?? Number.NaN)} (chance ${pct(zeroShot.result.chance.topK[1] ?? Number.NaN)}), top-3 ${pct(zeroShot.result.topK[3] ?? Number.NaN)} (chance ${pct(zeroShot.result.chance.topK[3] ?? Number.NaN)}), mean per-class recall ${pct(zeroShot.result.meanPerClassRecall)}.`,
            figures: [similarityHeatmap(zeroShot.result.confusion, zeroShot.classes, zeroShot.classes, 'confusion: true (row) vs predicted (column), counts')],
          },
          ]),
      ...(input.evaluation.probes === undefined
        ? []
        : [
          {
            title: 'Probes of the categories on frozen image embeddings (held-out concepts)',
            text: `A logistic-regression probe (weight decay ${input.evaluation.probes.linearWeightDecay} chosen on a validation split of the training concepts) and a 20-nearest-neighbour probe, fitted on the ${input.evaluation.probes.trainCount} training concepts' images and scored on held-out concepts, so neither can recall a concept it saw. The k-NN on raw pixels learns nothing: the representation is worth something where it beats it. Dashes: always answering the most frequent training category. Error bars: 95% bootstrap over held-out images.`,
            figures: [
              ablationBars(
                Object.fromEntries(Object.entries(input.evaluation.probes.scores).map(([k, p]) => [k, { accuracy: { mean: p.accuracy, lower: p.lower, upper: p.upper, n: p.n } }])),
                { title: 'category probes', yTitle: 'accuracy', baselines: { accuracy: Object.values(input.evaluation.probes.scores)[0]!.chance }, baselineName: 'majority class' },
              ),
            ],
          },
          ]),
      {
        title: 'Similarity of held-out pairs',
        text: 'Cosine similarity between held-out images (rows) and the names of the same concepts (columns): a bright diagonal means each image is closest to its own name.',
        figures: [similarityHeatmap(heatmap.matrix, heatmap.labels, heatmap.labels, 'image (row) vs text (column)')],
      },
      {
        title: 'Examples: image -> text on held-out concepts',
        table: { columns: ['concept', 'rank of its name', 'top 1', 'top 2', 'top 3'], rows: examples.map((e) => [e.concept, e.rank, ...[0, 1, 2].map((i) => e.top[i] ?? '')]) },
      },
    ],
  });
  await writeFileAtomic(file, new TextEncoder().encode(html));
}
