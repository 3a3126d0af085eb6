/**
 * What `pnpm bench` measures, in one object that both sides read: the tfjs benches here and,
 * with --vs-torch, tools/reference/clip_mini.py and retrieval_bench.py (handed this plan as a
 * JSON file), so every row is the same model, shape and batch on both sides.
 */

export interface ClipMiniPlan {
  name: string;
  batch: number;
  /** Untimed steps first: the first calls compile kernels and grow the heap. */
  warmup: number;
  /** Timed steps; a row is the batch over the median step time. */
  steps: number;
  image: { size: number; patch: number; width: number; depth: number; heads: number };
  text: { vocab: number; context: number; width: number; depth: number; heads: number };
  mlpRatio: number;
  embedDim: number;
  lr: number;
  weightDecay: number;
}

export interface MatmulPlan {
  bench: string;
  size: number;
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
  /** Repeat for at least this long (and at least twice) after one warm-up call. */
  minMs: number;
}

export interface RetrievalPlan {
  bench: string;
  gallery: number;
  dim: number;
  queries: number;
  k: number;
  /** Gallery rows per similarity block: bounds the [queries, chunk] scores in memory. */
  chunk: number;
  repeats: number;
}

export interface BenchPlan {
  quick: boolean;
  /** Threads for the torch side; null: every CPU the process may use. */
  threads: number | null;
  clip: ClipMiniPlan;
  matmul: MatmulPlan[];
  retrieval: RetrievalPlan;
}

/** Square products of size n, plain and transposed, and an attention-shaped batched Q K^T. */
export function matmulPlans(sizes: number[], minMs: number): MatmulPlan[] {
  return sizes.flatMap((n) => [
    { bench: `matmul ${n} plain`, size: n, a: [n, n], b: [n, n], transposeA: false, transposeB: false, minMs },
    { bench: `matmul ${n} transposed (A^T B^T)`, size: n, a: [n, n], b: [n, n], transposeA: true, transposeB: true, minMs },
    { bench: `matmul ${n} batched ${n / 8}x[64,${n / 8}] (Q K^T)`, size: n, a: [n / 8, 64, n / 8], b: [n / 8, 64, n / 8], transposeA: false, transposeB: true, minMs },
  ]);
}

/**
 * The clip-mini: ViT on 64x64x3, patch 8, width 128, 4 pre-LN blocks, 4 heads, MLP 4x
 * tanh-GELU; causal text transformer, vocab 1000, context 16, width 128, 4 layers, 4 heads;
 * 128-d bias-free projections; InfoNCE with a learnable scale; AdamW 1e-4, decay 0.1; batch 64.
 */
export const CLIP_MINI: ClipMiniPlan = {
  name: 'clip-mini',
  batch: 64,
  warmup: 2,
  steps: 7,
  image: { size: 64, patch: 8, width: 128, depth: 4, heads: 4 },
  text: { vocab: 1000, context: 16, width: 128, depth: 4, heads: 4 },
  mlpRatio: 4,
  embedDim: 128,
  lr: 1e-4,
  weightDecay: 0.1,
};

export function benchPlan(quick: boolean): BenchPlan {
  if (!quick) {
    return {
      quick,
      threads: null,
      clip: CLIP_MINI,
      matmul: matmulPlans([256, 512, 1024, 2048], 400),
      retrieval: { bench: 'retrieval top-10 (100000x256, 1000 queries)', gallery: 100_000, dim: 256, queries: 1000, k: 10, chunk: 8192, repeats: 3 },
    };
  }
  // CI: the same code paths at toy sizes, a few seconds per kernel path.
  return {
    quick,
    threads: null,
    clip: {
      ...CLIP_MINI,
      batch: 8,
      warmup: 1,
      steps: 2,
      image: { size: 16, patch: 8, width: 32, depth: 1, heads: 4 },
      text: { vocab: 1000, context: 8, width: 32, depth: 1, heads: 4 },
      embedDim: 32,
    },
    matmul: matmulPlans([256], 50),
    retrieval: { bench: 'retrieval top-10 (4000x64, 50 queries)', gallery: 4000, dim: 64, queries: 50, k: 10, chunk: 1024, repeats: 2 },
  };
}
