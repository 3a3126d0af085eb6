import { writeFileAtomic } from '@modalab/core';
import { ablationBars, type FigureSpec, renderReport, similarityHeatmap, trainingCurves } from '@modalab/eval';
import type { VqaFusionConfig } from './vqa-fusion-config.js';
import type { Scored, SplitEvaluation, VqaEvaluation, VqaExample } from './vqa-fusion.js';

export interface VqaReportInput {
  name: string;
  runDir: string;
  config: VqaFusionConfig;
  summary: Record<string, number | string>;
  metrics: Array<Record<string, number>>;
  evaluation: VqaEvaluation;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const SPLIT_TEXT: Record<string, string> = {
  test: 'test (new scenes, only colour-shape pairs seen in training)',
  heldOut: 'heldOut (every question depends on a colour-shape pair never seen in training)',
  'train-sample': 'train-sample (training scenes, for the generalisation gap)',
};

const FUSION_TEXT: Record<string, string> = {
  'concat-mlp': 'concat-mlp: the pooled image vector and the mean question token are concatenated and mapped through a two-layer MLP (late fusion, LLaVA-style projector).',
  'cross-attention': 'cross-attention: each question token attends to the image patch tokens (stacked pre-LN blocks with an FFN), then the question tokens are averaged (ViLBERT-style co-attention, one direction).',
  perceiver: 'perceiver: a few learned latents attend to the image patch tokens and the question tokens together (padding masked), with latent self-attention between layers; the latents are averaged (Perceiver / Flamingo resampler).',
};

/** Per-type bars of one split: the model and the question-text prior with 95% intervals; the dash is the type-majority answer. */
function typeBars(split: string, e: SplitEvaluation): FigureSpec {
  const model: Record<string, { estimate: number; lower: number; upper: number; n: number }> = {};
  const prior: Record<string, { estimate: number }> = {};
  const majority: Record<string, number> = {};
  const add = (label: string, s: Scored) => {
    model[label] = { estimate: s.accuracy, lower: s.lower, upper: s.upper, n: s.count };
    prior[label] = { estimate: s.questionPrior };
    majority[label] = s.majority;
  };
  add('all', e.overall);
  for (const [type, s] of Object.entries(e.perType)) add(type, s);
  return ablationBars(
    { model, 'question-text prior (blind)': prior },
    { title: `${split}: accuracy per question type (whiskers: 95% bootstrap CI; dash: majority answer of the type)`, yTitle: 'accuracy', baselines: majority, baselineName: 'type-majority answer (train)' },
  );
}

/** Row-normalised confusion of answers (truth rows, predicted columns), only answers that occur in the split. */
function confusionFigure(split: string, e: SplitEvaluation, answers: readonly string[]): FigureSpec {
  const used = answers.map((_, i) => i).filter((i) => e.confusion[i]!.some((c) => c > 0) || e.confusion.some((row) => row[i]! > 0));
  const matrix = used.map((i) => {
    const total = e.confusion[i]!.reduce((a, b) => a + b, 0);
    return used.map((j) => (total === 0 ? 0 : e.confusion[i]![j]! / total));
  });
  const labels = used.map((i) => answers[i]!);
  const figure = similarityHeatmap(matrix, labels, labels, `${split}: answers, true (row) vs predicted (column), fraction of the row`);
  // Fractions live in [0, 1]: a white-to-red scale instead of the similarity heatmap's diverging one.
  Object.assign(figure.data[0]!, { colorscale: [[0, '#ffffff'], [1, '#b2182b']], zmin: 0, zmax: 1, zmid: undefined, colorbar: { title: { text: 'fraction of row' } }, hovertemplate: 'true %{y}<br>predicted %{x}<br>%{z:.1%}<extra></extra>' });
  return figure;
}

/** The example scenes as an image grid (PNG data URLs in plotly image traces), captioned with question, prediction and truth. */
function exampleGrid(examples: VqaExample[]): FigureSpec {
  const cols = 4;
  const rows = Math.ceil(examples.length / cols);
  const data: Array<Record<string, unknown>> = [];
  const layout: Record<string, unknown> = {
    title: { text: 'Example scenes: question, prediction and truth (a seeded sample, right and wrong alike)' },
    height: 260 * rows + 60,
    margin: { l: 10, r: 10, t: 60, b: 10 },
    showlegend: false,
    annotations: [] as unknown[],
    shapes: [] as unknown[],
  };
  examples.forEach((ex, i) => {
    const r = Math.floor(i / cols);
    const c = i % cols;
    const axis = i === 0 ? '' : String(i + 1);
    const x0 = c / cols + 0.02;
    const x1 = (c + 1) / cols - 0.02;
    const yTop = 1 - r / rows - 0.09 / rows;
    const yBottom = 1 - (r + 1) / rows + 0.03 / rows;
    data.push({ type: 'image', source: ex.png, xaxis: `x${axis}`, yaxis: `y${axis}`, hoverinfo: 'skip' });
    layout[`xaxis${axis}`] = { domain: [x0, x1], visible: false, anchor: `y${axis}` };
    layout[`yaxis${axis}`] = { domain: [yBottom, yTop], visible: false, anchor: `x${axis}`, scaleanchor: `x${axis}` };
    // A thin frame: the scenes' white background would otherwise merge with the page.
    (layout.shapes as unknown[]).push({ type: 'rect', xref: `x${axis} domain`, yref: `y${axis} domain`, x0: 0, x1: 1, y0: 0, y1: 1, line: { color: '#bbbbbb', width: 1 } });
    const mark = ex.prediction === ex.truth ? 'right' : 'WRONG';
    (layout.annotations as unknown[]).push({
      text: `[${ex.split}] ${ex.question}<br>predicted <b>${ex.prediction}</b>, truth <b>${ex.truth}</b> (${mark})`,
      xref: 'paper',
      yref: 'paper',
      x: (x0 + x1) / 2,
      y: yTop + 0.005,
      xanchor: 'center',
      yanchor: 'bottom',
      showarrow: false,
      font: { size: 11, color: mark === 'right' ? '#1a5e1a' : '#b2182b' },
    });
  });
  return { data, layout };
}

function scoreRow(label: string, s: Scored): Array<string | number> {
  return [label, `${pct(s.accuracy)} [${pct(s.lower)}, ${pct(s.upper)}]`, pct(s.majority), pct(s.questionPrior), pct(s.chance), s.count];
}

/** The run's self-contained HTML report: curves, per-type accuracy against question-only baselines, confusion, examples. */
export async function writeVqaFusionReport(file: string, input: VqaReportInput): Promise<void> {
  const { summary, config, evaluation } = input;
  const fusion = config.model.fusion.kind;
  const splits = Object.entries(evaluation.splits);
  const majorityText = Object.entries(evaluation.priors.majority)
    .map(([type, answer]) => `${type}: '${answer}' (chance 1/${evaluation.priors.answersOfType[type]?.length ?? '?'})`)
    .join('; ');
  // A run shorter than logEvery logs only its final window, which has the loss but no step metrics.
  const logged = (keys: string[]) => keys.filter((k) => input.metrics.some((r) => r[k] !== undefined));
  const curves = logged(['loss', 'accuracy', 'lr', 'gradNorm', 'gradNorm/image', 'gradNorm/text', 'gradNorm/fusion', 'gradNorm/head', 'gradNormRatio/image:text']);
  const hasProbe = input.metrics.some((r) => r['probe/test/accuracy'] !== undefined);
  const vs = (split: string) => {
    const d = evaluation.splits[split]?.vsMajority;
    return d === undefined ? '' : `${split}: ${pct(d.diff)} [${pct(d.lower)}, ${pct(d.upper)}], p = ${d.pValue.toPrecision(2)}`;
  };
  const html = renderReport({
    title: `${input.name}: VQA on shapes-vqa, ${fusion} fusion`,
    subtitle: `${input.runDir} · backend ${summary.backend} · seed ${summary.seed} · ${Number(summary.parameters).toLocaleString('en')} parameters · ${summary.steps} steps in ${Number(summary['train/seconds']).toFixed(0)} s (${Number(summary['train/samplesPerSec']).toFixed(0)} questions/s)`,
    sections: [
      {
        title: 'Setup',
        text:
          `Scenes of 1-4 coloured circles, squares and triangles (32 px) with questions of five types: colour, shape, count, exists, left-of; ${evaluation.answers.length} possible answers, classified with cross-entropy over all of them. ` +
          `The colour-shape pairs ${evaluation.heldOutPairs.join(', ')} never occur in training scenes or questions; the heldOut split asks only questions that depend on one of them (CLEVR-CoGenT style compositional generalisation).\n\n` +
          `Image tower: a ViT over ${(config.data.imageSize / config.model.image.patchSize) ** 2} patches (width ${config.model.image.width}, depth ${config.model.image.depth}), token output. Question tower: a bidirectional transformer over BPE tokens (width ${config.model.text.width}, depth ${config.model.text.depth}), token output. Fusion: ${FUSION_TEXT[fusion]}\n\n` +
          `Question-only baselines, fitted on the training answers (no image): the majority answer of each question type (${majorityText}); and the stronger question-text prior, the majority answer of each exact question (types fall back to their majority). Chance is a uniform guess among the answers a type has. A VQA model is only looking at the image where it beats these.`,
      },
      {
        title: 'Training',
        text: `Cross-entropy loss (mean over the log window) and training accuracy of the last batch, learning rate, the global gradient norm before clipping, and the gradient norm of each part (image tower, question tower, fusion, answer head): a tower whose norm falls to zero while the others train has stopped contributing (modality collapse). Chance loss at the start is about ln(${evaluation.answers.length}) = ${Math.log(evaluation.answers.length).toFixed(2)}.`,
        figures: [trainingCurves(input.metrics, curves)],
      },
      ...(hasProbe
        ? [
          {
            title: 'Validation during training',
            text: `Accuracy on a fixed sample of ${config.train.probeScenes} scenes per split every ${config.train.probeEvery} steps: test (seen pairs) against heldOut (unseen pairs). A widening gap is the model learning colour-shape conjunctions rather than colour and shape separately.`,
            figures: [trainingCurves(input.metrics, ['probe/test/accuracy', 'probe/heldOut/accuracy'], { title: 'Probe accuracy' })],
          },
          ]
        : []),
      {
        title: 'Accuracy per question type',
        text: `Exact-match VQA accuracy (eval's vqaAccuracy; one reference answer per question, so the soft score equals it) per split and question type. Whiskers and brackets: 95% percentile bootstrap interval over questions (${config.eval.resamples} resamples; questions of one scene are resampled independently, so intervals are slightly optimistic). Bars in the second colour: the question-text prior (blind); dashes: the type-majority answer. Model minus type-majority accuracy (paired bootstrap): ${splits.map(([s]) => vs(s)).filter((t) => t !== '').join('; ')}.`,
        figures: splits.filter(([s]) => s !== 'train-sample').map(([s, e]) => typeBars(s, e)),
        table: {
          columns: ['split / type', 'accuracy [95% CI]', 'type-majority', 'question-text prior', 'chance', 'questions'],
          rows: splits.flatMap(([s, e]) => [scoreRow(SPLIT_TEXT[s] ?? s, e.overall), ...Object.entries(e.perType).map(([t, v]) => scoreRow(`  ${s} / ${t}`, v))]),
        },
      },
      {
        title: 'Confusion of answers',
        text: 'Each row is a true answer, each column a predicted one; a cell is the fraction of that row. Confusions inside a type (two colours, two counts) are perception errors; confusions across types (a colour for a count question) would mean the question was not understood.',
        figures: splits.filter(([s]) => s !== 'train-sample').map(([s, e]) => confusionFigure(s, e, evaluation.answers)),
      },
      ...(evaluation.examples.length === 0
        ? []
        : [
          {
            title: 'Examples',
            text: 'A seeded sample of questions from distinct scenes of test and heldOut, right and wrong alike.',
            figures: [exampleGrid(evaluation.examples)],
            table: { columns: ['split', 'type', 'question', 'predicted', 'truth', 'right'], rows: evaluation.examples.map((e) => [e.split, e.type, e.question, e.prediction, e.truth, e.prediction === e.truth ? 'yes' : 'no']) },
          },
          ]),
    ],
  });
  await writeFileAtomic(file, new TextEncoder().encode(html));
}
