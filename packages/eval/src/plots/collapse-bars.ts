import type { CollapseReport } from '../collapse/collapse-report.js';
import { paletteColor, type FigureSpec } from './figure.js';

export interface CollapseBarsOptions {
  title?: string;
}

/** The measures drawn, in order, with the record field each reads; all live on a 0..1 scale. */
const MEASURES = [
  ['permutation drop', 'permutationDrop'],
  ['perceptual score', 'perceptualScore'],
  ['zero-ablation drop', 'zeroAblationDrop'],
  ['mean-ablation drop', 'meanAblationDrop'],
  ['accuracy alone', 'unimodalAccuracy'],
  ['grad-norm share', 'gradNormShare'],
  ['RankMe / max', 'normalizedRankMe'],
] as const;

/**
 * Collapse bars: one group per diagnostic of a collapseReport (permutation drop, perceptual
 * score, zero/mean-ablation drops, accuracy alone, gradient-norm share, normalised RankMe), one
 * bar per modality in sorted order, a flagged modality named "(collapsed)" in the legend and
 * hatched. Dashed lines mark the two drop thresholds of the rule (minDrop and dominantDrop) and
 * a dotted one the fused accuracy. Diagnostics the report lacks are left out.
 */
export function collapseBars(report: CollapseReport, options: CollapseBarsOptions = {}): FigureSpec {
  if (report.modalities.length === 0) throw new Error('collapseBars: report has no modalities; build it with collapseReport');
  const measures = MEASURES.filter(([, key]) => report.modalities.some((m) => report.records[m]?.[key] !== undefined));
  const x = measures.map(([label]) => label);
  const data: Array<Record<string, unknown>> = report.modalities.map((m, i) => {
    const r = report.records[m];
    if (r === undefined) throw new Error(`collapseBars: report.records has no '${m}' though report.modalities lists it`);
    return {
      type: 'bar',
      name: r.collapsed ? `${m} (collapsed)` : m,
      x,
      y: measures.map(([, key]) => {
        const v = r[key];
        return v === undefined || !Number.isFinite(v) ? null : v;
      }),
      marker: { color: paletteColor(i), ...(r.collapsed ? { pattern: { shape: '/' } } : {}) },
      hovertemplate: `${m.replace(/%\{/g, '%\u200b{')}<br>%{x}: %{y:.3f}<extra></extra>`,
    };
  });
  const hline = (y: number, dash: string, color: string) => ({ type: 'line', xref: 'paper', x0: 0, x1: 1, y0: y, y1: y, line: { dash, color, width: 1.5 } });
  const t = report.thresholds;
  return {
    data,
    layout: {
      title: { text: options.title ?? (report.flagged.length === 0 ? 'Modality collapse: none flagged' : `Modality collapse: ${report.flagged.join(', ')} flagged`) },
      barmode: 'group',
      xaxis: { title: { text: 'diagnostic' } },
      yaxis: { title: { text: 'value (accuracy points, share or ratio)' } },
      shapes: [hline(t.minDrop, 'dash', '#d62728'), hline(t.dominantDrop, 'dash', '#555'), hline(report.fusedAccuracy, 'dot', '#222')],
      annotations: [
        { xref: 'paper', x: 1, y: t.minDrop, text: `minDrop ${t.minDrop}`, showarrow: false, xanchor: 'right', yanchor: 'bottom', font: { size: 10, color: '#d62728' } },
        { xref: 'paper', x: 1, y: t.dominantDrop, text: `dominantDrop ${t.dominantDrop}`, showarrow: false, xanchor: 'right', yanchor: 'bottom', font: { size: 10, color: '#555' } },
        { xref: 'paper', x: 0, y: report.fusedAccuracy, text: `fused accuracy ${report.fusedAccuracy.toFixed(3)}`, showarrow: false, xanchor: 'left', yanchor: 'bottom', font: { size: 10 } },
      ],
      legend: { orientation: 'h', y: -0.2 },
      margin: { l: 70, r: 20, t: 60, b: 90 },
    },
  };
}
