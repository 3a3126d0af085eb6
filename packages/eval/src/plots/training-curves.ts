import { paletteColor, type FigureSpec } from './figure.js';

export interface TrainingCurvesOptions {
  title?: string;
  /** Column used as x; default 'step'. */
  x?: string;
  /** Keys drawn on a log y axis (e.g. loss spanning decades). */
  logY?: string[];
}

/** One logged row; a key that is absent or undefined was not logged at that step. */
export type MetricRow = Readonly<Record<string, number | undefined>>;

/**
 * Small multiples: one panel per key, stacked, sharing the x axis. Separate panels rather
 * than one plot with twin axes because loss, temperature and learning rate live on
 * unrelated scales and a shared axis flattens all but one.
 * Rows without a key (metrics logged at different intervals) are skipped for that key; a
 * non-finite value (a diverged run) is drawn as a visible gap rather than hidden.
 */
export function trainingCurves(rows: ReadonlyArray<MetricRow>, keys: string[], options: TrainingCurvesOptions = {}): FigureSpec {
  const xKey = options.x ?? 'step';
  if (keys.length === 0) throw new Error('trainingCurves: keys is empty; name at least one column to plot');
  const xs = rows.map((row, i) => {
    const x = row[xKey];
    if (x === undefined || !Number.isFinite(x)) {
      throw new Error(`trainingCurves: rows[${i}].${xKey} is ${x}; every row needs a finite '${xKey}'`);
    }
    return x;
  });

  const n = keys.length;
  const gap = n > 1 ? 0.06 : 0;
  const height = (1 - gap * (n - 1)) / n;
  const layout: Record<string, unknown> = {
    title: { text: options.title ?? 'Training curves' },
    showlegend: false,
    height: Math.max(320, 200 * n + 80),
    margin: { l: 70, r: 20, t: 60, b: 50 },
    hovermode: 'x unified',
  };
  const data = keys.map((key, i) => {
    const axis = i === 0 ? '' : String(i + 1);
    // Panel 0 on top: domains counted down from 1.
    const top = 1 - i * (height + gap);
    layout[`yaxis${axis}`] = {
      title: { text: key },
      domain: [Math.max(0, top - height), top],
      type: options.logY?.includes(key) ? 'log' : 'linear',
      anchor: 'x',
      zeroline: false,
    };
    const logged = rows.flatMap((row, r) => (row[key] !== undefined ? [r] : []));
    if (logged.length === 0) throw new Error(`trainingCurves: no row has '${key}'; columns seen: ${columnsOf(rows).join(', ')}`);
    return {
      type: 'scatter',
      mode: 'lines',
      name: key,
      x: logged.map((r) => xs[r]!),
      y: logged.map((r) => {
        const v = rows[r]![key]!;
        return Number.isFinite(v) ? v : null;
      }),
      yaxis: `y${axis}`,
      xaxis: 'x',
      connectgaps: false,
      line: { color: paletteColor(i), width: 1.5 },
    };
  });
  layout.xaxis = { title: { text: xKey }, anchor: n === 1 ? 'y' : `y${n}` };
  return { data, layout };
}

function columnsOf(rows: ReadonlyArray<MetricRow>): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const [k, v] of Object.entries(row)) if (v !== undefined) seen.add(k);
  return [...seen];
}
