import * as tf from '@tensorflow/tfjs-core';
import { bestPositiveRanks } from '../retrieval/rank-retrieval.js';

/** Embeds a batch of strings: returns [texts.length, D] (the caller's text tower). */
export type EmbedText = (texts: string[]) => tf.Tensor2D | Promise<tf.Tensor2D>;

/**
 * Class embeddings for zero-shot classification with prompt-template ensembling (Radford et
 * al. 2021, CLIP, sec. 3.1.4): for each class, fill every template ('{}' is replaced by the
 * class name), embed the prompts, L2-normalise each, average, and L2-normalise the mean.
 * Returns [C, D], row c for classNames[c]. embedText is called once per class with the T
 * prompts of that class; the tensors it returns are disposed here.
 */
export async function zeroShotClassifier(classNames: ReadonlyArray<string>, templates: ReadonlyArray<string>, embedText: EmbedText): Promise<tf.Tensor2D> {
  if (classNames.length === 0) throw new Error('zeroShotClassifier: classNames is empty');
  if (templates.length === 0) throw new Error("zeroShotClassifier: templates is empty; pass at least ['{}']");
  templates.forEach((t, i) => {
    if (!t.includes('{}')) throw new Error(`zeroShotClassifier: templates[${i}] '${t}' has no '{}' for the class name`);
  });
  const rows: tf.Tensor1D[] = [];
  try {
    for (const name of classNames) {
      const prompts = templates.map((t) => t.split('{}').join(name));
      const embedded = await embedText(prompts);
      try {
        if (embedded.rank !== 2 || embedded.shape[0] !== prompts.length) {
          throw new Error(`zeroShotClassifier: embedText returned shape [${embedded.shape}] for ${prompts.length} prompts; expected [${prompts.length}, D]`);
        }
        rows.push(
          tf.tidy(() => {
            const unit = tf.div(embedded, tf.norm(embedded, 'euclidean', 1, true)); // [T, D]
            const mean = tf.mean(unit, 0); // [D]
            return tf.div(mean, tf.norm(mean)) as tf.Tensor1D;
          }),
        );
      } finally {
        embedded.dispose();
      }
    }
    return tf.stack(rows) as tf.Tensor2D; // [C, D]
  } finally {
    tf.dispose(rows);
  }
}

export interface ZeroShotOptions {
  /** Cut-offs for top-K accuracy; default [1, 5] (K larger than the class count counts every query). */
  ks?: number[];
}

export interface ZeroShotResult {
  n: number;
  classCount: number;
  /** topK[K]: fraction of inputs whose true class ranks in the top K (ties count against). */
  topK: Record<number, number>;
  /** Mean over classes present in `labels` of the per-class top-1 recall (balanced accuracy). */
  meanPerClassRecall: number;
  /** confusion[true][predicted] counts, predicted = argmax (lowest class index on an exact tie). */
  confusion: number[][];
  /** Pessimistic 1-based rank of the true class per input, for bootstrapCi (hits = rank <= K). */
  ranks: number[];
  /** Chance level: top-K accuracy K / C of a uniformly random ranking. */
  chance: { topK: Record<number, number> };
}

/**
 * Scores zero-shot classification: `inputs` [n, D] (e.g. L2-normalised image embeddings)
 * against `classEmbeddings` [C, D] (from zeroShotClassifier) by dot product, with labels[i]
 * the true class of input i. Ranks reuse the retrieval code (chunked, pessimistic ties:
 * rank = 1 + #{c ≠ y : s_c >= s_y}), so a constant model scores chance, not a lucky 100%.
 */
export function zeroShotEvaluate(inputs: tf.Tensor2D, classEmbeddings: tf.Tensor2D, labels: ReadonlyArray<number>, options: ZeroShotOptions = {}): ZeroShotResult {
  const n = inputs.shape[0];
  const classCount = classEmbeddings.shape[0];
  if (labels.length !== n) throw new Error(`zeroShotEvaluate: labels has ${labels.length} entries but inputs has ${n} rows`);
  labels.forEach((y, i) => {
    if (!Number.isInteger(y) || y < 0 || y >= classCount) {
      throw new Error(`zeroShotEvaluate: labels[${i}] is ${y}; expected an integer class index in [0, ${classCount})`);
    }
  });
  const ks = [...new Set(options.ks ?? [1, 5])].sort((a, b) => a - b);
  ks.forEach((k) => {
    if (!Number.isInteger(k) || k < 1) throw new Error(`zeroShotEvaluate: ks must be integers >= 1, received ${k}`);
  });
  if (n === 0) throw new Error('zeroShotEvaluate: inputs is empty');
  const ranks = Array.from(bestPositiveRanks(inputs, classEmbeddings, labels.map((y) => [y])));
  const predicted = argmaxRows(inputs, classEmbeddings);

  const topK: Record<number, number> = {};
  const chance: Record<number, number> = {};
  for (const k of ks) {
    topK[k] = ranks.filter((r) => r <= k).length / n;
    chance[k] = Math.min(1, k / classCount);
  }
  const confusion = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  const perClass = new Map<number, { hits: number; total: number }>();
  labels.forEach((y, i) => {
    confusion[y]![predicted[i]!]!++;
    const c = perClass.get(y) ?? { hits: 0, total: 0 };
    c.total++;
    if (ranks[i] === 1) c.hits++;
    perClass.set(y, c);
  });
  let recallSum = 0;
  for (const { hits, total } of perClass.values()) recallSum += hits / total;
  return { n, classCount, topK, meanPerClassRecall: recallSum / perClass.size, confusion, ranks, chance: { topK: chance } };
}

/** Index of the best class per input, in blocks of rows so [n, C] never has to fit at once. */
function argmaxRows(inputs: tf.Tensor2D, classes: tf.Tensor2D): number[] {
  const [n, d] = inputs.shape;
  const block = Math.max(1, Math.floor((1 << 22) / Math.max(1, classes.shape[0])));
  const classesT = tf.transpose(classes); // [D, C]
  const out: number[] = [];
  try {
    for (let start = 0; start < n; start += block) {
      const rows = Math.min(block, n - start);
      const idx = tf.tidy(() => tf.argMax(tf.matMul(tf.slice(inputs, [start, 0], [rows, d]), classesT), 1)); // [rows]
      out.push(...idx.dataSync());
      idx.dispose();
    }
  } finally {
    classesT.dispose();
  }
  return out;
}
