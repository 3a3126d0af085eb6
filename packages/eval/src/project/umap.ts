import { Rng } from '@modalab/core';
import { UMAP } from 'umap-js';
import { toMatrix, type MatrixInput } from '../linalg/matrix.js';

export interface UmapOptions {
  /** Seed of every random choice umap-js makes (RP trees, NN-descent, initial layout, negative samples); required so a plot can be reproduced. */
  seed: number;
  /** Output dimensions; default 2 (a scatter plot). */
  components?: number;
  /** Size of the local neighbourhood; default 15 (umap-learn's default). Must be < n. */
  nNeighbors?: number;
  /** Minimum distance between embedded points; default 0.1 (umap-learn's default). In [0, 1] (spread is 1). */
  minDist?: number;
  /** Optimisation epochs; default umap-js's own choice (500 for up to 10k points, 200 above). */
  epochs?: number;
}

export interface UmapOutput {
  /** The layout, [n, components]. */
  embedding: number[][];
}

/**
 * UMAP (McInnes, Healy & Melville 2018, arXiv:1802.03426) through umap-js 1.4.0: a fuzzy
 * k-nearest-neighbour graph of `x` (Euclidean), then a layout in `components` dimensions
 * optimised by SGD with negative sampling.
 *
 * umap-js draws from Math.random unless given a `random` function; here it is `new Rng(seed)`
 * from @modalab/core, so equal seeds give equal layouts and nothing reads a hidden global.
 * Input is read once into float64 rows (a tensor is not disposed).
 */
export function umap(x: MatrixInput, options: UmapOptions): UmapOutput {
  const m = toMatrix(x, 'x');
  const n = m.rows;
  const components = options.components ?? 2;
  const nNeighbors = options.nNeighbors ?? 15;
  const minDist = options.minDist ?? 0.1;
  const { seed, epochs } = options;
  if (!Number.isFinite(seed)) throw new Error(`umap: seed must be a finite number, received ${seed}`);
  if (!Number.isInteger(components) || components < 1) throw new Error(`umap: components must be an integer >= 1, received ${components}`);
  if (!Number.isInteger(nNeighbors) || nNeighbors < 2) throw new Error(`umap: nNeighbors must be an integer >= 2, received ${nNeighbors}`);
  if (!(minDist >= 0 && minDist <= 1)) throw new Error(`umap: minDist must be in [0, 1] (spread is 1), received ${minDist}`);
  if (epochs !== undefined && (!Number.isInteger(epochs) || epochs < 1)) throw new Error(`umap: epochs must be an integer >= 1, received ${epochs}`);
  if (n <= nNeighbors) {
    throw new Error(`umap: need more points than nNeighbors, received ${n} points with nNeighbors ${nNeighbors}; lower nNeighbors below ${n} or add points`);
  }

  const rows = Array.from({ length: n }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  const rng = new Rng(seed);
  const model = new UMAP({
    nComponents: components,
    nNeighbors,
    minDist,
    // 0 is umap-js's "choose by size"; explicit undefined would also mean that.
    nEpochs: epochs ?? 0,
    random: () => rng.next(),
  });
  const embedding = model.fit(rows).map((row) => Array.from(row));
  return { embedding };
}
