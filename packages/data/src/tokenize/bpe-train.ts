import { PairHeap } from './pair-heap.js';

/** Pair keys pack two ids in one number; ids stay below 2^20, so keys stay exact doubles. */
export const MAX_VOCAB = 1 << 20;
export const pairKey = (a: number, b: number): number => a * MAX_VOCAB + b;

/**
 * Learns up to `numMerges` merges from words given as token-id sequences with their frequencies.
 * Each step merges the most frequent adjacent pair (ties: the smaller pair key), updating only the words
 * that contain it; stops early when the best pair occurs fewer than `minFrequency` times.
 * New ids are `firstId + mergeIndex`.
 */
export function learnMerges(
  words: number[][],
  freqs: number[],
  numMerges: number,
  minFrequency: number,
  firstId: number,
): Array<[number, number]> {
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const add = (key: number, w: number, delta: number): void => {
    pairCount.set(key, (pairCount.get(key) ?? 0) + delta);
    if (delta > 0) {
      let set = pairWords.get(key);
      if (set === undefined) pairWords.set(key, (set = new Set()));
      set.add(w);
    }
  };
  words.forEach((word, w) => {
    const f = freqs[w] as number;
    for (let i = 0; i + 1 < word.length; i++) add(pairKey(word[i] as number, word[i + 1] as number), w, f);
  });
  const heap = new PairHeap();
  for (const [key, count] of pairCount) heap.push(count, key);

  const merges: Array<[number, number]> = [];
  while (merges.length < numMerges) {
    const top = heap.pop();
    if (top === undefined || top.count < minFrequency) break;
    if (pairCount.get(top.key) !== top.count) continue; // stale entry
    const a = Math.floor(top.key / MAX_VOCAB);
    const b = top.key % MAX_VOCAB;
    const id = firstId + merges.length;
    merges.push([a, b]);

    const touched = new Set<number>();
    for (const w of pairWords.get(top.key) ?? []) {
      const word = words[w] as number[];
      const f = freqs[w] as number;
      for (let i = 0; i + 1 < word.length; i++) {
        const k = pairKey(word[i] as number, word[i + 1] as number);
        add(k, w, -f);
        touched.add(k);
      }
      const merged = mergePair(word, a, b, id);
      words[w] = merged;
      for (let i = 0; i + 1 < merged.length; i++) {
        const k = pairKey(merged[i] as number, merged[i + 1] as number);
        add(k, w, f);
        touched.add(k);
      }
    }
    pairWords.delete(top.key);
    pairCount.delete(top.key);
    touched.delete(top.key);
    for (const k of touched) {
      const count = pairCount.get(k) as number;
      if (count > 0) heap.push(count, k);
      else pairCount.delete(k);
    }
  }
  return merges;
}

/** Replaces every non-overlapping (a, b), left to right, by `id`. */
export function mergePair(word: readonly number[], a: number, b: number, id: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < word.length; i++) {
    if (word[i] === a && word[i + 1] === b && i + 1 < word.length) {
      out.push(id);
      i++;
    } else {
      out.push(word[i] as number);
    }
  }
  return out;
}
