import { checkCorpus, ngramCounts, type Tokens } from './ngrams.js';

export interface BleuOptions {
  /** Highest n-gram order; default 4 (BLEU-4). */
  maxOrder?: number;
}

export interface BleuOutput {
  /** Corpus BLEU with maxOrder (BLEU-4 by default). */
  bleu: number;
  /** Cumulative BLEU-1 .. BLEU-maxOrder (each with the brevity penalty), as COCO reports Bleu_1..4. */
  bleuN: number[];
  /** Modified (clipped) n-gram precisions p_1 .. p_maxOrder over the corpus; 0 when there are no candidate n-grams. */
  precisions: number[];
  brevityPenalty: number;
  /** Total candidate length c and effective reference length r. */
  candidateLength: number;
  referenceLength: number;
}

/**
 * Corpus-level BLEU (Papineni et al. 2002):
 *
 *   p_n = sum over candidates of clipped n-gram matches / sum of candidate n-grams,
 *         where a candidate n-gram's count is clipped to its largest count in any one reference;
 *   BP  = 1 if c > r else exp(1 - r/c), c = total candidate length, r = sum over candidates of
 *         the reference length closest to the candidate's (the shorter on a tie, as in the
 *         COCO caption evaluation and NLTK);
 *   BLEU-N = BP * exp(sum_{n<=N} (1/N) log p_n).
 *
 * No smoothing: if some p_n is 0 (including 0/0, e.g. every candidate shorter than n words)
 * BLEU-N is 0, where COCO's scorer returns a value ~1e-9 instead. An empty candidate adds to
 * r but not to c.
 */
export function bleu(candidates: readonly Tokens[], references: readonly (readonly Tokens[])[], options: BleuOptions = {}): BleuOutput {
  checkCorpus(candidates, references, 'bleu');
  const maxOrder = options.maxOrder ?? 4;
  if (!Number.isInteger(maxOrder) || maxOrder < 1) throw new Error(`bleu: maxOrder must be an integer >= 1, received ${maxOrder}`);
  const matches = new Array<number>(maxOrder).fill(0);
  const totals = new Array<number>(maxOrder).fill(0);
  let c = 0;
  let r = 0;
  candidates.forEach((cand, i) => {
    const refs = references[i]!;
    c += cand.length;
    r += closestLength(cand.length, refs);
    for (let n = 1; n <= maxOrder; n++) {
      const maxRef = new Map<string, number>();
      for (const ref of refs) for (const [g, k] of ngramCounts(ref, n)) maxRef.set(g, Math.max(maxRef.get(g) ?? 0, k));
      for (const [g, k] of ngramCounts(cand, n)) {
        matches[n - 1]! += Math.min(k, maxRef.get(g) ?? 0);
        totals[n - 1]! += k;
      }
    }
  });
  const precisions = matches.map((m, n) => (totals[n]! > 0 ? m / totals[n]! : 0));
  const brevityPenalty = c === 0 ? 0 : c > r ? 1 : Math.exp(1 - r / c);
  const bleuN: number[] = [];
  let logSum = 0;
  for (let n = 1; n <= maxOrder; n++) {
    const p = precisions[n - 1]!;
    logSum += p > 0 ? Math.log(p) : Number.NEGATIVE_INFINITY;
    bleuN.push(logSum === Number.NEGATIVE_INFINITY ? 0 : brevityPenalty * Math.exp(logSum / n));
  }
  return { bleu: bleuN[maxOrder - 1]!, bleuN, precisions, brevityPenalty, candidateLength: c, referenceLength: r };
}

/** The reference length closest to `length`, the shorter on a tie. */
function closestLength(length: number, refs: readonly Tokens[]): number {
  let best = refs[0]!.length;
  for (const ref of refs) {
    const d = Math.abs(ref.length - length);
    const bestD = Math.abs(best - length);
    if (d < bestD || (d === bestD && ref.length < best)) best = ref.length;
  }
  return best;
}
