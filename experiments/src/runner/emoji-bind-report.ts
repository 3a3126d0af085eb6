import { writeFileAtomic } from '@modalab/core';
import { embeddingScatter, recallBars, renderReport, trainingCurves, type ReportSection } from '@modalab/eval';
import type { EmojiBindConfig } from './emoji-bind-config.js';
import type { BindEvaluation } from './emoji-bind.js';
import type { RetrievalWithCi } from './evaluate.js';

export interface BindReportInput {
  name: string;
  runDir: string;
  config: EmojiBindConfig;
  summary: Record<string, number | string>;
  metrics: Array<Record<string, number>>;
  evaluation: BindEvaluation;
}

const pct = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : `${(100 * v).toFixed(1)}%`);
const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(3));
const trainedPair = (evaluation: BindEvaluation, dir: string) => evaluation.trainedPairs.includes(dir.split('->').sort().join('-'));

/** Keys of the metrics rows that exist, in the given order (a figure of absent keys would be empty). */
function present(metrics: Array<Record<string, number>>, keys: string[]): string[] {
  return keys.filter((k) => metrics.some((r) => r[k] !== undefined));
}

/** The run's self-contained HTML report: curves, six-direction retrieval with chance, geometry, the generalisation gap. */
export async function writeBindReport(file: string, input: BindReportInput): Promise<void> {
  const { summary, metrics, evaluation, config } = input;
  const ks = config.eval.ks;
  const label = (split: string, dir: string) => `${split}/${dir}${trainedPair(evaluation, dir) ? '' : ' (never trained)'}`;
  const rows: (string | number)[][] = [];
  for (const [split, dirs] of Object.entries(evaluation.splits)) {
    for (const [dir, r] of Object.entries(dirs)) {
      rows.push([
        split,
        dir,
        trainedPair(evaluation, dir) ? 'trained' : 'never trained',
        ...ks.flatMap((k) => [`${pct(r.recall[k])} [${pct(r.recallCi[k]?.lower)}, ${pct(r.recallCi[k]?.upper)}]`, pct(r.chance.recall[k])]),
        r.medianRank,
        Number(r.chance.medianRank.toFixed(1)),
        r.n,
        r.galleryCount,
      ]);
    }
  }
  const bars = (split: string): Record<string, RetrievalWithCi> => Object.fromEntries(Object.entries(evaluation.splits[split] ?? {}).map(([dir, r]) => [label(split, dir), r]));
  const test = evaluation.splits['test'] ?? {};
  const trainSample = evaluation.splits['train-sample'] ?? {};
  const gapRows = Object.keys(test).map((dir) => {
    const a = trainSample[dir]?.recall[10];
    const b = test[dir]?.recall[10];
    return [dir, trainedPair(evaluation, dir) ? 'trained' : 'never trained', pct(a), pct(b), a === undefined || b === undefined ? 'n/a' : `${(100 * (a - b)).toFixed(1)} pts`];
  });
  const g = evaluation.geometry;
  const geometryRows: (string | number)[][] = [
    ...Object.entries(g.modalities).map(([m, v]) => [m, 'modality', fmt(v.uniformity), fmt(v.rankMe), fmt(v.cone), '', '', '']),
    ...Object.entries(g.pairs).map(([p, v]) => {
      const pair = p.replace('|', '-');
      return [pair, evaluation.trainedPairs.includes(pair) ? 'trained pair' : 'pair, never trained', '', '', '', fmt(v.gap), fmt(v.alignment), fmt(v.jointUniformity)];
    }),
  ];
  const emergent = evaluation.emergentPairs.join(', ');
  const a2i = test['audio->image'];
  const sections: ReportSection[] = [
    {
      title: 'What was trained',
      text:
        `Three towers (a ViT on ${config.data.imageSize} px ${config.data.style} emoji, a text transformer on BPE tokens, an Audio Spectrogram Transformer on the log-mel of espeak-ng speech of the emoji name) ` +
        `are projected into one ${config.model.embedDim}-dimensional space. As in ImageBind (Girdhar et al. 2023), only pairs with one anchor modality are trained; here the anchor is text, ` +
        `not image as in ImageBind, because the speech says the name: pairs ${evaluation.trainedPairs.join(' and ')}, each a symmetric InfoNCE with one shared temperature. ` +
        `The pair ${emergent} is never in a loss: any alignment between speech and pictures emerges through the shared text anchor. ` +
        `Pairing '${config.data.pairing}': ${config.data.pairing === 'disjoint' ? 'the image-text and audio-text items of a step are two independent draws of concepts, so an image and a clip never form one training item' : 'one draw of concepts gives each item an image, a text and a clip (the loss still never compares image with audio)'}. ` +
        `${summary['data/trainConcepts']} training concepts, ${summary['data/heldOutConcepts']} held out in every modality; ${summary['data/clips']} clips (${summary['data/clipsCut']} cut to the ${config.audio.seconds} s window).`,
    },
    {
      title: 'Training',
      text: `The mean of the two pair losses, each pair's InfoNCE, the temperature (1 / logit scale), the learning rate. Chance loss at the start is ln(batch) = ${Math.log(config.train.batchSize).toFixed(2)}.`,
      figures: [trainingCurves(metrics, present(metrics, ['loss', 'loss/image-text', 'loss/audio-text', 'temperature', 'lr', 'samplesPerSec']))],
    },
    {
      title: 'Gradient norms per tower',
      text: 'Global gradient norm (before clipping), and the norm of each modality\'s tower plus its projection, with their ratios: a tower whose norm collapses towards 0 has stopped learning. Text takes gradients from both pairs, image and audio from one each.',
      figures: [trainingCurves(metrics, present(metrics, ['gradNorm', 'gradNorm/audio', 'gradNorm/image', 'gradNorm/text', 'gradNormRatio/audio:text', 'gradNormRatio/image:text', 'gradNormRatio/audio:image']), { title: 'Gradient norms' })],
    },
    {
      title: 'During training (fixed probe set of training concepts)',
      text: `Every ${config.train.probeEvery} steps, on ${config.train.probeSize} training concepts (audio in the first training voice): recall@1 among the probe set (chance ${pct(1 / config.train.probeSize)}), the gap between modality centroids and the alignment of each pair, uniformity and RankMe of each modality. audio->image is never trained.`,
      figures: [
        trainingCurves(metrics, present(metrics, ['probe/R@1/image->text', 'probe/R@1/audio->text', 'probe/R@1/audio->image']), { title: 'Probe recall@1' }),
        trainingCurves(
          metrics,
          present(metrics, ['probe/gap/audio-image', 'probe/gap/audio-text', 'probe/gap/image-text', 'probe/alignment/audio-image', 'probe/alignment/audio-text', 'probe/alignment/image-text', 'probe/rankMe/audio', 'probe/rankMe/image', 'probe/rankMe/text']),
          { title: 'Probe geometry' },
        ),
      ],
    },
    {
      title: 'Retrieval on held-out concepts, all six directions',
      text:
        `Recall@K with the recall of a random ranking drawn over each bar. Held-out concepts were never seen in training in any modality. An audio query has every image or name of its concept as positive; an image or name query has every clip of its concept (one per training voice). ` +
        `Emergent audio->image: R@1 ${pct(a2i?.recall[1])} [${pct(a2i?.recallCi[1]?.lower)}, ${pct(a2i?.recallCi[1]?.upper)}] against chance ${pct(a2i?.chance.recall[1])}.`,
      figures: [recallBars(bars('test'), { title: 'test: held-out concepts' })],
    },
    {
      title: 'Unseen voice and training concepts',
      text: Object.entries(evaluation.splitNotes)
        .map(([s, note]) => `"${s}": ${note}.`)
        .join(' '),
      figures: Object.keys(evaluation.splits)
        .filter((s) => s !== 'test')
        .map((s) => recallBars(bars(s), { title: s })),
    },
    {
      title: 'Recall table',
      text: 'Every split and direction, with the 95% percentile bootstrap interval over concepts (1,000 resamples; the clips of one concept are resampled together) in brackets, and chance beside.',
      table: { columns: ['split', 'direction', 'pair', ...ks.flatMap((k) => [`R@${k}`, `chance R@${k}`]), 'median rank', 'chance median rank', 'queries', 'candidates'], rows },
    },
    {
      title: 'Generalisation gap',
      text: `R@10 on ${trainSample['image->text']?.n ?? 'n/a'} training concepts (train-sample) against the held-out concepts (test), per direction: how much of each direction is memorised.`,
      table: { columns: ['direction', 'pair', 'train-sample R@10', 'test R@10', 'gap'], rows: gapRows },
    },
    {
      title: 'Geometry of the shared space (held-out concepts)',
      text:
        'Per modality: uniformity (log mean Gaussian potential, Wang & Isola 2020; lower is more uniform), effective rank (RankMe, Garrido et al. 2023) and the cone effect (mean pairwise cosine). ' +
        'Per pair: the modality gap between centroids (Liang et al. 2022), alignment (mean squared distance of the two embeddings of one concept) and the uniformity of their union. Audio: the first training voice.',
      table: { columns: ['modality / pair', 'kind', 'uniformity', 'RankMe', 'cone', 'gap', 'alignment', 'joint uniformity'], rows: geometryRows },
    },
    {
      title: 'The three modalities in one picture',
      text: 'PCA of the held-out audio, image and name embeddings together; grey lines join each concept\'s audio to its image and its image to its name. Separate clouds are the modality gap.',
      figures: [
        embeddingScatter(evaluation.scatter.points, {
          title: 'held-out embeddings, PCA',
          axisTitles: evaluation.scatter.axisTitles,
          labels: Object.fromEntries(Object.keys(evaluation.scatter.points).map((m) => [m, evaluation.scatter.labels])),
        }),
      ],
    },
    {
      title: 'Examples: a held-out clip, its nearest images and names',
      text: 'audio->image is never trained; audio->text is. Rank 1 is a hit.',
      table: { columns: ['concept (spoken)', 'rank of its image', 'nearest images', 'rank of its name', 'nearest names'], rows: evaluation.examples.map((e) => [e.concept, e.imageRank, e.topImages.join(' | '), e.textRank, e.topTexts.join(' | ')]) },
    },
  ];
  const html = renderReport({
    title: `${input.name}: image, text and speech bound through text (ImageBind on emoji)`,
    subtitle: `${input.runDir} · backend ${summary.backend} · seed ${summary.seed} · ${Number(summary.parameters).toLocaleString('en')} parameters · ${summary.steps} steps in ${Number(summary['train/seconds']).toFixed(0)} s (${Number(summary['train/samplesPerSec']).toFixed(1)} samples/s per pair)`,
    sections,
  });
  await writeFileAtomic(file, new TextEncoder().encode(html));
}
