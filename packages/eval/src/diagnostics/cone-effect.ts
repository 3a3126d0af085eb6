import { unitRows, type EmbeddingInput } from './sphere.js';

/**
 * Cone effect (Liang et al. 2022, sec. 3): the mean cosine similarity over all ordered pairs
 * of distinct embeddings of one modality,
 *   cone = (1 / (n(n-1))) Σ_{i≠j} cos(x_i, x_j).
 * Near 0 for directions spread over the sphere, near 1 when they crowd into a narrow cone
 * (CLIP's image and text embeddings sit around 0.5). Computed in O(nd) from the sum of the
 * unit rows: Σ_{i≠j} u_i·u_j = ||Σ_i u_i||² - Σ_i ||u_i||².
 */
export function coneEffect(x: EmbeddingInput): number {
  const u = unitRows(x, 'coneEffect: x');
  if (u.rows < 2) throw new Error(`coneEffect: needs at least 2 embeddings, received ${u.rows}`);
  const sum = new Float64Array(u.cols);
  let selfDots = 0;
  for (let i = 0; i < u.rows; i++) {
    for (let j = 0; j < u.cols; j++) {
      const v = u.data[i * u.cols + j]!;
      sum[j]! += v;
      selfDots += v * v;
    }
  }
  let sq = 0;
  for (let j = 0; j < u.cols; j++) sq += sum[j]! ** 2;
  return (sq - selfDots) / (u.rows * (u.rows - 1));
}
