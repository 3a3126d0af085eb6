import type { RetrievalResult } from '../retrieval/rank-retrieval.js';
import { paletteColor, type FigureSpec } from './figure.js';

export interface RecallBarsOptions {
  title?: string;
}

/**
 * Grouped bars of recall@K, one group per K and one bar per result (e.g.
 * 'test/image->text'), with each result's chance level as a dash drawn over its own bar, so
 * a bar is always read against its floor. The legend carries n and median rank.
 */
export function recallBars(results: Record<string, RetrievalResult>, options: RecallBarsOptions = {}): FigureSpec {
  const names = Object.keys(results);
  if (names.length === 0) throw new Error('recallBars: results is empty');
  const ks = [...new Set(names.flatMap((name) => Object.keys(results[name]!.recall).map(Number)))].sort((a, b) => a - b);
  const categories = ks.map((k) => `R@${k}`);

  const data: Array<Record<string, unknown>> = [];
  names.forEach((name, i) => {
    const r = results[name]!;
    const color = paletteColor(i);
    const recall = ks.map((k) => r.recall[k] ?? null);
    const chance = ks.map((k) => r.chance.recall[k] ?? null);
    data.push({
      type: 'bar',
      name: `${name} (n=${r.n}, G=${r.galleryCount}, median rank ${fmt(r.medianRank)})`,
      legendgroup: name,
      offsetgroup: name,
      x: categories,
      y: recall,
      marker: { color },
      text: recall.map((v) => (v === null ? '' : pct(v))),
      textposition: 'outside',
      hovertemplate: `${escapeTemplate(name)}<br>%{x}: %{y:.1%}<extra></extra>`,
    });
    data.push({
      type: 'scatter',
      mode: 'markers',
      name: `chance (${name})`,
      legendgroup: name,
      offsetgroup: name,
      showlegend: i === 0,
      x: categories,
      y: chance,
      marker: { symbol: 'line-ew-open', size: 28, color: '#222', line: { width: 2.5, color: '#222' } },
      hovertemplate: `chance, ${escapeTemplate(name)}<br>%{x}: %{y:.2%}<extra></extra>`,
    });
  });
  // Only the first chance trace is in the legend; name it for what every dash means.
  const firstChance = data[1];
  if (firstChance) firstChance.name = 'chance (random ranking)';

  return {
    data,
    layout: {
      title: { text: options.title ?? 'Retrieval recall@K: bars = model, dashes = chance' },
      barmode: 'group',
      // Groups the chance markers like the bars, so each dash sits on its own bar.
      scattermode: 'group',
      xaxis: { title: { text: 'cut-off K' } },
      yaxis: { title: { text: 'recall' }, range: [0, 1.08], tickformat: '.0%' },
      legend: { orientation: 'h', y: -0.2 },
      margin: { l: 70, r: 20, t: 60, b: 90 },
    },
  };
}

function pct(v: number): string {
  return `${(100 * v).toFixed(1)}%`;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

/** Plotly reads %{...} in hovertemplates; a literal name must not be parsed as one. */
function escapeTemplate(text: string): string {
  return text.replace(/%\{/g, '%\u200b{');
}
