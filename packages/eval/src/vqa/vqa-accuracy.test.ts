import { describe, expect, it } from 'vitest';
import { normalizeVqaAnswer, vqaAccuracy } from './vqa-accuracy.js';

/** |a-b| <= abs + rel*|b|; NaN and Infinity never pass. */
function expectClose(actual: number, expected: number, abs = 1e-12, rel = 1e-12): void {
  expect(Number.isFinite(actual), `actual ${actual} is not finite`).toBe(true);
  expect(Math.abs(actual - expected), `actual ${actual}, expected ${expected}`).toBeLessThanOrEqual(abs + rel * Math.abs(expected));
}

describe('normalizeVqaAnswer', () => {
  it('lower-cases, drops articles and punctuation, maps number words', () => {
    expect(normalizeVqaAnswer('  The Red Ball. ')).toBe('red ball');
    expect(normalizeVqaAnswer('Two')).toBe('2');
    expect(normalizeVqaAnswer('none')).toBe('0');
    expect(normalizeVqaAnswer('2.5')).toBe('2.5'); // a period before a digit stays
    expect(normalizeVqaAnswer('1,000')).toBe('1000');
    expect(normalizeVqaAnswer('yes!')).toBe('yes');
    expect(normalizeVqaAnswer('black-and-white')).toBe('black and white'); // no space beside '-': becomes a space
    expect(normalizeVqaAnswer('black - white')).toBe('black white'); // beside a space: deleted
    expect(normalizeVqaAnswer('dont know')).toBe("don't know");
    expect(normalizeVqaAnswer("don't know")).toBe("don't know");
    expect(normalizeVqaAnswer('an apple')).toBe('apple');
  });
});

describe('vqaAccuracy', () => {
  it('single references: exact match and soft agree; per-type by hand', () => {
    const r = vqaAccuracy([
      { prediction: 'Two', answers: ['2'], questionType: 'how many' }, // right after normalisation
      { prediction: '3', answers: ['4'], questionType: 'how many' }, // wrong
      { prediction: 'yes', answers: ['Yes.'], questionType: 'yes/no' }, // right
      { prediction: 'the cat', answers: ['cat'] }, // right, no type
    ]);
    // overall 3/4; how many 1/2; yes/no 1/1. With a single reference soft is the exact match
    // (min(1/3, 1) is meant for ten human answers), so soft = 3/4 too.
    expectClose(r.exactMatch, 3 / 4);
    expect(r.count).toBe(4);
    expectClose(r.soft, 3 / 4);
    expect(Object.keys(r.perType)).toEqual(['how many', 'yes/no']);
    expectClose(r.perType['how many']!.exactMatch, 1 / 2);
    expect(r.perType['how many']!.count).toBe(2);
    expectClose(r.perType['yes/no']!.exactMatch, 1);
  });

  it('soft accuracy with ten human answers, by hand', () => {
    const answers = ['red', 'red', 'red', 'red', 'dark red', 'dark red', 'maroon', 'red', 'Red', 'crimson'];
    // normalised counts: red 6, dark red 2, maroon 1, crimson 1; modal answer "red".
    const r = vqaAccuracy([
      { prediction: 'red', answers, questionType: 'what color' }, //      6 humans: min(6/3, 1) = 1,   exact 1
      { prediction: 'dark red', answers, questionType: 'what color' }, // 2 humans: 2/3,               exact 0
      { prediction: 'maroon', answers, questionType: 'what color' }, //   1 human:  1/3,               exact 0
      { prediction: 'blue', answers, questionType: 'what color' }, //     0:        0,                 exact 0
    ]);
    expectClose(r.soft, (1 + 2 / 3 + 1 / 3 + 0) / 4); // 0.5
    expectClose(r.exactMatch, 1 / 4);
    expectClose(r.perType['what color']!.soft, 0.5);
  });

  it('leave-one-out averaging as in the official evaluation', () => {
    // 10 answers, 3 equal the prediction. Leaving out one of the 3: 2 remain -> 2/3 (3 subsets);
    // leaving out one of the other 7: 3 remain -> 1 (7 subsets). Mean (3 * 2/3 + 7) / 10 = 0.9.
    const answers = ['two', '2', '2', '3', '3', '3', '3', '3', '4', '1'];
    const item = { prediction: '2', answers };
    expectClose(vqaAccuracy([item]).soft, 1);
    expectClose(vqaAccuracy([item], { leaveOneOut: true }).soft, 0.9);
    // With one reference there is nothing to leave out: the exact match.
    expectClose(vqaAccuracy([{ prediction: 'a', answers: ['a'] }], { leaveOneOut: true }).soft, 1);
    // Two references, one matching: min(1/3, 1).
    expectClose(vqaAccuracy([{ prediction: 'a', answers: ['a', 'b'] }]).soft, 1 / 3);
  });

  it('modal reference: a tie goes to the earlier answer', () => {
    const answers = ['cat', 'dog', 'dog', 'cat'];
    expect(vqaAccuracy([{ prediction: 'cat', answers }]).exactMatch).toBe(1);
    expect(vqaAccuracy([{ prediction: 'dog', answers }]).exactMatch).toBe(0);
  });

  it('edge cases and errors', () => {
    expect(vqaAccuracy([{ prediction: '', answers: ['yes'] }]).exactMatch).toBe(0);
    expect(vqaAccuracy([{ prediction: 'the', answers: [''] }]).exactMatch).toBe(1); // both normalise to ''
    expect(() => vqaAccuracy([])).toThrow(/items is empty/);
    expect(() => vqaAccuracy([{ prediction: 'a', answers: [] }])).toThrow(/items\[0\]\.answers is empty/);
    expect(() => vqaAccuracy([{ prediction: 3 as unknown as string, answers: ['3'] }])).toThrow(/items\[0\]\.prediction must be a string, received number/);
  });
});
