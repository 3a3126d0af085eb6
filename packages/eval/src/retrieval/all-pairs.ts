import type * as tf from '@tensorflow/tfjs-core';
import { rankRetrieval, type RankRetrievalOptions, type RetrievalResult } from './rank-retrieval.js';

export interface RetrievalAllPairsOptions extends RankRetrievalOptions {
  /**
   * Which modality pairs to score; default 'all' (every unordered pair of the keys). Each pair
   * is scored in both directions, so [image, text] and [text, image] mean the same.
   */
  pairs?: 'all' | Array<[string, string]>;
}

/** Results keyed "query->gallery" ("image->text"), keys in sorted order. */
export type RetrievalAllPairsOutput = Record<string, RetrievalResult & { map: number }>;

/**
 * Cross-modal retrieval in both directions for every modality pair of paired data: row i of
 * every modality is the same item, so query i's only positive is gallery row i (one caption
 * per image; for several positives per query call rankRetrieval with its `positives`).
 * Embeddings are L2-normalised already, as rankRetrieval expects. Keys are walked in sorted
 * order, so the output does not depend on the order the record was built in.
 */
export function retrievalAllPairs(embeddings: Record<string, tf.Tensor2D>, options: RetrievalAllPairsOptions = {}): RetrievalAllPairsOutput {
  const { pairs = 'all', ...rankOptions } = options;
  const names = Object.keys(embeddings).sort();
  const directions = new Set<string>();
  if (pairs === 'all') {
    if (names.length < 2) throw new Error(`retrievalAllPairs: need at least 2 modalities, received ${names.length} (${names.join(', ') || 'none'})`);
    for (const a of names) for (const b of names) if (a !== b) directions.add(`${a}->${b}`);
  } else {
    if (!Array.isArray(pairs) || pairs.length === 0) throw new Error(`retrievalAllPairs: pairs must be 'all' or a non-empty array of [a, b], received ${JSON.stringify(pairs)}`);
    pairs.forEach((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw new Error(`retrievalAllPairs: pairs[${i}] must be [a, b], received ${JSON.stringify(pair)}`);
      const [a, b] = pair;
      for (const m of [a, b]) {
        if (!Object.hasOwn(embeddings, m)) throw new Error(`retrievalAllPairs: unknown modality '${m}' in pairs[${i}]. Present: ${names.join(', ')}`);
      }
      if (a === b) throw new Error(`retrievalAllPairs: pairs[${i}] pairs '${a}' with itself; name two different modalities`);
      directions.add(`${a}->${b}`).add(`${b}->${a}`);
    });
  }
  const used = names.filter((m) => [...directions].some((d) => d.startsWith(`${m}->`)));
  checkPaired(embeddings, used);

  const identity = Array.from({ length: embeddings[used[0]!]!.shape[0] }, (_, i) => [i]);
  const out: RetrievalAllPairsOutput = {};
  for (const key of [...directions].sort()) {
    const [query, gallery] = key.split('->') as [string, string];
    try {
      out[key] = rankRetrieval(embeddings[query]!, embeddings[gallery]!, identity, rankOptions);
    } catch (err) {
      throw new Error(`retrievalAllPairs '${key}': ${(err as Error).message}`, { cause: err });
    }
  }
  return out;
}

/** Every used modality is a rank-2 tensor with the same number of rows (paired data). */
function checkPaired(embeddings: Record<string, tf.Tensor2D>, used: string[]): void {
  for (const m of used) {
    const t = embeddings[m]!;
    if (t.rank !== 2) throw new Error(`retrievalAllPairs: embeddings.${m} must be [n, d], received shape [${t.shape}]`);
  }
  // The most common row count is the reference (ties: the largest), so the message names the odd ones out.
  const counts = new Map<number, number>();
  for (const m of used) counts.set(embeddings[m]!.shape[0], (counts.get(embeddings[m]!.shape[0]) ?? 0) + 1);
  const [expected] = [...counts].sort((x, y) => y[1] - x[1] || y[0] - x[0])[0]!;
  const off = used.filter((m) => embeddings[m]!.shape[0] !== expected);
  if (off.length > 0) {
    const agree = used.filter((m) => !off.includes(m));
    throw new Error(
      `retrievalAllPairs: modalities must be paired row for row (row i is the same item), but ` +
        `${off.map((m) => `${m} has ${embeddings[m]!.shape[0]} rows`).join(', ')} where ${agree.join(', ')} ${agree.length === 1 ? 'has' : 'have'} ${expected}`,
    );
  }
}
