import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collapseReport } from '../collapse/collapse-report.js';
import { gradNormRatio } from '../collapse/grad-norm-ratio.js';
import { ablationBars } from '../plots/ablation-bars.js';
import { collapseBars } from '../plots/collapse-bars.js';
import { embeddingScatter } from '../plots/embedding-scatter.js';
import type { FigureSpec } from '../plots/figure.js';
import { gapShiftCurve } from '../plots/gap-shift-curve.js';
import { recallBars } from '../plots/recall-bars.js';
import { similarityHeatmap } from '../plots/similarity-heatmap.js';
import { trainingCurves } from '../plots/training-curves.js';
import { pca } from '../project/pca.js';
import type { RetrievalResult } from '../retrieval/rank-retrieval.js';
import { aggregateSeeds } from '../stats/seeds.js';
import { CHROMIUM_PATH, launchChromium } from './chromium.js';
import { decodePng, lumaVariance } from './png-pixels.js';
import { renderPng } from './render-png.js';

// Issue 8: "a rendered PNG of each figure type is checked to be non-blank (pixel variance)".
// Same skip rule as report-browser.test.ts: developers without chromium may skip; CI must run.
const ci = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI);
const skip = !existsSync(CHROMIUM_PATH) && !ci;

// Small realistic inputs, deterministic (sin/cos of a range, no RNG).

/** A 60-step run logged every step, with RankMe and the gap logged every 10 steps. */
const rows = Array.from({ length: 60 }, (_, step) => ({
  step,
  loss: 4.2 * Math.exp(-step / 18) + 0.6 + 0.05 * Math.sin(step),
  temperature: 0.07 + 0.0015 * step,
  ...(step % 10 === 0 ? { gap: 0.82 - 0.004 * step, rankMe: 3 + 0.08 * step } : {}),
}));

function retrieval(n: number, recall: Record<number, number>, medianRank: number): RetrievalResult {
  const chance = Object.fromEntries(Object.keys(recall).map((k) => [k, Number(k) / n]));
  return { n, galleryCount: n, recall, medianRank, meanRank: 2.4 * medianRank, mrr: 0.21, chance: { recall: chance, medianRank: (n + 1) / 2 } };
}

/** Paired image/text embeddings in 6-D with a modality gap along the first axis, projected by PCA. */
function scatterPoints(): { image: number[][]; text: number[][]; axisTitles: [string, string] } {
  const n = 40;
  const base = Array.from({ length: n }, (_, i) => Array.from({ length: 6 }, (_, j) => Math.sin(1.3 * i + 0.7 * j * j + j)));
  const image = base.map((row, i) => row.map((v, j) => v + (j === 0 ? 1.5 : 0) + 0.2 * Math.cos(3.1 * i + j)));
  const text = base.map((row, i) => row.map((v, j) => v + (j === 1 ? -1.2 : 0) + 0.2 * Math.sin(2.3 * i - j)));
  const fit = pca([...image, ...text], { components: 2 });
  const pct = fit.explainedVarianceRatio.map((r) => (100 * r).toFixed(1));
  return {
    image: fit.projected.slice(0, n),
    text: fit.projected.slice(n),
    axisTitles: [`PC1 (${pct[0]}%)`, `PC2 (${pct[1]}%)`],
  };
}

const labels = ['🐱 cat', '🐶 dog', '🐟 fish', '🐦 bird', '🐎 horse', '🐄 cow'];
const similarity = labels.map((_, i) => labels.map((__, j) => (i === j ? 0.6 + 0.05 * i : 0.25 * Math.sin(i * 2 + j * 3))));
const scatter = scatterPoints();

/** Every figure-spec function exported by @modalab/eval, with the PNG size asked of it. */
const figures: Record<string, { figure: FigureSpec; width: number; height: number }> = {
  trainingCurves: { figure: trainingCurves(rows, ['loss', 'temperature', 'gap', 'rankMe'], { logY: ['loss'] }), width: 640, height: 720 },
  recallBars: {
    figure: recallBars({ 'test/image->text': retrieval(500, { 1: 0.18, 5: 0.42, 10: 0.55 }, 7), 'test/text->image': retrieval(500, { 1: 0.15, 5: 0.37, 10: 0.5 }, 10) }),
    width: 640,
    height: 400,
  },
  similarityHeatmap: { figure: similarityHeatmap(similarity, labels, labels.map((l) => l.split(' ')[1]!), 'image x text cosine'), width: 520, height: 460 },
  embeddingScatter: {
    figure: embeddingScatter({ image: scatter.image, text: scatter.text }, { axisTitles: scatter.axisTitles, title: 'PCA of image and text embeddings' }),
    width: 560,
    height: 500,
  },
  gapShiftCurve: {
    figure: gapShiftCurve(
      [-0.5, -0.25, 0, 0.25, 0.5, 0.75, 1].map((lambda) => ({
        lambda,
        gap: Math.abs(0.8 * (1 - 2 * lambda)),
        metrics: { 'image->text R@1': 0.3 - 0.2 * (lambda - 0.2) ** 2, 'text->image R@1': 0.27 - 0.18 * (lambda - 0.25) ** 2 },
      })),
    ),
    width: 600,
    height: 420,
  },
  ablationBars: {
    figure: ablationBars(
      {
        'clip (5 seeds)': { 'R@1': aggregateSeeds([0.31, 0.29, 0.33, 0.3, 0.32]), 'R@5': aggregateSeeds([0.6, 0.58, 0.63, 0.61, 0.6]) },
        'siglip (5 seeds)': { 'R@1': aggregateSeeds([0.34, 0.33, 0.36, 0.31, 0.35]), 'R@5': aggregateSeeds([0.64, 0.62, 0.66, 0.6, 0.65]) },
      },
      { baselines: { 'R@1': 0.06, 'R@5': 0.21 }, baselineName: 'pixel nearest neighbour' },
    ),
    width: 600,
    height: 420,
  },
  collapseBars: {
    figure: collapseBars(
      collapseReport({
        permutation: {
          base: { accuracy: 0.88 },
          modalities: {
            image: { accuracyDrop: 0.55, lossIncrease: 1.4, accuracy: 0.33, perceptualScore: 0.55 / 0.88, perRepeat: [0.54, 0.56, 0.55] },
            text: { accuracyDrop: 0.006, lossIncrease: 0.01, accuracy: 0.874, perceptualScore: 0.006 / 0.88, perRepeat: [0.004, 0.01, 0.004] },
          },
        },
        gradNorms: gradNormRatio(Array.from({ length: 10 }, (_, step) => ({ step, norms: { image: 2 + 0.1 * step, text: 0.3 } }))),
      }),
    ),
    width: 640,
    height: 420,
  },
};

/**
 * The blank references. An empty plotly figure still draws its default axes, grid and tick
 * labels (luma variance about 90 at 400x300), so each figure is held against that empty figure
 * rendered at the same size; with the axes hidden too, the render is one colour (variance 0).
 */
const empty: FigureSpec = { data: [], layout: {} };
const blank: FigureSpec = { data: [], layout: { xaxis: { visible: false }, yaxis: { visible: false } } };

describe.skipIf(skip)('a PNG of every figure type', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'modalab-figures-'));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('covers every figure function exported from index.ts', () => {
    // A new figure exported without a case here fails this test rather than going unrendered.
    const index = readFileSync(new URL('../index.ts', import.meta.url), 'utf8');
    const exported = [...index.matchAll(/^export \{ ([^}]+) \} from '\.\/plots\//gm)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()));
    expect(exported.sort()).toEqual(Object.keys(figures).sort());
  });

  it('renders each one non-blank and at the requested size, with one shared browser', async () => {
    const render = async (name: string, figure: FigureSpec, width: number, height: number) => {
      const out = join(dir, `${name}.png`);
      await renderPng(figure, out, { width, height, browser });
      const png = decodePng(await readFile(out));
      expect([png.width, png.height], name).toEqual([width, height]);
      return lumaVariance(png);
    };
    expect(await render('blank', blank, 400, 300)).toBeLessThan(1e-9);

    const started = performance.now();
    const lines: string[] = [];
    for (const [name, { figure, width, height }] of Object.entries(figures)) {
      const variance = await render(name, figure, width, height);
      const floor = await render(`empty-${name}`, empty, width, height);
      lines.push(`${name} ${variance.toFixed(0)} (empty ${floor.toFixed(0)})`);
      // Marks, text and colour scales on top of the axes: well above the empty figure's own
      // axes and grid at that size, and far above a one-colour image.
      expect(variance, `${name}: luma variance ${variance} vs empty figure ${floor}`).toBeGreaterThan(Math.max(100, 2 * floor));
    }
    const ms = performance.now() - started;
    console.info(`figures-png: ${lines.join(', ')}; ${2 * lines.length} renders in ${ms.toFixed(0)} ms`);
  });
});
