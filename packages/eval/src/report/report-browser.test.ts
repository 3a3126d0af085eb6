import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recallBars } from '../plots/recall-bars.js';
import { similarityHeatmap } from '../plots/similarity-heatmap.js';
import { trainingCurves } from '../plots/training-curves.js';
import type { RetrievalResult } from '../retrieval/rank-retrieval.js';
import { CHROMIUM_PATH, launchChromium } from './chromium.js';
import { decodePng, lumaVariance } from './png-pixels.js';
import { inspectReport } from './inspect-report.js';
import { writeReport } from './render-report.js';
import { renderPng } from './render-png.js';

// Developers without chromium may skip; CI must run these (a missing browser fails there).
const ci = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI);
const skip = !existsSync(CHROMIUM_PATH) && !ci;

const result: RetrievalResult = {
  n: 300,
  galleryCount: 300,
  recall: { 1: 0.12, 5: 0.31, 10: 0.4 },
  medianRank: 18,
  meanRank: 40.2,
  mrr: 0.2,
  chance: { recall: { 1: 1 / 300, 5: 5 / 300, 10: 10 / 300 }, medianRank: 150.5 },
};
const rows = Array.from({ length: 50 }, (_, step) => ({ step, loss: 4 * Math.exp(-step / 20) + 0.5, temperature: 0.07 + step / 1000 }));

it('launchChromium says how to install a missing browser', async () => {
  await expect(launchChromium({ executablePath: '/nonexistent/chromium' })).rejects.toThrow(/Chromium not found at \/nonexistent\/chromium.*apt-get install -y chromium/);
});

describe.skipIf(skip)('report in headless chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'modalab-report-'));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('opens offline, draws every figure, logs no errors', async () => {
    const file = join(dir, 'report.html');
    await writeReport(file, {
      title: 'Smoke <report>',
      subtitle: 'seed 1',
      sections: [
        { title: 'Training', text: 'Loss and temperature.\n\n<script>window.injected = 1</script>', figures: [trainingCurves(rows, ['loss', 'temperature'])] },
        { title: 'Retrieval', figures: [recallBars({ 'test/image->text': result, 'test/text->image': result })] },
        {
          title: 'Similarities',
          figures: [similarityHeatmap([[0.9, 0.1], [-0.2, 0.7]], ['🐱 cat', '🐶 dog'], ['cat', 'dog'], 'image x text')],
          table: { columns: ['split', 'R@1'], rows: [['test', 0.12]] },
        },
      ],
    });

    const started = performance.now();
    const seen = await inspectReport(file, { browser });
    const drawnMs = performance.now() - started;
    expect(seen).toEqual({ plotsDrawn: 3, plotsReady: 3, figureErrors: 0, errors: [], externalRequests: [] });
    const page = await browser.newPage();
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-plots-ready]', { timeout: 30_000 });
    // Escaped text is shown, not run.
    expect(await page.evaluate(() => (globalThis as { injected?: number }).injected)).toBeUndefined();
    expect(await page.textContent('body')).toContain('<script>window.injected = 1</script>');
    expect(await page.textContent('h1')).toBe('Smoke <report>');
    await page.close();
    console.info(`report: opened and drew 3 figures in ${drawnMs.toFixed(0)} ms`);
  });

  it('decodes a PNG whose pixels are known', async () => {
    // Chromium's encoder picks its own row filters; a gradient forces the non-trivial ones.
    const page = await browser.newPage();
    const dataUrl = await page.evaluate(() => {
      const doc = (globalThis as unknown as { document: { createElement(tag: 'canvas'): HTMLCanvasLike } }).document;
      const canvas = doc.createElement('canvas');
      canvas.width = 40;
      canvas.height = 30;
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = 'rgb(255,0,0)';
      ctx.fillRect(0, 0, 20, 15);
      ctx.fillStyle = 'rgb(0,0,255)';
      ctx.fillRect(20, 15, 20, 15);
      for (let x = 0; x < 20; x++) {
        ctx.fillStyle = `rgb(${x * 12},${255 - x * 12},7)`;
        ctx.fillRect(x, 15, 1, 15);
      }
      return canvas.toDataURL('image/png');
    });
    await page.close();
    const png = decodePng(Buffer.from(dataUrl.split(',')[1]!, 'base64'));
    expect([png.width, png.height, png.channels]).toEqual([40, 30, 4]);
    const at = (x: number, y: number): number[] => Array.from(png.pixels.subarray((y * 40 + x) * 4, (y * 40 + x) * 4 + 4));
    expect(at(5, 5)).toEqual([255, 0, 0, 255]);
    expect(at(30, 20)).toEqual([0, 0, 255, 255]);
    expect(at(30, 5)).toEqual([0, 0, 0, 0]); // untouched canvas is transparent black
    expect(at(10, 25)).toEqual([120, 135, 7, 255]);
  });

  it('renders a figure to a non-blank PNG of the requested size', async () => {
    const out = join(dir, 'recall.png');
    const t0 = performance.now();
    await renderPng(recallBars({ 'test/image->text': result }), out, { width: 640, height: 400, browser });
    const t1 = performance.now();
    const png = decodePng(await readFile(out));
    expect([png.width, png.height]).toEqual([640, 400]);
    // A blank canvas has variance 0; bars, axes and text on white give far more than 1.
    expect(lumaVariance(png)).toBeGreaterThan(100);

    // The second render reuses the page with plotly loaded; scale 2 doubles the pixels.
    const out2 = join(dir, 'curves.png');
    await renderPng(trainingCurves(rows, ['loss']), out2, { width: 300, height: 200, scale: 2, browser });
    const t2 = performance.now();
    const png2 = decodePng(await readFile(out2));
    expect([png2.width, png2.height]).toEqual([600, 400]);
    expect(lumaVariance(png2)).toBeGreaterThan(100);
    console.info(`renderPng on a running browser: first ${(t1 - t0).toFixed(0)} ms, next ${(t2 - t1).toFixed(0)} ms`);
  });
});

/** The few canvas members used above (the test compiles without the DOM lib). */
interface HTMLCanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): { fillStyle: string; fillRect(x: number, y: number, w: number, h: number): void };
  toDataURL(type: string): string;
}
