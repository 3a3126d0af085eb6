/**
 * A plotly figure as plain JSON: what Plotly.newPlot(div, data, layout) takes. Kept loose
 * on purpose (plotly's own types are large and version-bound); the report and PNG renderer
 * only serialise it.
 */
export interface FigureSpec {
  data: Array<Record<string, unknown>>;
  layout: Record<string, unknown>;
}

/** Colours used across figures so a split keeps its colour from plot to plot (plotly's D3 set). */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function paletteColor(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}
