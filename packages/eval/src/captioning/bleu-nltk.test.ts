import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bleu } from './bleu.js';

/**
 * Corpus BLEU against an independent implementation: nltk.translate.bleu_score.corpus_bleu
 * (nltk 3.8, Debian's python3-nltk), no smoothing, weights 0.25 x 4 for BLEU-4 and uniform
 * 1/n weights for BLEU-1..3. Written by `/usr/bin/python3 tools/reference/eval_reference.py bleu`
 * (bleu_fixture); the fixture holds the token lists, nltk's scores and its version.
 *
 *   corpus_bleu(references, candidates, weights=[(1,), (1/2,)*2, (1/3,)*3, (1/4,)*4])
 *
 * nltk agrees with bleu.ts on the closest reference length (the shorter on a tie) and on the
 * brevity penalty. It differs in two places, which the cases avoid or allow for:
 *  - nltk's modified_precision floors each sentence's n-gram count at 1, so a candidate with
 *    fewer than n words adds 1 to the order-n denominator where bleu.ts adds 0 (a 3-word
 *    candidate beside longer ones lowers nltk's p_4). Every candidate here has >= 4 words.
 *  - without smoothing nltk replaces a zero precision by sys.float_info.min, giving a BLEU of
 *    about 1e-77 instead of 0 (bleu.ts returns exactly 0, as Papineni et al. define it). The
 *    absolute tolerance covers that; the zero case also checks both sides of the difference.
 */
interface BleuCase {
  name: string;
  candidates: string[][];
  references: string[][][];
  bleu: number;
  bleuN: number[];
  precisions: number[];
  matches: number[];
  totals: number[];
  brevityPenalty: number;
  candidateLength: number;
  referenceLength: number;
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/bleu.json', import.meta.url), 'utf8')) as { nltk: string; cases: BleuCase[] };

/** |a-b| <= abs + rel*|b|; NaN and Infinity never pass. */
function expectClose(actual: number, expected: number, what: string, abs = 1e-9, rel = 0): void {
  expect(Number.isFinite(actual), `${what}: actual ${actual} is not finite`).toBe(true);
  expect(Number.isFinite(expected), `${what}: expected ${expected} is not finite`).toBe(true);
  expect(Math.abs(actual - expected), `${what}: actual ${actual}, nltk ${expected}`).toBeLessThanOrEqual(abs + rel * Math.abs(expected));
}

describe(`bleu against nltk ${fixture.nltk} corpus_bleu`, () => {
  it('the fixture covers the cases the brief asks for', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(6);
    // Several references per candidate, a brevity penalty below 1, a zero BLEU-4.
    expect(fixture.cases.some((c) => c.references.every((r) => r.length >= 3))).toBe(true);
    expect(fixture.cases.some((c) => c.brevityPenalty < 0.9)).toBe(true);
    expect(fixture.cases.some((c) => c.matches[3] === 0 && c.matches[0]! > 0)).toBe(true);
    // The max(1, count) denominator of nltk is never triggered (see the comment above).
    for (const c of fixture.cases) for (const cand of c.candidates) expect(cand.length, c.name).toBeGreaterThanOrEqual(4);
  });

  for (const c of fixture.cases) {
    it(c.name, () => {
      const ours = bleu(c.candidates, c.references);
      expectClose(ours.bleu, c.bleu, 'BLEU-4');
      c.bleuN.forEach((v, n) => expectClose(ours.bleuN[n]!, v, `BLEU-${n + 1}`));
      c.precisions.forEach((p, n) => expectClose(ours.precisions[n]!, p, `p_${n + 1}`));
      expectClose(ours.brevityPenalty, c.brevityPenalty, 'brevity penalty');
      expect(ours.candidateLength).toBe(c.candidateLength);
      expect(ours.referenceLength).toBe(c.referenceLength);
      if (c.matches[3] === 0) {
        // The zero-precision difference: exactly 0 here, nltk's float_info.min stand-in there.
        expect(ours.bleu).toBe(0);
        expect(c.bleu).toBeGreaterThan(0);
        expect(c.bleu).toBeLessThan(1e-70);
      }
    });
  }
});
