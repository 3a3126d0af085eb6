import type { Browser, Page } from 'playwright-core';
import type { FigureSpec } from '../plots/figure.js';
import { launchChromium } from './chromium.js';
import { OFFLINE_CSP } from './html.js';
import { plotlyInlineSource } from './plotly-source.js';
import { writeFileAtomic } from '@modalab/core';

export interface RenderPngOptions {
  width: number;
  height: number;
  /** Pixel ratio; 2 gives a sharp image for slides. Default 1. */
  scale?: number;
  /** A browser from launchChromium to reuse; without one, a browser is started and closed. */
  browser?: Browser;
}

interface PlotlyInPage {
  Plotly: { toImage(figure: FigureSpec, options: { format: 'png'; width: number; height: number; scale: number }): Promise<string> };
}

/** Renders a figure to a PNG file with plotly's own exporter inside headless Chromium. */
export async function renderPng(figure: FigureSpec, outFile: string, options: RenderPngOptions): Promise<void> {
  const { width, height } = options;
  const scale = options.scale ?? 1;
  for (const [name, value] of Object.entries({ width, height, scale })) {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`renderPng: ${name} must be a positive number, received ${value}`);
  }
  const browser = options.browser ?? (await launchChromium());
  try {
    const page = await plotPage(browser);
    const dataUrl = await page.evaluate(
      ({ fig, size }) => (globalThis as unknown as PlotlyInPage).Plotly.toImage(fig, { format: 'png', ...size }),
      { fig: figure, size: { width, height, scale } },
    );
    const prefix = 'data:image/png;base64,';
    if (!dataUrl.startsWith(prefix)) throw new Error(`renderPng: plotly returned ${dataUrl.slice(0, 40)}..., not a PNG data URL`);
    await writeFileAtomic(outFile, Buffer.from(dataUrl.slice(prefix.length), 'base64'));
  } finally {
    if (options.browser === undefined) await browser.close();
  }
}

/**
 * One page per browser with plotly already parsed: loading the 4.8 MB bundle costs about
 * 1.5 s, a render on a loaded page a small fraction of that. toImage draws into its own
 * detached div, so renders on the shared page do not interfere.
 */
const plotPages = new WeakMap<Browser, Promise<Page>>();

async function plotPage(browser: Browser): Promise<Page> {
  let pending = plotPages.get(browser);
  if (pending === undefined || (await pending.catch(() => undefined))?.isClosed() !== false) {
    pending = (async () => {
      const page = await browser.newPage();
      const html = `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${OFFLINE_CSP}"></head><body><script>${plotlyInlineSource()}</script></body></html>`;
      await page.setContent(html, { waitUntil: 'load' });
      return page;
    })();
    plotPages.set(browser, pending);
  }
  return pending;
}
