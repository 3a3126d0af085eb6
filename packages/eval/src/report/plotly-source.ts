import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { scriptForInline } from './html.js';

const require = createRequire(import.meta.url);
let cached: string | undefined;

/**
 * plotly.js-dist-min's bundle (about 4.8 MB), read from node_modules and made safe to
 * inline: reports must open offline, so the library travels inside the page.
 */
export function plotlyInlineSource(): string {
  if (cached === undefined) {
    const file = require.resolve('plotly.js-dist-min');
    cached = scriptForInline(readFileSync(file, 'utf8'));
  }
  return cached;
}
