import { checkCorpus, ngramCounts, type Tokens } from './ngrams.js';

export interface CiderDOptions {
  /** Std of the Gaussian length penalty, in words; default 6 as in the paper and the COCO code. */
  sigma?: number;
  /** Highest n-gram order; default 4. */
  maxOrder?: number;
}

export interface CiderDOutput {
  /** Corpus CIDEr-D: the mean of the per-item scores. */
  score: number;
  /** CIDEr-D of each candidate against its references. */
  perItem: Float64Array;
}

/**
 * CIDEr-D (Vedantam et al. 2015, sec. 3 and 5.1), following the COCO caption evaluation
 * code (pycocoevalcap/cider/cider_scorer.py):
 *
 * - each sentence becomes, per order n = 1..4, a vector of TF-IDF weights
 *   g(w) = count(w) * (log N - log max(1, df(w))), where N is the number of items (images)
 *   and df(w) the number of items whose references contain n-gram w. (So with one item
 *   every weight is 0 and the score is 0: CIDEr needs a corpus.)
 * - per reference s and order n, with clipping of the candidate weights (the "-D"):
 *     sim_n = sum_w min(g_c(w), g_s(w)) * g_s(w) / (|g_c| |g_s|)  (0 if either norm is 0)
 *           * exp(-(l_c - l_s)^2 / (2 sigma^2)),
 *   l the sentence length counted as in the COCO code (number of bigrams, i.e. words - 1 for
 *   a non-empty sentence, so differences equal word-length differences);
 * - item score = 10 * mean over n of the mean over references of sim_n.
 *
 * The COCO code takes references tokenised by the PTB tokeniser; pass tokens already
 * lower-cased and stripped of punctuation (tokenizeCaption does a simple version).
 */
export function ciderD(candidates: readonly Tokens[], references: readonly (readonly Tokens[])[], options: CiderDOptions = {}): CiderDOutput {
  checkCorpus(candidates, references, 'ciderD');
  const sigma = options.sigma ?? 6;
  const maxOrder = options.maxOrder ?? 4;
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new Error(`ciderD: sigma must be a finite number > 0, received ${sigma}`);
  if (!Number.isInteger(maxOrder) || maxOrder < 1) throw new Error(`ciderD: maxOrder must be an integer >= 1, received ${maxOrder}`);

  // 1. Document frequency of each n-gram over the items' reference sets.
  const df = new Map<string, number>();
  for (const refs of references) {
    const seen = new Set<string>();
    for (const ref of refs) for (let n = 1; n <= maxOrder; n++) for (const g of ngramCounts(ref, n).keys()) seen.add(g);
    for (const g of seen) df.set(g, (df.get(g) ?? 0) + 1);
  }
  const logN = Math.log(references.length);
  const vectorize = (tokens: Tokens): TfIdf => {
    const vec: Map<string, number>[] = [];
    const norm: number[] = [];
    for (let n = 1; n <= maxOrder; n++) {
      const v = new Map<string, number>();
      let sq = 0;
      for (const [g, k] of ngramCounts(tokens, n)) {
        const w = k * (logN - Math.log(Math.max(1, df.get(g) ?? 0)));
        v.set(g, w);
        sq += w * w;
      }
      vec.push(v);
      norm.push(Math.sqrt(sq));
    }
    return { vec, norm, length: Math.max(0, tokens.length - 1) };
  };

  // 2. Clipped cosine per order, with the Gaussian length penalty, averaged.
  const perItem = new Float64Array(candidates.length);
  candidates.forEach((cand, i) => {
    const c = vectorize(cand);
    const refs = references[i]!;
    let total = 0;
    for (const ref of refs) {
      const s = vectorize(ref);
      const delta = c.length - s.length;
      const penalty = Math.exp(-(delta * delta) / (2 * sigma * sigma));
      let sum = 0;
      for (let n = 0; n < maxOrder; n++) {
        if (c.norm[n]! === 0 || s.norm[n]! === 0) continue;
        let dot = 0;
        for (const [g, wc] of c.vec[n]!) {
          const ws = s.vec[n]!.get(g) ?? 0;
          dot += Math.min(wc, ws) * ws;
        }
        sum += (dot / (c.norm[n]! * s.norm[n]!)) * penalty;
      }
      total += sum / maxOrder;
    }
    perItem[i] = (10 * total) / refs.length;
  });
  let score = 0;
  for (const v of perItem) score += v / perItem.length;
  return { score, perItem };
}

interface TfIdf {
  vec: Map<string, number>[];
  norm: number[];
  length: number;
}
