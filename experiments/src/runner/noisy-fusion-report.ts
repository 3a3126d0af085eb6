import { writeFileAtomic } from '@modalab/core';
import { ablationBars, collapseBars, renderReport, trainingCurves, type IntervalLike, type ReportSection } from '@modalab/eval';
import type { NoisyFusionConfig, Remedy } from './noisy-fusion-config.js';
import type { NoisyFusionEvaluation, Proportion } from './noisy-fusion.js';

export interface NoisyFusionReportInput {
  name: string;
  runDir: string;
  config: NoisyFusionConfig;
  summary: Record<string, number | string>;
  metrics: Array<Record<string, number>>;
  evaluation: NoisyFusionEvaluation;
}

/** What each remedy does, in a sentence, with its paper. */
export const REMEDY_TEXT: Record<Remedy, (c: NoisyFusionConfig['train']) => string> = {
  none: () => 'No remedy: plain cross-entropy on the fused logits, the setting in which the dominant modality is learned first and the other tower stops receiving gradient (Wang, Tran & Feiszli 2020, "What Makes Training Multi-Modal Classification Networks Hard?", CVPR).',
  'modality-dropout': (c) =>
    `Modality dropout (ModDrop, Neverova, Wolf, Taylor & Nebout 2016, "ModDrop: Adaptive Multi-Modal Gesture Recognition", TPAMI): each sample's tower features are zeroed with probability image ${c.dropout.image}, text ${c.dropout.text} (at least one modality kept), so on those samples the head must answer from the remaining modality alone.`,
  'ogm-ge': (c) =>
    `On-the-fly gradient modulation with generalisation enhancement (OGM-GE, Peng, Wei, Deng, Wang & Hu 2022, "Balanced Multimodal Learning via On-the-fly Gradient Modulation", CVPR): each step the tower whose unimodal score (summed softmax probability of the label with only it kept) exceeds the other's by the ratio rho gets its gradient scaled by 1 - tanh(alpha (rho - 1)), alpha = ${c.ogmGe.alpha}${c.ogmGe.noise ? ', plus Gaussian noise with each gradient\'s own std (GE)' : ' (GE noise off)'}; the weaker tower is untouched.`,
  reweight: (c) =>
    `Auxiliary unimodal losses (the multi-task baseline of Gradient-Blending, Wang, Tran & Feiszli 2020, "What Makes Training Multi-Modal Classification Networks Hard?", CVPR): a linear head per tower classifies from that tower's features alone and its cross-entropy is added to the fused loss with weight ${c.reweight.weight}${c.reweight.balance ? ', scaled each step by that modality\'s unimodal loss over the mean unimodal loss (treated as a constant), so the lagging modality weighs more. G-Blend proper estimates the weights from each modality\'s overfitting-to-generalisation ratio on held-out data; this on-the-fly scaling is a simpler stand-in' : ''}. The towers must each become predictive, whatever the fused head prefers.`,
};

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const withCi = (p: Proportion | undefined) => (p === undefined ? 'n/a' : `${pct(p.estimate)} [${pct(p.lower)}, ${pct(p.upper)}]`);

const LABELS: Record<string, string> = {
  'test/accuracy': 'fused (both modalities)',
  'test/alone/image': 'image alone (text mean-replaced)',
  'test/alone/text': 'text alone (image mean-replaced)',
  'test/alone-zeroed/image': 'image alone (text zeroed)',
  'test/alone-zeroed/text': 'text alone (image zeroed)',
  'test/probe/image': 'linear probe on image tower',
  'test/probe/text': 'linear probe on text tower',
  'conflict/follows/image': 'conflict: follows image',
  'conflict/follows/text': 'conflict: follows text (correct)',
  'conflict/follows/neither': 'conflict: follows neither',
};

/** Bar labels: short, so they fit under the bars unrotated (the table beside spells them out). */
const SHORT: Record<string, string> = {
  'test/accuracy': 'fused',
  'test/alone/image': 'image alone',
  'test/alone/text': 'text alone',
  'test/alone-zeroed/image': 'image alone (0)',
  'test/alone-zeroed/text': 'text alone (0)',
  'test/probe/image': 'image probe',
  'test/probe/text': 'text probe',
  'conflict/follows/image': 'follows image',
  'conflict/follows/text': 'follows text',
  'conflict/follows/neither': 'follows neither',
};

function bars(e: NoisyFusionEvaluation, keys: string[], remedy: string, title: string) {
  const present = keys.filter((k) => e.proportions[k] !== undefined);
  const values: Record<string, IntervalLike> = Object.fromEntries(present.map((k) => [SHORT[k] ?? k, e.proportions[k]!]));
  const baselines = Object.fromEntries(present.map((k) => [SHORT[k] ?? k, e.proportions[k]!.chance]));
  return ablationBars({ [remedy]: values }, { title, yTitle: 'share of samples', baselines, baselineName: 'chance' });
}

/** The run's self-contained HTML report: curves with per-tower gradient norms, accuracies with CIs, collapse bars and verdict, the conflict split. */
export async function writeNoisyFusionReport(file: string, input: NoisyFusionReportInput): Promise<void> {
  const { config, summary, metrics, evaluation: e } = input;
  const { card, collapse } = e;
  const remedy = config.train.remedy;
  const classes = card.config.classes;
  const remedyKeys = remedy === 'ogm-ge' ? ['ogm/image', 'ogm/text'] : remedy === 'reweight' ? ['aux/image/loss', 'aux/text/loss', 'aux/image/weight', 'aux/text/weight'] : [];
  const curveKeys = ['loss', 'accuracy', 'gradNorm/image', 'gradNorm/text', 'gradNormRatio/image:text', ...remedyKeys].filter((k) => metrics.some((r) => r[k] !== undefined));
  const shareRows = e.gradNorms.shares.map((s) => ({ step: s.step, ...Object.fromEntries(Object.entries(s.shares).map(([m, v]) => [`grad-norm share ${m}`, v])) }));
  const propRows = Object.entries(e.proportions).map(([k, p]) => [LABELS[k] ?? k, k, withCi(p), pct(p.chance), p.n]);
  const records = collapse.modalities.map((m) => collapse.records[m]!);
  const n = (v: number | undefined | null) => (v === undefined || v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(3));
  const sections: ReportSection[] = [
    {
      title: 'Setup',
      text:
        `Data: noisy-pairs, ${classes} classes (chance ${pct(1 / classes)}). ${card.tests} ` +
        `${card.counts.train.samples} training, ${card.counts.test.samples} test and ${card.counts.conflict.samples} conflict samples; in training the noisy ${card.noisy} shows a wrong class for ${card.counts.train.shownWrong[card.noisy as 'image' | 'text']} samples. ` +
        `Images are ${card.config.imageSize} px grids of 4 px cells, ${card.config.redundancy} of them painted with the class pattern, pixel noise ${card.config.pixelNoise}; texts are ${card.config.textLength} tokens with ${card.config.redundancy} class keywords (read as a bag of token counts).\n` +
        `Model: FusionClassifier with MLP towers (image ${config.model.image.hidden} -> ${config.model.image.outputDim}, text ${config.model.text.hidden} -> ${config.model.text.outputDim}), ${config.model.fusion.kind} fusion, ${Number(summary.parameters).toLocaleString('en')} parameters; ${config.train.steps} steps of ${config.train.batchSize}, AdamW lr ${config.train.lr}.\n` +
        `Remedy: ${REMEDY_TEXT[remedy](config.train)}`,
    },
    {
      title: 'Training',
      text: `Loss and train-batch accuracy${remedy === 'modality-dropout' ? ' (on the inputs after dropout)' : ''}, the gradient norm each tower receives before any modulation, and their ratio image:text per logged step. In a collapse the dominant tower's share grows and the other's gradient fades once the dominant one fits the labels. Chance loss at the start is ln(${classes}) = ${Math.log(classes).toFixed(2)}.${remedy === 'ogm-ge' ? ' ogm/<m> is the OGM coefficient applied to that tower (1 = untouched).' : ''}${remedy === 'reweight' ? ' aux/<m> are the auxiliary unimodal losses and their weights.' : ''}`,
      figures: [
        trainingCurves(metrics, curveKeys, { logY: ['gradNormRatio/image:text'] }),
        trainingCurves(shareRows, ['grad-norm share image', 'grad-norm share text'], { title: 'Share of the tower gradient norm (gradNormRatio)' }),
      ],
    },
    {
      title: 'Accuracy on the test split',
      text:
        `Brackets: 95% bootstrap interval over test samples (${config.eval.bootstrapResamples} resamples); dashes: chance (${pct(1 / classes)}). "Alone" ("(0)" in the figure: zeroed) runs the trained model with the other modality's tower features replaced by their test mean (what collapseReport uses) or by zeros (what modality dropout trains on). ` +
        'The linear probe is a logistic regression fitted on frozen tower features of the training split: it asks whether the tower learned the class at all, even if the fused head ignores it. ' +
        `A collapsed model has text alone near chance although the text shows the right class for ${pct(1 - card.config.noise)} of samples.`,
      figures: [bars(e, ['test/accuracy', 'test/alone/image', 'test/alone/text', 'test/alone-zeroed/image', 'test/alone-zeroed/text', 'test/probe/image', 'test/probe/text'], remedy, 'test accuracy, fused and per modality')],
      table: { columns: ['measure', 'summary key', 'value [95% CI]', 'chance', 'samples'], rows: propRows },
    },
    {
      title: 'Collapse diagnostics',
      text:
        `${collapse.summary}\n` +
        'Permutation drop: accuracy lost when one modality is shuffled across the test batch (the perceptual score of Gat, Schwartz & Schwing 2021 before normalising); zero/mean-ablation drops replace it instead; accuracy alone keeps only it; grad-norm share is its mean share of the tower gradient norm over the second half of training; RankMe/max the effective rank of its features.',
      figures: [collapseBars(collapse)],
      table: {
        columns: ['modality', 'verdict', 'permutation drop', 'perceptual score', 'zero-ablation drop', 'mean-ablation drop', 'alone', 'grad-norm share', 'reason'],
        rows: records.map((r) => [r.modality, r.collapsed ? 'COLLAPSED' : 'ok', n(r.permutationDrop), n(r.perceptualScore), n(r.zeroAblationDrop), n(r.meanAblationDrop), n(r.unimodalAccuracy), n(r.gradNormShare), r.reason]),
      },
    },
  ];
  if (e.proportions['conflict/follows/text'] !== undefined) {
    sections.push({
      title: 'Conflict split: which modality does the model follow?',
      text: `Here the ${card.config.clean} (always right in training) shows a wrong class and the ${card.noisy} shows the right one, noise-free. A model that reads only the ${card.config.clean} follows it and scores 0; following the ${card.noisy} is the correct answer. Following ${card.config.clean}: ${withCi(e.proportions[`conflict/follows/${card.config.clean}`])}; following ${card.noisy}: ${withCi(e.proportions[`conflict/follows/${card.noisy}`])}; chance for either is ${pct(1 / classes)}. Trusting the modality that was always right in training is what the training data rewards, so a high "follows ${card.config.clean}" is not by itself a failure; a ${card.noisy} share above chance shows the model can still hear the ${card.noisy}.`,
      figures: [bars(e, ['conflict/follows/image', 'conflict/follows/text', 'conflict/follows/neither'], remedy, 'conflict split: prediction agrees with')],
    });
  }
  const html = renderReport({
    title: `${input.name}: modality collapse on noisy-pairs (remedy: ${remedy})`,
    subtitle: `${input.runDir} · backend ${summary.backend} · seed ${summary.seed} · ${summary.steps} steps in ${Number(summary['train/seconds']).toFixed(0)} s · test accuracy ${withCi(e.proportions['test/accuracy'])} · collapse: ${collapse.flagged.length === 0 ? 'none flagged' : `${collapse.flagged.join(', ')} flagged`}`,
    sections,
  });
  await writeFileAtomic(file, new TextEncoder().encode(html));
}
