import { launchChromium } from '@modalab/eval';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainTinyIndex } from '../test-fixtures.js';
import { type Explorer, startExplorer } from './server.js';
import type { SpaceSample } from './space.js';

type Browser = Awaited<ReturnType<typeof launchChromium>>;
type Page = Awaited<ReturnType<Browser['newPage']>>;

/** A screenshot is "not blank" when its luma varies and it has more than a handful of colours. */
async function expectNotBlank(png: Buffer, what: string): Promise<void> {
  const image = sharp(png);
  const stats = await image.stats();
  const meta = await image.metadata();
  expect(meta.width, what).toBeGreaterThan(300);
  const spread = Math.max(...stats.channels.slice(0, 3).map((c) => c.stdev));
  expect(spread, `${what}: channel stdev`).toBeGreaterThan(10);
  const { data } = await image.raw().toBuffer({ resolveWithObject: true });
  const colours = new Set<number>();
  for (let i = 0; i + 2 < data.length && colours.size < 200; i += 3 * 7) colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
  expect(colours.size, `${what}: distinct colours`).toBeGreaterThan(20);
}

describe('explorer page in headless Chromium', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-explorer-browser-'));
  const shots = path.join(root, 'screenshots');
  let explorer: Explorer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    const { run } = await trainTinyIndex(root, 60);
    explorer = await startExplorer({ run, index: path.join(root, 'index'), port: 0, log: () => undefined });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    fs.mkdirSync(shots);
    await page.goto(explorer.url);
    await page.waitForSelector('body[data-ready]');
  });
  afterAll(async () => {
    await browser?.close();
    await explorer?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('loads without console errors, and typing a query shows image results; a click queries with the result', async () => {
    expect(await page.textContent('#run-info')).toMatch(/run search-tiny .* index of builtin:emoji: 60 image, 60 text/);
    await page.fill('#q', 'red heart');
    await page.press('#q', 'Enter');
    await page.waitForSelector('body[data-results="10"]');
    expect(await page.$$eval('#results .card.image img', (imgs) => imgs.length)).toBe(10);
    // Thumbnails really decoded (a broken image has naturalWidth 0).
    await expect.poll(() => page.$$eval('#results img', (imgs) => imgs.every((i) => (i as unknown as { complete: boolean; naturalWidth: number }).naturalWidth > 0))).toBe(true);
    const scores = await page.$$eval('#results .score', (els) => els.map((e) => Number(e.textContent)));
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    await expectNotBlank(await page.screenshot({ path: path.join(shots, 'search.png') }), 'search view');

    // image -> text: clicking an image result asks for captions near it.
    await page.click('#results .card.image >> nth=0');
    await page.waitForSelector('body[data-results="10"] #results .card.text');
    expect(await page.$$eval('#results .card', (cards) => cards.every((c) => c.classList.contains('text')))).toBe(true);
    expect(await page.$$eval('#query-line .chip', (c) => c.length)).toBe(2);
    // image -> image through the card's own button.
    await page.selectOption('#modality', 'image');
    await page.fill('#q', 'cat');
    await page.press('#q', 'Enter');
    await page.waitForSelector('body[data-results="10"] #results .card.image');
    const first = await page.getAttribute('#results .card.image >> nth=0 >> img', 'src');
    await page.click('#results .card.image >> nth=0 >> text=images like this');
    await page.waitForSelector('body[data-results="10"] #results .card.image');
    // An image is its own nearest image.
    expect(await page.getAttribute('#results .card.image >> nth=0 >> img', 'src')).toBe(first);
    expect(await page.textContent('#results .card >> nth=0 >> .score')).toBe('1.000');
    expect(errors).toEqual([]);
  });

  it('the gap slider re-scores Recall@K in the page, matching @modalab/eval', async () => {
    await page.click('nav [data-view=map]');
    await page.waitForSelector('body[data-map-ready]');
    await page.waitForSelector('#map .scatterlayer .trace .point');
    expect(await page.$$eval('#map .scatterlayer .trace', (t) => t.length)).toBe(3);
    const space = (await (await fetch(`${explorer.url}api/space?method=pca&n=300`)).json()) as SpaceSample;
    expect(space.n).toBe(60);
    const read = () => page.$$eval('#recall-table td[data-k]', (tds) => tds.map((td) => Number(td.getAttribute('data-value'))));
    const reference = (lambda: number) => {
      const r = space.reference.find((p) => p.lambda === lambda)!.recall;
      return [1, 5, 10].map((k) => r['text->image'][k]!).concat([1, 5, 10].map((k) => r['image->text'][k]!));
    };
    const setLambda = async (lambda: number) => {
      await page.$eval('#gap', (el, v) => ((el as unknown as { value: string }).value = String(v), el.dispatchEvent(new Event('input'))), lambda);
      await page.waitForSelector(`body[data-lambda="${lambda}"]`);
    };
    const atZero = await read();
    // Floats in the page are float64, eval's are float32: a near-tie may flip one rank.
    atZero.forEach((v, i) => expect(Math.abs(v - reference(0)[i]!)).toBeLessThanOrEqual(1 / 60 + 1e-9));
    const gap0 = Number(await page.getAttribute('#gap-value', 'data-value'));
    expect(gap0).toBeCloseTo(space.reference.find((p) => p.lambda === 0)!.gap, 4);
    const xs0 = await page.$$eval('#map .scatterlayer .trace:nth-child(2) .point', (ps) => ps.map((p) => p.getAttribute('transform')));

    // λ = 0.5 moves both centroids to their midpoint: the gap closes and the points move.
    const seen = [atZero];
    for (const lambda of [0.5, 1, -0.5]) {
      await setLambda(lambda);
      const values = await read();
      values.forEach((v, i) => expect(Math.abs(v - reference(lambda)[i]!), `λ=${lambda}`).toBeLessThanOrEqual(1 / 60 + 1e-9));
      seen.push(values);
      if (lambda === 0.5) {
        expect(Number(await page.getAttribute('#gap-value', 'data-value'))).toBeLessThan(0.5 * gap0);
        expect(await page.$$eval('#map .scatterlayer .trace:nth-child(2) .point', (ps) => ps.map((p) => p.getAttribute('transform')))).not.toEqual(xs0);
      }
    }
    // Moving the slider changed the displayed Recall@K.
    expect(seen.slice(1).some((v) => JSON.stringify(v) !== JSON.stringify(atZero))).toBe(true);

    // Hovering a point shows its thumbnail and caption.
    const box = (await page.locator('#map .scatterlayer .trace:nth-child(2) .point').first().boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForSelector('#hover-card:not([hidden])');
    expect(await page.textContent('#hover-card span')).toMatch(/^image: /);
    await setLambda(0);
    await expectNotBlank(await page.screenshot({ path: path.join(shots, 'map.png') }), 'map view');
    expect(errors).toEqual([]);
  });

  it('shows the training curves and diagnostics; nothing left localhost', async () => {
    await page.click('nav [data-view=training]');
    await page.waitForSelector('body[data-training-ready="3"]');
    expect(await page.$$eval('#curves .js-plotly-plot svg.main-svg', (s) => s.length)).toBeGreaterThanOrEqual(3);
    expect(await page.$$eval('#summary tbody tr', (r) => r.length)).toBeGreaterThan(5);
    expect(await page.getAttribute('#report-link a', 'href')).toBe('/run/report.html');
    await expectNotBlank(await page.screenshot({ path: path.join(shots, 'training.png'), fullPage: true }), 'training view');
    expect(errors).toEqual([]);
    const origin = explorer.url.replace(/\/$/, '');
    expect(requests.filter((u) => !u.startsWith(origin + '/') && !u.startsWith('data:') && !u.startsWith('blob:'))).toEqual([]);
    expect(requests.some((u) => u.includes('/thumb/'))).toBe(true);
  });
});
