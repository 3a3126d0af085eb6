import { describe, expect, it } from 'vitest';
import { bleu } from './bleu.js';
import { ciderD } from './cider.js';
import { tokenizeCaption } from './ngrams.js';

/** |a-b| <= abs + rel*|b|; NaN and Infinity never pass. */
function expectClose(actual: number, expected: number, abs = 1e-12, rel = 1e-12): void {
  expect(Number.isFinite(actual), `actual ${actual} is not finite`).toBe(true);
  expect(Math.abs(actual - expected), `actual ${actual}, expected ${expected}`).toBeLessThanOrEqual(abs + rel * Math.abs(expected));
}

const t = tokenizeCaption;

describe('tokenizeCaption', () => {
  it('lower-cases, drops punctuation, keeps inner apostrophes', () => {
    expect(t('A Cat, sitting on "the" mat.')).toEqual(['a', 'cat', 'sitting', 'on', 'the', 'mat']);
    expect(t("  the dog's ball!  ")).toEqual(['the', "dog's", 'ball']);
    expect(t('')).toEqual([]);
  });
});

describe('bleu', () => {
  it('two-sentence corpus by hand', () => {
    const candidates = [t('the cat sat on the mat'), t('a dog runs in the park')];
    const references = [
      [t('the cat is on the mat'), t('a cat sat on a mat')],
      [t('a dog runs in a park'), t('the dog is in the park')],
    ];
    // Candidate 1 (6 words):
    //   1-grams the x2, cat, sat, on, mat; max ref counts the 2, cat 1, sat 1, on 1, mat 1 -> 6/6
    //   2-grams the cat (r1), cat sat (r2), sat on (r2), on the (r1), the mat (r1)      -> 5/5
    //   3-grams the cat sat, cat sat on (r2), sat on the, on the mat (r1)                -> 2/4
    //   4-grams the cat sat on, cat sat on the, sat on the mat: none in a reference      -> 0/3
    // Candidate 2 (6 words):
    //   1-grams a, dog, runs, in, the, park: all in a reference                          -> 6/6
    //   2-grams a dog, dog runs, runs in (r1), in the, the park (r2)                      -> 5/5
    //   3-grams a dog runs, dog runs in (r1), runs in the (-), in the park (r2)          -> 3/4
    //   4-grams a dog runs in (r1), dog runs in the, runs in the park                    -> 1/3
    // Corpus: p1 = 12/12, p2 = 10/10, p3 = 5/8, p4 = 1/6; c = 12, r = 6 + 6 = 12, BP = 1.
    // BLEU-4 = (1 * 1 * 5/8 * 1/6)^(1/4) = (5/48)^(1/4) = 0.56810...
    const r = bleu(candidates, references);
    expect(r.precisions).toEqual([1, 1, 5 / 8, 1 / 6]);
    expect(r.candidateLength).toBe(12);
    expect(r.referenceLength).toBe(12);
    expect(r.brevityPenalty).toBe(1);
    expectClose(r.bleu, (5 / 48) ** 0.25);
    expectClose(r.bleu, 0.5681, 1e-4, 0);
    // BLEU-3 = (5/8)^(1/3), BLEU-2 = BLEU-1 = 1
    expectClose(r.bleuN[2]!, (5 / 8) ** (1 / 3));
    expect(r.bleuN.slice(0, 2)).toEqual([1, 1]);
  });

  it('brevity penalty and the closest reference length (shorter on a tie)', () => {
    // "the cat" (c = 2) vs references of 3 and 6 words: r = 3, BP = exp(1 - 3/2) = exp(-0.5).
    // p1 = 2/2, p2 = 1/1, p3 = 0/0 -> BLEU-4 = 0, BLEU-2 = exp(-0.5) * 1 = 0.60653...
    const short = bleu([t('the cat')], [[t('the cat sat'), t('the cat sat on the mat')]]);
    expectClose(short.brevityPenalty, Math.exp(-0.5));
    expect(short.bleu).toBe(0);
    expectClose(short.bleuN[1]!, Math.exp(-0.5));
    // c = 4 between references of 3 and 5 words: both at distance 1, the shorter (3) is taken,
    // so c > r and BP = 1; every n-gram of "a b c d" is in "a b c d e", so BLEU-4 = 1.
    // (Taking the longer would give BP = exp(1 - 5/4) = 0.7788.)
    const tie = bleu([t('a b c d')], [[t('a b c'), t('a b c d e')]]);
    expect(tie.referenceLength).toBe(3);
    expect(tie.bleu).toBe(1);
  });

  it('edge cases: identical, no overlap, empty candidate', () => {
    expect(bleu([t('a man rides a horse')], [[t('a dog'), t('a man rides a horse')]]).bleu).toBe(1);
    const none = bleu([t('red blue green yellow')], [[t('one two three four')]]);
    expect(none.bleu).toBe(0);
    expect(none.precisions).toEqual([0, 0, 0, 0]);
    const empty = bleu([[]], [[t('a cat')]]);
    expect(empty.bleu).toBe(0);
    expect(empty.brevityPenalty).toBe(0);
    // An empty candidate beside a real one adds to r only: c = 6, r = 6 + 3, BP = exp(1 - 9/6);
    // precisions from "a dog runs in the park" alone: 1, 1, 3/4, 1/3.
    // BLEU-4 = exp(-0.5) * (1/4)^(1/4) = 0.60653 * 0.70711 = 0.42888...
    const mixed = bleu([t('a dog runs in the park'), []], [[t('a dog runs in a park'), t('the dog is in the park')], [t('a b c')]]);
    expectClose(mixed.bleu, Math.exp(-0.5) * 0.25 ** 0.25);
  });

  it('rejects malformed corpora', () => {
    expect(() => bleu([t('a')], [])).toThrow(/1 candidates but 0 reference lists/);
    expect(() => bleu([t('a')], [[]])).toThrow(/references\[0\] is empty/);
    expect(() => bleu([], [])).toThrow(/corpus is empty/);
    expect(() => bleu(['a cat' as unknown as string[]], [[t('a cat')]])).toThrow(/candidates\[0\] must be an array of tokens/);
    expect(() => bleu([t('a')], [[t('a')]], { maxOrder: 0 })).toThrow(/maxOrder must be an integer >= 1, received 0/);
  });
});

describe('ciderD', () => {
  it('two items by hand, with the length penalty', () => {
    // Two items, so an n-gram in one item's references weighs L = log 2 - log 1 = log 2;
    // "a" is in both items' references -> weight log 2 - log 2 = 0.
    // Item 1, candidate "a cat sat" (l = 2 bigrams):
    //   vs "a cat sat" (l = 2): orders 1-3 cosine 1, order 4 empty -> (1+1+1+0)/4 = 3/4
    //   vs "the cat"   (l = 1): order 1 {cat: L, sat: L} . {the: L, cat: L} = L^2 / (L sqrt2)^2 = 1/2;
    //                  order 2 {a cat, cat sat} vs {the cat}: 0; higher orders empty.
    //                  penalty exp(-(2-1)^2 / 72) -> (1/2) e^(-1/72) / 4 = e^(-1/72) / 8
    //   item 1 = 10 * (3/4 + e^(-1/72)/8) / 2 references = 4.36638...
    // Item 2, candidate "a dog" (l = 1) vs "a dog ran" (l = 2):
    //   order 1 {dog: L} . {dog: L, ran: L} = L^2 / (L * L sqrt2) = 1/sqrt2; order 2 the same;
    //   order 3 empty for the candidate -> 0. penalty e^(-1/72).
    //   item 2 = 10 * e^(-1/72) * (2/sqrt2) / 4 = 10 e^(-1/72) sqrt2 / 4 = 3.48677...
    // CIDEr-D = (4.36638 + 3.48677) / 2 = 3.92657...
    const r = ciderD([t('a cat sat'), t('a dog')], [[t('a cat sat'), t('the cat')], [t('a dog ran')]]);
    const pen = Math.exp(-1 / 72);
    const item1 = (10 * (3 / 4 + pen / 8)) / 2;
    const item2 = (10 * pen * Math.SQRT2) / 4;
    expectClose(r.perItem[0]!, item1);
    expectClose(r.perItem[1]!, item2);
    expectClose(r.score, (item1 + item2) / 2);
    expectClose(r.score, 3.9266, 1e-4, 0);
  });

  it('clips repeated words (the "-D")', () => {
    // Item 1: candidate "cat cat" vs reference "a cat".
    //   order 1: candidate {cat: 2L}, norm 2L; reference {a: 0, cat: L}, norm L.
    //            clipped: min(2L, L) * L = L^2 -> L^2 / (2L * L) = 1/2 (unclipped would be 1)
    //   order 2: "cat cat" is in no reference (weight L) but absent from "a cat" -> 0
    //   item 1 = 10 * (1/2) / 4 = 1.25 ; item 2 "a dog" = "a dog": orders 1-2 give 1 -> 10 * 2/4 = 5
    const r = ciderD([t('cat cat'), t('a dog')], [[t('a cat')], [t('a dog')]]);
    expectClose(r.perItem[0]!, 1.25);
    expectClose(r.perItem[1]!, 5);
  });

  it('edge cases: identical, no overlap, empty candidate, single item', () => {
    // Every n-gram but "a" is unique to its item, so all four orders have non-zero norms and
    // identical captions give cosine 1 at each order, no length penalty: 10.
    const same = ciderD([t('a cat sat down'), t('a dog ran off')], [[t('a cat sat down')], [t('a dog ran off')]]);
    expectClose(same.score, 10);
    const none = ciderD([t('red blue'), t('green yellow')], [[t('one two')], [t('three four')]]);
    expect(none.score).toBe(0);
    const empty = ciderD([[], t('a dog')], [[t('a cat')], [t('a dog')]]);
    expect(empty.perItem[0]).toBe(0);
    // One item: N = 1, so every idf weight is log 1 - log 1 = 0 and the score is 0 (as in the COCO code).
    expect(ciderD([t('a cat sat down')], [[t('a cat sat down')]]).score).toBe(0);
  });

  it('rejects malformed corpora and options', () => {
    expect(() => ciderD([t('a')], [[]])).toThrow(/ciderD: references\[0\] is empty/);
    expect(() => ciderD([t('a')], [[t('a')]], { sigma: 0 })).toThrow(/sigma must be a finite number > 0, received 0/);
  });
});
