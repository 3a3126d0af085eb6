/** A tokenised caption: lower-cased words, punctuation already removed. */
export type Tokens = readonly string[];

/** Counts of the n-grams of `tokens` of order n, keyed by the words joined with a space. */
export function ngramCounts(tokens: Tokens, n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * A simple caption tokeniser in the spirit of the COCO evaluation's PTB tokeniser: lower-case,
 * punctuation dropped (apostrophes inside words kept), split on whitespace.
 */
export function tokenizeCaption(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s']/gu, ' ')
    .replace(/(^|\s)'+|'+(?=\s|$)/g, ' ')
    .split(/\s+/)
    .filter((t) => t.length > 0);
}

/** Checks that every item has a candidate and at least one reference, and that all are token arrays. */
export function checkCorpus(candidates: readonly Tokens[], references: readonly (readonly Tokens[])[], fn: string): void {
  if (candidates.length !== references.length) {
    throw new Error(`${fn}: ${candidates.length} candidates but ${references.length} reference lists; pass one list per candidate`);
  }
  if (candidates.length === 0) throw new Error(`${fn}: the corpus is empty`);
  candidates.forEach((c, i) => {
    if (!Array.isArray(c)) throw new Error(`${fn}: candidates[${i}] must be an array of tokens (use tokenizeCaption), received ${typeof c}`);
  });
  references.forEach((refs, i) => {
    if (refs.length === 0) throw new Error(`${fn}: references[${i}] is empty; every candidate needs at least one reference`);
    refs.forEach((r, j) => {
      if (!Array.isArray(r)) throw new Error(`${fn}: references[${i}][${j}] must be an array of tokens (use tokenizeCaption), received ${typeof r}`);
    });
  });
}
