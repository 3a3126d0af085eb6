import { paletteColor, type FigureSpec } from './figure.js';

/** One λ of a gap-shift sweep: the gap after the shift and the metrics measured there. */
export interface GapShiftCurvePoint {
  lambda: number;
  gap: number;
  /** e.g. { 'image->text R@1': 0.31, 'text->image R@1': 0.28 } */
  metrics: Readonly<Record<string, number>>;
}

export interface GapShiftCurveOptions {
  title?: string;
  /** Draw the modality gap on a right-hand axis; default true. */
  showGap?: boolean;
}

/**
 * Metric(s) against the shift λ of the gap-shift intervention (Liang et al. 2022, Table 1;
 * see gapShift), one line per metric, with the gap itself dotted on a right-hand axis and a
 * dashed vertical line at λ = 0, the model as trained. Points are sorted by λ; a metric
 * missing or non-finite at a λ is a visible gap in its line.
 */
export function gapShiftCurve(points: ReadonlyArray<GapShiftCurvePoint>, options: GapShiftCurveOptions = {}): FigureSpec {
  if (points.length === 0) throw new Error('gapShiftCurve: points is empty; run gapShiftSweep over a few λ first');
  points.forEach((p, i) => {
    if (!Number.isFinite(p.lambda)) throw new Error(`gapShiftCurve: points[${i}].lambda is ${p.lambda}; it must be finite`);
  });
  const sorted = [...points].sort((a, b) => a.lambda - b.lambda);
  const metricNames = [...new Set(sorted.flatMap((p) => Object.keys(p.metrics)))];
  if (metricNames.length === 0) throw new Error('gapShiftCurve: no point has any metrics');
  const xs = sorted.map((p) => p.lambda);
  const data: Array<Record<string, unknown>> = metricNames.map((name, i) => ({
    type: 'scatter',
    mode: 'lines+markers',
    name,
    x: xs,
    y: sorted.map((p) => {
      const v = p.metrics[name];
      return v !== undefined && Number.isFinite(v) ? v : null;
    }),
    connectgaps: false,
    line: { color: paletteColor(i), width: 2 },
  }));
  const showGap = options.showGap ?? true;
  if (showGap) {
    data.push({
      type: 'scatter',
      mode: 'lines',
      name: 'modality gap (right axis)',
      x: xs,
      y: sorted.map((p) => (Number.isFinite(p.gap) ? p.gap : null)),
      yaxis: 'y2',
      line: { color: '#444', width: 1.5, dash: 'dot' },
    });
  }
  const layout: Record<string, unknown> = {
    title: { text: options.title ?? 'Gap shift: metric vs λ (λ = 0 is the trained model)' },
    xaxis: { title: { text: 'shift λ (a − λΔ, b + λΔ)' }, zeroline: false },
    yaxis: { title: { text: 'metric' } },
    shapes: [{ type: 'line', xref: 'x', yref: 'paper', x0: 0, x1: 0, y0: 0, y1: 1, line: { color: '#888', dash: 'dash', width: 1 } }],
    legend: { orientation: 'h', y: -0.2 },
    margin: { l: 70, r: 70, t: 60, b: 90 },
  };
  if (showGap) layout.yaxis2 = { title: { text: 'gap ||Δ||' }, overlaying: 'y', side: 'right', rangemode: 'tozero', showgrid: false };
  return { data, layout };
}
