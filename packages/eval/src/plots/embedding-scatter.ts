import { paletteColor, type FigureSpec } from './figure.js';

export interface EmbeddingScatterOptions {
  title?: string;
  /** Axis titles, e.g. from a PCA: ['PC1 (41.2%)', 'PC2 (17.9%)']. Default ['dim 1', 'dim 2']. */
  axisTitles?: [string, string];
  /**
   * Join row i of each modality to row i of the next one (in sorted key order) with a thin
   * grey line, showing pairs across the gap. Default: on when every modality has the same
   * number of points.
   */
  pairs?: boolean;
  /** Draw at most this many pair lines (the first ones); default 300, beyond which lines hide the points. */
  maxPairLines?: number;
  /** Hover text per point, per modality (e.g. captions or class names). */
  labels?: Readonly<Record<string, ReadonlyArray<string>>>;
}

/**
 * 2-D embeddings (e.g. pca(...).projected of the stacked modalities, split back per modality)
 * as a scatter coloured by modality, keys in sorted order, optionally with lines joining
 * paired rows: the picture of the modality gap in Liang et al. 2022, Fig. 1. Equal axis
 * scales (scaleanchor) so distances on screen are distances in the projection.
 */
export function embeddingScatter(points: Readonly<Record<string, ReadonlyArray<ReadonlyArray<number>>>>, options: EmbeddingScatterOptions = {}): FigureSpec {
  const names = Object.keys(points).sort();
  if (names.length === 0) throw new Error('embeddingScatter: points is empty; pass e.g. { image: [[x, y], ...], text: [...] }');
  for (const name of names) {
    points[name]!.forEach((p, i) => {
      if (p.length !== 2) throw new Error(`embeddingScatter: points.${name}[${i}] has ${p.length} coordinates; project to 2-D first (e.g. pca)`);
    });
    const labels = options.labels?.[name];
    if (labels !== undefined && labels.length !== points[name]!.length) {
      throw new Error(`embeddingScatter: labels.${name} has ${labels.length} entries but points.${name} has ${points[name]!.length}`);
    }
  }
  const counts = names.map((name) => points[name]!.length);
  const sameCount = counts.every((c) => c === counts[0]);
  const drawPairs = options.pairs ?? (names.length > 1 && sameCount);
  if (drawPairs && !sameCount) {
    throw new Error(`embeddingScatter: pairs needs the same number of points per modality, received ${names.map((n, i) => `${n}: ${counts[i]}`).join(', ')}`);
  }
  const maxLines = options.maxPairLines ?? 300;

  const data: Array<Record<string, unknown>> = [];
  if (drawPairs) {
    // One trace for all lines: segments separated by nulls (cheap to draw, one legend entry).
    const x: Array<number | null> = [];
    const y: Array<number | null> = [];
    const lines = Math.min(maxLines, counts[0] ?? 0);
    for (let m = 0; m + 1 < names.length; m++) {
      const from = points[names[m]!]!;
      const to = points[names[m + 1]!]!;
      for (let i = 0; i < lines; i++) {
        x.push(from[i]![0]!, to[i]![0]!, null);
        y.push(from[i]![1]!, to[i]![1]!, null);
      }
    }
    data.push({
      type: 'scatter',
      mode: 'lines',
      name: lines < (counts[0] ?? 0) ? `pairs (first ${lines})` : 'pairs',
      x,
      y,
      line: { color: 'rgba(120,120,120,0.35)', width: 1 },
      hoverinfo: 'skip',
    });
  }
  names.forEach((name, i) => {
    const pts = points[name]!;
    const labels = options.labels?.[name];
    data.push({
      type: 'scatter',
      mode: 'markers',
      name: `${name} (n=${pts.length})`,
      x: pts.map((p) => p[0]!),
      y: pts.map((p) => p[1]!),
      marker: { color: paletteColor(i), size: 6, opacity: 0.8 },
      ...(labels === undefined ? {} : { text: [...labels], hovertemplate: `${name}: %{text}<extra></extra>` }),
    });
  });
  const [xTitle, yTitle] = options.axisTitles ?? ['dim 1', 'dim 2'];
  return {
    data,
    layout: {
      title: { text: options.title ?? 'Embeddings by modality' },
      xaxis: { title: { text: xTitle }, zeroline: false },
      yaxis: { title: { text: yTitle }, zeroline: false, scaleanchor: 'x', scaleratio: 1 },
      legend: { orientation: 'h', y: -0.15 },
      margin: { l: 60, r: 20, t: 60, b: 80 },
    },
  };
}
