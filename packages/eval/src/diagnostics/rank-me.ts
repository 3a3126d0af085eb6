import { singularValues } from '../linalg/singular-values.js';
import type { EmbeddingInput } from './sphere.js';

export interface RankMeOptions {
  /** ε added to each normalised singular value, as in the paper (1e-7), so log 0 never occurs. */
  epsilon?: number;
}

export interface RankMeOutput {
  /** exp(entropy) of the normalised singular values: between 1 and min(n, d). */
  rankMe: number;
  /** Singular values of the embedding matrix, descending. */
  singularValues: number[];
}

/**
 * Effective rank RankMe (Garrido, Balestriero, Najman & LeCun 2023, "RankMe: Assessing the
 * Downstream Performance of Pretrained Self-Supervised Representations by Their Rank", ICML,
 * eq. 1; after Roy & Vetterli 2007): for the [n, d] embedding matrix Z with singular values
 * σ_1..σ_m, m = min(n, d),
 *   p_k = σ_k / ||σ||_1 + ε,   RankMe(Z) = exp( -Σ_k p_k log p_k ).
 * The embeddings are used as given (no centring, no normalisation), as in the paper. The
 * singular values come from the eigenvalues of the smaller Gram matrix (see singularValues),
 * so the cost is O(n d min(n, d)) plus the Jacobi solve on min(n, d)². A matrix of k equal
 * nonzero singular values scores k; an isotropic Gaussian sample in d dims scores close to d.
 */
export function rankMe(x: EmbeddingInput, options: RankMeOptions = {}): RankMeOutput {
  const epsilon = options.epsilon ?? 1e-7;
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) throw new Error(`rankMe: epsilon must be >= 0, received ${epsilon}`);
  const s = singularValues(x, 'rankMe: x');
  let l1 = 0;
  for (const v of s) l1 += v;
  if (l1 === 0) throw new Error('rankMe: x is all zeros; its effective rank is undefined');
  let entropy = 0;
  for (const v of s) {
    const p = v / l1 + epsilon;
    if (p > 0) entropy -= p * Math.log(p); // 0 log 0 = 0 (only reachable with epsilon = 0)
  }
  return { rankMe: Math.exp(entropy), singularValues: Array.from(s) };
}
