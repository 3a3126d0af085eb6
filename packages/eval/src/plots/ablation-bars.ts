import { paletteColor, type FigureSpec } from './figure.js';

/** A value with an optional interval, e.g. an aggregateSeeds or bootstrapCi result. */
export interface IntervalLike {
  mean?: number;
  /** Accepted instead of mean (bootstrapCi calls its point value estimate). */
  estimate?: number;
  lower?: number | undefined;
  upper?: number | undefined;
  n?: number;
}

export interface AblationBarsOptions {
  title?: string;
  yTitle?: string;
  /** A reference value per metric (chance level, exemplar baseline), drawn as a dash over each group. */
  baselines?: Readonly<Record<string, number>>;
  /** Name for the baseline dashes in the legend; default 'baseline'. */
  baselineName?: string;
}

/**
 * Ablation comparison: one group per metric, one bar per configuration (in the order of the
 * `results` keys, so the reader's order is kept), with asymmetric error bars from each
 * value's interval (lower/upper, e.g. a Student-t CI over seeds or a bootstrap CI) and an
 * optional baseline dash per metric. A configuration missing a metric leaves an empty slot.
 */
export function ablationBars(
  results: Readonly<Record<string, Readonly<Record<string, IntervalLike>>>>,
  options: AblationBarsOptions = {},
): FigureSpec {
  const configs = Object.keys(results);
  if (configs.length === 0) throw new Error('ablationBars: results is empty; pass { config: { metric: { mean, lower, upper } } }');
  const metrics = [...new Set(configs.flatMap((c) => Object.keys(results[c]!)))];
  if (metrics.length === 0) throw new Error('ablationBars: no configuration has any metric');

  const data: Array<Record<string, unknown>> = configs.map((config, i) => {
    const values = metrics.map((metric) => {
      const v = results[config]![metric];
      if (v === undefined) return undefined;
      const centre = v.mean ?? v.estimate;
      if (centre === undefined || !Number.isFinite(centre)) {
        throw new Error(`ablationBars: results['${config}']['${metric}'] needs a finite mean (or estimate), received ${centre}`);
      }
      for (const side of ['lower', 'upper'] as const) {
        const bound = v[side];
        if (bound !== undefined && !Number.isFinite(bound)) {
          throw new Error(`ablationBars: results['${config}']['${metric}'].${side} is ${bound}; omit it or make it finite`);
        }
      }
      if ((v.lower !== undefined && v.lower > centre) || (v.upper !== undefined && v.upper < centre)) {
        throw new Error(`ablationBars: results['${config}']['${metric}'] has an interval [${v.lower}, ${v.upper}] that excludes its mean ${centre}`);
      }
      return { centre, lower: v.lower, upper: v.upper, n: v.n };
    });
    return {
      type: 'bar',
      name: config,
      x: metrics,
      y: values.map((v) => v?.centre ?? null),
      marker: { color: paletteColor(i) },
      error_y: {
        type: 'data',
        symmetric: false,
        array: values.map((v) => (v?.upper === undefined ? 0 : v.upper - v.centre)),
        arrayminus: values.map((v) => (v?.lower === undefined ? 0 : v.centre - v.lower)),
        visible: true,
        color: '#222',
        thickness: 1.5,
      },
      customdata: values.map((v) => [v?.lower ?? null, v?.upper ?? null, v?.n ?? null]),
      hovertemplate: `${config.replace(/%\{/g, '%\u200b{')}<br>%{x}: %{y:.4g} [%{customdata[0]:.4g}, %{customdata[1]:.4g}]<extra></extra>`,
    };
  });

  const baselines = options.baselines;
  if (baselines !== undefined && Object.keys(baselines).length > 0) {
    for (const [metric, value] of Object.entries(baselines)) {
      if (!metrics.includes(metric)) throw new Error(`ablationBars: baselines.${metric} names no metric; metrics: ${metrics.join(', ')}`);
      if (!Number.isFinite(value)) throw new Error(`ablationBars: baselines.${metric} is ${value}; it must be finite`);
    }
    data.push({
      type: 'scatter',
      mode: 'markers',
      name: options.baselineName ?? 'baseline',
      x: metrics.filter((m) => baselines[m] !== undefined),
      y: metrics.filter((m) => baselines[m] !== undefined).map((m) => baselines[m]!),
      marker: { symbol: 'line-ew-open', size: 40, color: '#222', line: { width: 2.5, color: '#222' } },
    });
  }
  return {
    data,
    layout: {
      title: { text: options.title ?? 'Ablation: bars = mean, whiskers = interval' },
      barmode: 'group',
      xaxis: { title: { text: 'metric' } },
      yaxis: { title: { text: options.yTitle ?? 'value' } },
      legend: { orientation: 'h', y: -0.2 },
      margin: { l: 70, r: 20, t: 60, b: 90 },
    },
  };
}
