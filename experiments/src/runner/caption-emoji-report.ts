import { ablationBars, renderReport, trainingCurves, type FigureSpec, type IntervalLike } from '@modalab/eval';
import { writeFileAtomic } from '@modalab/core';
import type { CaptionEmojiConfig } from './caption-emoji-config.js';
import { CAPTION_METHODS, CAPTION_SPLITS, type CaptionEvaluation, type CaptionExample, type Interval } from './caption-emoji.js';

export interface CaptionReportInput {
  name: string;
  runDir: string;
  config: CaptionEmojiConfig;
  summary: Record<string, number | string>;
  metrics: Array<Record<string, number>>;
  evaluation: CaptionEvaluation;
}

const METHOD_LABELS: Record<(typeof CAPTION_METHODS)[number], string> = {
  greedy: 'model, greedy',
  beam: 'model, beam',
  'baseline-pixel-nn': 'pixel nearest neighbour',
  'baseline-most-frequent': 'most frequent caption',
};

/** An empty caption (EOT first) made visible. */
const shown = (caption: string) => (caption === '' ? '(empty)' : caption);
const ci = (v: Interval, digits = 3) => `${v.estimate.toFixed(digits)} [${v.lower.toFixed(digits)}, ${v.upper.toFixed(digits)}]`;

/** The run's self-contained HTML report: curves, BLEU/CIDEr with intervals and baselines, example captions. */
export async function writeCaptionReport(file: string, input: CaptionReportInput): Promise<void> {
  const { summary, config, evaluation: e, metrics } = input;
  const present = (keys: string[]) => keys.filter((k) => metrics.some((r) => r[k] !== undefined));
  const curves = present(['loss', 'accuracy', 'lr', 'gradNorm', 'gradNorm/image', 'gradNorm/decoder', 'gradNormRatio/decoder:image']);
  const probes = present(['probe/test/loss', 'probe/train/loss', 'probe/test/accuracy', 'probe/train/accuracy', 'probe/test/imageUse', 'probe/train/imageUse']);
  const vocab = Number(summary.vocabSize);
  const frequent = e.mostFrequentCaption;
  const test = e.scores.test;
  const train = e.scores['train-sample'];
  const d = e.greedyVsPixelNn.test;

  const html = renderReport({
    title: `${input.name}: image captioning on emoji`,
    subtitle: `${input.runDir} · backend ${summary.backend} · seed ${summary.seed} · ${Number(summary.parameters).toLocaleString('en')} parameters · ${summary.steps} steps in ${Number(summary['train/seconds']).toFixed(0)} s (${Number(summary['train/samplesPerSec']).toFixed(1)} samples/s)`,
    sections: [
      {
        title: 'What is measured',
        text: [
          `A captioner (a ViT over ${config.data.imageSize} px images, pixels standardised as (x - ${config.data.pixelMean}) / ${config.data.pixelStd}, whose every token, class token and patches, is attended to by a causal transformer decoder with cross-attention) is trained with teacher forcing on the training emoji concepts (${config.data.style} style), the caption of a step being ${captionModeText(config.data.captions)}. The BPE vocabulary (${vocab} tokens) is learned from training captions only.`,
          `Captions are scored with corpus BLEU-4 and CIDEr-D against every caption of the image's concept (its name, short names, CLDR label and tags, ~7 per concept), on the ${e.counts.test} held-out concepts ("test") and on a same-size sample of training concepts ("train-sample"). Brackets are 95% percentile bootstrap intervals over images (${config.eval.bootstrapResamples} resamples; corpus BLEU recomputed on each resample, CIDEr-D as the mean of per-image scores).`,
          `Read the held-out numbers with care: a held-out concept, its name and most of its words were never seen in training, so the best the model can do is describe what it can see and has words for ("face", "heart", "flag", "hand", colours). BLEU-4 needs four-word overlaps, which for an unseen concept come almost only from shared name patterns ("face with ...", "flag: ..."). The training-sample scores show how much of the fit is memorisation.`,
          `Baselines that learn nothing: the pixel nearest neighbour returns the name of the training image nearest in raw pixels (on training concepts that is the image itself, so its train-sample score is a memorisation ceiling, not a baseline); the most frequent training caption ("${frequent}") is given to every image, the captioning counterpart of chance.`,
        ].join('\n\n'),
      },
      {
        title: 'Training',
        text: `Mean token cross-entropy per logged window, next-token accuracy on the training batch (teacher forced, augmented images), learning rate, gradient norm before clipping, per tower (image = ViT, decoder = text decoder) and their ratio. A uniform guess would have loss ln(${vocab}) = ${Math.log(vocab).toFixed(2)}.`,
        figures: [trainingCurves(metrics, curves)],
      },
      ...(probes.length === 0
        ? []
        : [
            {
              title: 'Generalisation during training',
              text: `Every ${config.train.probeEvery} steps: teacher-forced loss and token accuracy with every caption of ${Math.min(config.train.probeSize, e.counts.test)} held-out concepts ("test") and of as many training concepts ("train"), unaugmented. The distance between the two curves is the generalisation gap; a rising test loss is overfitting. imageUse is the loss when each caption is shown another concept's image minus the loss with its own image, in nats per token: how much the decoder reads the image. Near 0 the decoder is a caption language model that ignores the image (the image tower has collapsed to constant tokens), and every image gets the same caption.`,
              figures: [trainingCurves(metrics, probes, { title: 'Probe: held-out vs training concepts' })],
            },
          ]),
      {
        title: 'Scores',
        text: `Bars are the scores, whiskers the 95% bootstrap intervals. Held-out: greedy BLEU-4 ${ci(test.greedy.bleu4)}, CIDEr-D ${ci(test.greedy.cider)}; beam (width ${config.eval.beamSize}) BLEU-4 ${ci(test.beam.bleu4)}, CIDEr-D ${ci(test.beam.cider)}; pixel-NN BLEU-4 ${ci(test['baseline-pixel-nn'].bleu4)}, CIDEr-D ${ci(test['baseline-pixel-nn'].cider)}; most frequent caption CIDEr-D ${ci(test['baseline-most-frequent'].cider)}. Paired bootstrap of per-image CIDEr-D, greedy minus pixel-NN on held-out concepts: ${ci(d)} (p = ${d.pValue.toFixed(3)}). Training sample, greedy: BLEU-4 ${ci(train.greedy.bleu4)}, CIDEr-D ${ci(train.greedy.cider)}.`,
        figures: [scoreBars(e, 'bleu4', 'BLEU-4'), scoreBars(e, 'cider', 'CIDEr-D')],
        table: {
          columns: ['split', 'captioner', 'BLEU-4 [95% CI]', 'CIDEr-D [95% CI]', 'BLEU-1', 'BLEU-2', 'distinct captions', 'exact match', 'mean words'],
          rows: CAPTION_SPLITS.flatMap((split) =>
            CAPTION_METHODS.map((m) => {
              const s = e.scores[split][m];
              return [split, METHOD_LABELS[m], ci(s.bleu4), ci(s.cider), s.bleuN[0]!, s.bleuN[1]!, `${(100 * s.distinct).toFixed(1)}%`, `${(100 * s.exactMatch).toFixed(1)}%`, s.meanWords];
            }),
          ),
        },
      },
      {
        title: 'What the captioner says',
        text: 'The most frequent captions of each captioner and split, with their counts: a model that gives most images the same caption has collapsed to the mode of the training captions, whatever its score.',
        table: {
          columns: ['split', 'captioner', 'most frequent captions (count)'],
          rows: CAPTION_SPLITS.flatMap((split) => (['greedy', 'beam'] as const).map((m) => [split, METHOD_LABELS[m], e.scores[split][m].top.map(([c, n]) => `${shown(c)} (${n})`).join('; ')])),
        },
      },
      {
        title: 'Examples: held-out concepts',
        text: 'A seeded sample of held-out images (numbered as in the table), never seen in training, with the model\'s greedy and beam captions, the pixel-NN baseline\'s caption and the concept\'s own captions (the references). CIDEr-D is that of the greedy caption.',
        figures: [exampleGrid(e.examples)],
        table: {
          columns: ['#', 'concept', 'greedy', 'beam', 'pixel-NN', 'CIDEr-D (greedy)', 'references'],
          rows: e.examples.map((x, i) => [i + 1, x.concept, shown(x.greedy), shown(x.beam), x.pixelNn, x.cider, x.references.join('; ')]),
        },
      },
    ],
  });
  await writeFileAtomic(file, new TextEncoder().encode(html));
}

function captionModeText(mode: CaptionEmojiConfig['data']['captions']): string {
  if (mode === 'name') return "the emoji's name";
  if (mode === 'any') return 'one of its captions drawn at random';
  return 'its name half of the time, else another of its captions drawn at random';
}

/** One bar group per split, one bar per captioner; an interval that excludes its estimate (possible for corpus BLEU) is not drawn. */
function scoreBars(e: CaptionEvaluation, key: 'bleu4' | 'cider', label: string): FigureSpec {
  const results: Record<string, Record<string, IntervalLike>> = {};
  for (const m of CAPTION_METHODS) {
    results[METHOD_LABELS[m]] = Object.fromEntries(
      CAPTION_SPLITS.map((split) => {
        const v = e.scores[split][m][key];
        const inside = v.lower <= v.estimate && v.estimate <= v.upper;
        return [split, inside ? v : { estimate: v.estimate }];
      }),
    );
  }
  const figure = ablationBars(results, { title: `${label} by split and captioner (95% bootstrap CI)`, yTitle: label });
  // The groups are splits, not metrics; the legend goes below the axis title instead of over it.
  return { ...figure, layout: { ...figure.layout, xaxis: { title: { text: 'split' } }, legend: { orientation: 'h', y: -0.3 }, margin: { l: 70, r: 20, t: 60, b: 110 } } };
}

/** The example images in a grid (PNG data URLs as plotly layout images), numbered, with the greedy caption on hover. */
function exampleGrid(examples: CaptionExample[]): FigureSpec {
  const cols = Math.min(6, Math.max(1, examples.length));
  const rows = Math.max(1, Math.ceil(examples.length / cols));
  const at = (i: number) => ({ x: i % cols, y: Math.floor(i / cols) });
  return {
    data: [
      {
        type: 'scatter',
        mode: 'text',
        x: examples.map((_, i) => at(i).x),
        y: examples.map((_, i) => at(i).y + 0.5),
        text: examples.map((x, i) => `#${i + 1}: ${shown(x.greedy)}`),
        hovertext: examples.map((x) => `${x.concept}<br>greedy: ${shown(x.greedy)}<br>beam: ${shown(x.beam)}`),
        hoverinfo: 'text',
        textposition: 'middle center',
        textfont: { size: 11 },
      },
    ],
    layout: {
      title: { text: 'Held-out images and their greedy captions' },
      height: 150 * rows + 80,
      showlegend: false,
      margin: { l: 10, r: 10, t: 50, b: 10 },
      xaxis: { range: [-0.5, cols - 0.5], visible: false },
      yaxis: { range: [rows - 0.3, -0.5], visible: false },
      images: examples.map((x, i) => ({ source: x.image, xref: 'x', yref: 'y', x: at(i).x, y: at(i).y, sizex: 0.8, sizey: 0.8, xanchor: 'center', yanchor: 'middle', sizing: 'contain', layer: 'above' })),
    },
  };
}
