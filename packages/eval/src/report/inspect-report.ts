import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchChromium } from './chromium.js';

export interface ReportInspection {
  /** Figures with a drawn plotly svg. */
  plotsDrawn: number;
  /** The page's own count of figures it tried to draw (data-plots-ready), or null if it never finished. */
  plotsReady: number | null;
  /** Figures that failed to draw (shown in the page as an error box). */
  figureErrors: number;
  /** Console errors and uncaught page errors. */
  errors: string[];
  /** Requests to anything but file: and data: URLs: a self-contained report makes none. */
  externalRequests: string[];
}

/**
 * Opens an HTML report in headless Chromium (Debian's, no download) and reports what a reader
 * would see: how many figures drew, console errors, and any network request it tried.
 */
export async function inspectReport(file: string, options: { browser?: Browser; timeoutMs?: number } = {}): Promise<ReportInspection> {
  const browser = options.browser ?? (await launchChromium());
  const page = await browser.newPage();
  try {
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('request', (req) => requests.push(req.url()));
    await page.goto(pathToFileURL(file).href);
    const ready = await page
      .waitForSelector('body[data-plots-ready]', { timeout: options.timeoutMs ?? 30_000 })
      .then(() => page.getAttribute('body', 'data-plots-ready'))
      .catch(() => null);
    const plotsDrawn = await page.$$eval('.js-plotly-plot', (els) => els.filter((el) => el.querySelector('svg.main-svg') !== null).length);
    const figureErrors = (await page.$$('.figure-error')).length;
    return {
      plotsDrawn,
      plotsReady: ready === null ? null : Number(ready),
      figureErrors,
      errors,
      externalRequests: requests.filter((url) => !url.startsWith('file:') && !url.startsWith('data:')),
    };
  } finally {
    await page.close();
    if (!options.browser) await browser.close();
  }
}
