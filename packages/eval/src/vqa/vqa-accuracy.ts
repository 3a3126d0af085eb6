/** One answered question: the model's answer, the human reference answers, and optionally its type. */
export interface VqaItem {
  prediction: string;
  /** One or more reference answers (VQA v2 has ten per question, from ten people). */
  answers: readonly string[];
  /** Question type for the per-type breakdown ("what color", "how many", "yes/no"...). */
  questionType?: string;
}

export interface VqaScores {
  /** Fraction whose normalised prediction equals the most frequent normalised reference answer. */
  exactMatch: number;
  /** Mean of min(#references equal to the prediction / 3, 1) (see vqaAccuracy). */
  soft: number;
  count: number;
}

export interface VqaAccuracyOutput extends VqaScores {
  /** The same scores per questionType, keys in sorted order; items without a type are left out. */
  perType: Record<string, VqaScores>;
}

export interface VqaAccuracyOptions {
  /**
   * Average the soft score over the leave-one-annotator-out subsets, as the official VQA
   * evaluation does (10 subsets of 9 for 10 answers); default false: min(#matches/3, 1)
   * over all references, the formula of Antol et al. 2015.
   */
  leaveOneOut?: boolean;
}

/**
 * VQA accuracy (Antol et al. 2015, sec. 4): after normalisation (normalizeVqaAnswer),
 *
 * - exact match: the prediction equals the reference answer; with several references, the
 *   most frequent one (the first in the given order on a tie), which is VQA v2's
 *   `multiple_choice_answer`;
 * - soft: min(#humans that gave the prediction / 3, 1), so an answer three people gave is
 *   fully right. The formula is meant for several human answers; a question with a single
 *   reference (synthetic datasets) scores its exact match instead of 1/3.
 *
 * Per-question-type scores use the same definitions on each type's items.
 */
export function vqaAccuracy(items: readonly VqaItem[], options: VqaAccuracyOptions = {}): VqaAccuracyOutput {
  if (items.length === 0) throw new Error('vqaAccuracy: items is empty');
  const overall = new Tally();
  const byType = new Map<string, Tally>();
  items.forEach((item, i) => {
    if (typeof item.prediction !== 'string') throw new Error(`vqaAccuracy: items[${i}].prediction must be a string, received ${typeof item.prediction}`);
    if (item.answers.length === 0) throw new Error(`vqaAccuracy: items[${i}].answers is empty; every question needs a reference answer`);
    const prediction = normalizeVqaAnswer(item.prediction);
    const answers = item.answers.map(normalizeVqaAnswer);
    const exact = prediction === modalAnswer(answers) ? 1 : 0;
    const soft = options.leaveOneOut === true ? leaveOneOutSoft(prediction, answers) : softScore(prediction, answers);
    overall.add(exact, soft);
    if (item.questionType !== undefined) {
      let tally = byType.get(item.questionType);
      if (tally === undefined) byType.set(item.questionType, (tally = new Tally()));
      tally.add(exact, soft);
    }
  });
  const perType: Record<string, VqaScores> = {};
  for (const type of [...byType.keys()].sort()) perType[type] = byType.get(type)!.scores();
  return { ...overall.scores(), perType };
}

class Tally {
  private exact = 0;
  private soft = 0;
  private count = 0;
  add(exact: number, soft: number): void {
    this.exact += exact;
    this.soft += soft;
    this.count++;
  }
  scores(): VqaScores {
    return { exactMatch: this.exact / this.count, soft: this.soft / this.count, count: this.count };
  }
}

function softScore(prediction: string, answers: string[]): number {
  if (answers.length === 1) return answers[0] === prediction ? 1 : 0;
  const matches = answers.filter((a) => a === prediction).length;
  return Math.min(matches / 3, 1);
}

function leaveOneOutSoft(prediction: string, answers: string[]): number {
  if (answers.length === 1) return softScore(prediction, answers);
  const matches = answers.filter((a) => a === prediction).length;
  let sum = 0;
  for (const a of answers) sum += Math.min((matches - (a === prediction ? 1 : 0)) / 3, 1);
  return sum / answers.length;
}

function modalAnswer(answers: string[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
  let best = answers[0]!;
  for (const [a, c] of counts) if (c > counts.get(best)!) best = a; // Map keeps first-seen order: ties keep the earlier
  return best;
}

const NUMBER_WORDS: Record<string, string> = {
  none: '0', zero: '0', one: '1', two: '2', three: '3', four: '4', five: '5',
  six: '6', seven: '7', eight: '8', nine: '9', ten: '10',
};
const ARTICLES = new Set(['a', 'an', 'the']);
/** A few of the official script's contraction fixes (answers typed without apostrophes). */
const CONTRACTIONS: Record<string, string> = {
  arent: "aren't", cant: "can't", couldnt: "couldn't", didnt: "didn't", doesnt: "doesn't", dont: "don't",
  hasnt: "hasn't", havent: "haven't", isnt: "isn't", im: "i'm", ive: "i've", thats: "that's",
  theres: "there's", wasnt: "wasn't", werent: "weren't", whats: "what's", wont: "won't", youre: "you're",
};
const PUNCTUATION = [';', '/', '[', ']', '"', '{', '}', '(', ')', '=', '+', '\\', '_', '-', '>', '<', '@', '`', ',', '?', '!'];

/**
 * Answer normalisation after the official VQA evaluation (vqaEval.py, processPunctuation and
 * processDigitArticle), simplified: lower-case; each punctuation mark is deleted where it
 * touches a space (or is a digit-grouping comma, "1,000") and otherwise becomes a space; a
 * period not followed by a digit is deleted (so "2.5" survives); number words zero..ten
 * become digits; articles a/an/the are dropped; common apostrophe-less contractions are
 * fixed; whitespace is collapsed. Apostrophes and colons are kept, as in the official list.
 */
export function normalizeVqaAnswer(answer: string): string {
  let text = answer.toLowerCase().replace(/\s+/g, ' ').trim();
  const digitComma = /(\d),(\d)/g;
  text = text.replace(digitComma, '$1$2');
  for (const p of PUNCTUATION) {
    if (!text.includes(p)) continue;
    const touchesSpace = text.includes(p + ' ') || text.includes(' ' + p);
    text = text.split(p).join(touchesSpace ? '' : ' ');
  }
  text = text.replace(/\.(?!\d)/g, '');
  return text
    .split(' ')
    .filter((w) => w.length > 0 && !ARTICLES.has(w))
    .map((w) => NUMBER_WORDS[w] ?? CONTRACTIONS[w] ?? w)
    .join(' ');
}
