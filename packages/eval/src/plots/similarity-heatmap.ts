import type { FigureSpec } from './figure.js';

/** ColorBrewer RdBu (white at 0, red high): plotly's built-in 'RdBu' has a grey middle. */
const DIVERGING = [
  [0, '#2166ac'],
  [0.25, '#92c5de'],
  [0.5, '#f7f7f7'],
  [0.75, '#f4a582'],
  [1, '#b2182b'],
];

/**
 * A similarity matrix as a heatmap, rows on y (first row at the top), columns on x, with a
 * diverging scale centred on 0 so positive and negative cosine read differently.
 * Plotly merges repeated category labels into one cell, so repeats get a ' #2' suffix.
 */
export function similarityHeatmap(matrix: number[][], rowLabels: string[], colLabels: string[], title: string): FigureSpec {
  if (matrix.length !== rowLabels.length) {
    throw new Error(`similarityHeatmap: matrix has ${matrix.length} rows but rowLabels has ${rowLabels.length}`);
  }
  matrix.forEach((row, i) => {
    if (row.length !== colLabels.length) {
      throw new Error(`similarityHeatmap: matrix[${i}] has ${row.length} columns but colLabels has ${colLabels.length}`);
    }
  });
  const rows = uniqueLabels(rowLabels);
  const cols = uniqueLabels(colLabels);
  const side = (count: number): number => Math.min(900, Math.max(300, 18 * count + 160));
  return {
    data: [
      {
        type: 'heatmap',
        z: matrix.map((row) => row.map((v) => (Number.isFinite(v) ? v : null))),
        x: cols,
        y: rows,
        colorscale: DIVERGING,
        zmid: 0,
        colorbar: { title: { text: 'similarity' } },
        hovertemplate: 'row %{y}<br>col %{x}<br>%{z:.3f}<extra></extra>',
      },
    ],
    layout: {
      title: { text: title },
      xaxis: { type: 'category', tickangle: -45, automargin: true },
      yaxis: { type: 'category', autorange: 'reversed', automargin: true },
      width: side(cols.length) + 120,
      height: side(rows.length),
      margin: { t: 60 },
    },
  };
}

function uniqueLabels(labels: string[]): string[] {
  const used = new Set<string>();
  return labels.map((label) => {
    let unique = label;
    for (let n = 2; used.has(unique); n++) unique = `${label} #${n}`;
    used.add(unique);
    return unique;
  });
}
