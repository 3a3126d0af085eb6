import { bootstrapCi, knnProbe, linearProbe } from '@modalab/eval';

/** A probe's accuracy on held-out items with a 95% bootstrap interval over items. */
export interface ProbeScore {
  accuracy: number;
  lower: number;
  upper: number;
  /** Always answering the most frequent training class. */
  chance: number;
  n: number;
}

export interface CategoryProbes {
  classes: string[];
  trainCount: number;
  /** 'linear' and 'knn' on the model's image embeddings, 'knn-pixels' on raw pixels (the no-learning baseline). */
  scores: Record<string, ProbeScore>;
  /** Weight decay the linear probe chose on its validation split. */
  linearWeightDecay: number;
}

function score(predictions: Int32Array, labels: number[], chance: number, seed: number): ProbeScore {
  const hits = labels.map((y, i) => (predictions[i] === y ? 1 : 0));
  const ci = bootstrapCi(hits, { seed, resamples: 1000 });
  return { accuracy: ci.estimate, lower: ci.lower, upper: ci.upper, chance, n: labels.length };
}

/**
 * Linear and k-NN probes of the emoji categories on frozen image embeddings: fitted on the
 * training concepts' images, scored on held-out concepts (so a probe cannot memorise a
 * concept), beside a k-NN on raw pixels that learns nothing. Embeddings are [n, d] row-major.
 */
export function categoryProbes(
  input: {
    classes: string[];
    train: { embeddings: number[][]; pixels: number[][]; labels: number[] };
    test: { embeddings: number[][]; pixels: number[][]; labels: number[] };
  },
  seed: number,
): CategoryProbes {
  const { train, test } = input;
  const linear = linearProbe({ embeddings: train.embeddings, labels: train.labels }, { embeddings: test.embeddings, labels: test.labels }, { seed });
  const knn = knnProbe({ embeddings: train.embeddings, labels: train.labels }, { embeddings: test.embeddings, labels: test.labels }, { k: 20 });
  const pixels = knnProbe({ embeddings: train.pixels, labels: train.labels }, { embeddings: test.pixels, labels: test.labels }, { k: 20 });
  return {
    classes: input.classes,
    trainCount: train.labels.length,
    scores: {
      linear: score(linear.predictions, test.labels, linear.chance, seed),
      knn: score(knn.predictions, test.labels, knn.chance, seed + 1),
      'knn-pixels': score(pixels.predictions, test.labels, pixels.chance, seed + 2),
    },
    linearWeightDecay: linear.weightDecay,
  };
}
