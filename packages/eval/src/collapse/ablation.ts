import { Rng } from '@modalab/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * The inputs of a multimodal model by modality, each a tensor whose first axis is the batch
 * [B, ...]. For a FusionClassifier the natural choice is the tower features [B, D_m] that enter
 * the fusion (model.features(batch)): every tower is per-sample, so shuffling or replacing a
 * modality there is the same as doing it to the raw input, and token ids or masks need no care.
 */
export type ModalityInputs = Readonly<Record<string, tf.Tensor>>;

/** What a scorer reports for one evaluation: accuracy in [0, 1] and, when it has one, the mean loss. */
export interface ModalityScore {
  accuracy: number;
  loss?: number;
}

/**
 * Evaluates the model (with its labels, which the scorer owns) on `inputs`, some of whose
 * modalities may have been shuffled or replaced. It must not dispose `inputs`; the caller does.
 */
export type ModalityScorer = (inputs: ModalityInputs) => ModalityScore | Promise<ModalityScore>;

/** How a modality is removed: all zeros, or its mean over the batch (or a given mean) on every row. */
export type AblationKind = 'zero' | 'mean';

/** The change caused by tampering with one modality; positive = the model got worse. */
export interface ModalityDrop {
  /** Accuracy of the intact inputs minus accuracy with the modality tampered with. */
  accuracyDrop: number;
  /** Loss with the modality tampered with minus the intact loss (undefined when the scorer gives no loss). */
  lossIncrease: number | undefined;
  /** Accuracy with the modality tampered with. */
  accuracy: number;
}

export interface PermutationImportanceOptions {
  /** Seed of the row permutations; the same seed gives the same result. Default 0. */
  seed?: number;
  /** Permutations averaged per modality; default 5, enough to steady a drop on a few hundred rows. */
  repeats?: number;
}

export interface PermutationImportanceOutput {
  /** The intact score. */
  base: ModalityScore;
  /** Per modality (sorted keys), averaged over the repeats. */
  modalities: Record<string, ModalityDrop & {
    /** accuracyDrop / base accuracy: the share of the model's accuracy owed to this modality (0 when base accuracy is 0). */
    perceptualScore: number;
    /** accuracyDrop of each repeat, in order. */
    perRepeat: number[];
  }>;
}

export interface AblationOptions {
  /** For 'mean': the replacement per modality, broadcastable to one row (e.g. a training-set mean [D_m]); default the batch mean. */
  means?: Readonly<Record<string, tf.Tensor>>;
}

export interface AblationOutput {
  kind: AblationKind;
  base: ModalityScore;
  modalities: Record<string, ModalityDrop>;
}

export interface UnimodalVsFusedOptions {
  /**
   * A scorer per modality that sees only that modality (e.g. a unimodal model trained alone).
   * Missing modalities are scored by the fused scorer with every other modality removed by `replace`.
   */
  unimodal?: Readonly<Record<string, ModalityScorer>>;
  /** How the other modalities are removed for the fused scorer; default 'mean' (stays in range). */
  replace?: AblationKind;
}

export interface UnimodalVsFusedOutput {
  fusedAccuracy: number;
  /** Accuracy with only this modality, per modality. */
  unimodalAccuracy: Record<string, number>;
  bestUnimodal: string;
  bestUnimodalAccuracy: number;
  /** fusedAccuracy - bestUnimodalAccuracy: what fusion adds over the best single modality. */
  fusionGain: number;
}

/** Sorted modality names of `inputs`, all sharing one batch size; throws naming the culprit. */
export function checkModalityInputs(fn: string, inputs: ModalityInputs): { names: string[]; batch: number } {
  const names = Object.keys(inputs).sort();
  if (names.length === 0) throw new Error(`${fn}: inputs is empty; pass a tensor [B, ...] per modality, e.g. model.features(batch)`);
  let batch: number | undefined;
  for (const m of names) {
    const x = inputs[m]!;
    if (!(x instanceof tf.Tensor) || x.rank < 1) throw new Error(`${fn}: inputs.${m} must be a tensor [B, ...], received ${x instanceof tf.Tensor ? `rank ${x.rank}` : typeof x}`);
    if (batch === undefined) batch = x.shape[0]!;
    else if (x.shape[0] !== batch) throw new Error(`${fn}: every modality needs the same batch size, inputs.${names[0]} has ${batch} rows but inputs.${m} has ${x.shape[0]}`);
  }
  return { names, batch: batch! };
}

function checkScore(fn: string, what: string, s: ModalityScore): ModalityScore {
  if (typeof s !== 'object' || s === null || !Number.isFinite(s.accuracy) || s.accuracy < 0 || s.accuracy > 1) {
    throw new Error(`${fn}: the scorer returned accuracy ${(s as { accuracy?: unknown } | null)?.accuracy} for ${what}; expected a finite number in [0, 1]`);
  }
  if (s.loss !== undefined && !Number.isFinite(s.loss)) throw new Error(`${fn}: the scorer returned loss ${s.loss} for ${what}; expected a finite number or undefined`);
  return s;
}

/** Scores `inputs` with modality `m` replaced by `replacement`, disposing the replacement after. */
async function scoreWith(fn: string, what: string, score: ModalityScorer, inputs: ModalityInputs, replaced: Record<string, tf.Tensor>): Promise<ModalityScore> {
  try {
    return checkScore(fn, what, await score({ ...inputs, ...replaced }));
  } finally {
    tf.dispose(Object.values(replaced));
  }
}

function dropOf(base: ModalityScore, tampered: ModalityScore): ModalityDrop {
  return {
    accuracyDrop: base.accuracy - tampered.accuracy,
    lossIncrease: base.loss === undefined || tampered.loss === undefined ? undefined : tampered.loss - base.loss,
    accuracy: tampered.accuracy,
  };
}

/** `x` with its rows (axis 0) reordered by `order`. */
export function permuteRows(x: tf.Tensor, order: readonly number[]): tf.Tensor {
  if (order.length !== x.shape[0]) throw new Error(`permuteRows: order has ${order.length} entries for ${x.shape[0]} rows`);
  return tf.tidy(() => tf.gather(x, tf.tensor1d(order as number[], 'int32'), 0));
}

/** The replacement of `x` [B, ...] under an ablation: zeros, or `mean` (default: the batch mean) on every row. */
export function ablate(x: tf.Tensor, kind: AblationKind, mean?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    if (kind === 'zero') return tf.zerosLike(x);
    if (x.dtype !== 'float32') throw new Error(`ablate: mean-ablation needs float32 inputs, received ${x.dtype}; pass tower features instead of ids`);
    const m = mean ?? tf.mean(x, 0, true); // [1, ...]
    return tf.add(tf.zerosLike(x), m); // [B, ...]
  });
}

/**
 * Permutation importance per modality: the perceptual score of Gat, Schwartz & Schwing 2021
 * ("Perceptual Score: What Data Modalities Does Your Model Perceive?", NeurIPS). For modality
 * m, the rows of m alone are shuffled across the batch with a seeded permutation π, breaking
 * the pairing of m with the label and with the other modalities while keeping m's marginal
 * distribution (no out-of-range inputs, unlike zeroing), and
 *   drop_m = acc(x) - E_π acc(x with x_m[π]),
 * averaged over `repeats` permutations; the perceptual score is drop_m / acc(x), the share of the
 * model's accuracy that depends on m. A model that ignores m scores about 0 (up to the noise of
 * a finite batch); the loss increase is reported beside it when the scorer gives a loss.
 */
export async function permutationImportance(inputs: ModalityInputs, score: ModalityScorer, options: PermutationImportanceOptions = {}): Promise<PermutationImportanceOutput> {
  const fn = 'permutationImportance';
  const { names, batch } = checkModalityInputs(fn, inputs);
  const repeats = options.repeats ?? 5;
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`${fn}: repeats must be an integer >= 1, received ${repeats}`);
  if (batch < 2) throw new Error(`${fn}: needs a batch of at least 2 rows to permute, received ${batch}`);
  const base = checkScore(fn, 'the intact inputs', await score(inputs));
  const rng = new Rng(options.seed ?? 0);
  const modalities: PermutationImportanceOutput['modalities'] = {};
  for (const m of names) {
    const modalityRng = rng.fork(); // one stream per modality, so adding a modality keeps the others' permutations
    const perRepeat: number[] = [];
    let accuracy = 0;
    let loss = 0;
    for (let r = 0; r < repeats; r++) {
      const order = modalityRng.shuffle(Array.from({ length: batch }, (_, i) => i));
      const s = await scoreWith(fn, `inputs.${m} permuted`, score, inputs, { [m]: permuteRows(inputs[m]!, order) });
      perRepeat.push(base.accuracy - s.accuracy);
      accuracy += s.accuracy / repeats;
      loss = s.loss === undefined || Number.isNaN(loss) ? Number.NaN : loss + s.loss / repeats;
    }
    const drop = dropOf(base, Number.isNaN(loss) ? { accuracy } : { accuracy, loss });
    modalities[m] = { ...drop, perceptualScore: base.accuracy > 0 ? drop.accuracyDrop / base.accuracy : 0, perRepeat };
  }
  return { base, modalities };
}

/**
 * Zero- or mean-ablation drop per modality: the accuracy (and loss) lost when modality m is
 * replaced on every row by zeros, or by its mean (the batch mean unless `means` gives, e.g., a
 * training-set mean): the plain occlusion test of multimodal analysis. Zeroing can
 * overstate a modality's role (zeros may lie far from any real input, so a model that ignores
 * the content of m still reacts to its disappearance); mean-ablation removes the content of m
 * while staying inside its range, which is why the collapse rule uses permutation first.
 */
export async function ablationDrop(inputs: ModalityInputs, score: ModalityScorer, kind: AblationKind, options: AblationOptions = {}): Promise<AblationOutput> {
  const fn = 'ablationDrop';
  if (kind !== 'zero' && kind !== 'mean') throw new Error(`${fn}: kind must be 'zero' or 'mean', received ${String(kind)}`);
  const { names } = checkModalityInputs(fn, inputs);
  for (const m of Object.keys(options.means ?? {})) {
    if (!names.includes(m)) throw new Error(`${fn}: means.${m} names no modality; modalities: ${names.join(', ')}`);
  }
  const base = checkScore(fn, 'the intact inputs', await score(inputs));
  const modalities: Record<string, ModalityDrop> = {};
  for (const m of names) {
    const s = await scoreWith(fn, `inputs.${m} ${kind}-ablated`, score, inputs, { [m]: ablate(inputs[m]!, kind, options.means?.[m]) });
    modalities[m] = dropOf(base, s);
  }
  return { kind, base, modalities };
}

/**
 * Best unimodal vs fused accuracy: the fused accuracy beside the accuracy obtainable from each
 * modality alone, either from a given unimodal scorer (the baseline of Wang, Tran & Feiszli
 * 2020, "What Makes Training Multi-Modal Classification Networks Hard?", CVPR, where the best
 * unimodal network often beats the multimodal one) or from the fused model with every other
 * modality removed by `replace`. A fusion gain at or below zero means fusion adds nothing over
 * the best single modality; a unimodal accuracy near the fused one for one modality and near
 * chance for the other is the signature of a collapse onto the first.
 */
export async function unimodalVsFused(inputs: ModalityInputs, fused: ModalityScorer, options: UnimodalVsFusedOptions = {}): Promise<UnimodalVsFusedOutput> {
  const fn = 'unimodalVsFused';
  const { names } = checkModalityInputs(fn, inputs);
  const replace = options.replace ?? 'mean';
  for (const m of Object.keys(options.unimodal ?? {})) {
    if (!names.includes(m)) throw new Error(`${fn}: unimodal.${m} names no modality; modalities: ${names.join(', ')}`);
  }
  const fusedAccuracy = checkScore(fn, 'the intact inputs', await fused(inputs)).accuracy;
  const unimodalAccuracy: Record<string, number> = {};
  for (const m of names) {
    const own = options.unimodal?.[m];
    if (own !== undefined) {
      unimodalAccuracy[m] = checkScore(fn, `unimodal.${m}`, await own(inputs)).accuracy;
      continue;
    }
    const replaced: Record<string, tf.Tensor> = {};
    for (const other of names) if (other !== m) replaced[other] = ablate(inputs[other]!, replace);
    unimodalAccuracy[m] = (await scoreWith(fn, `only inputs.${m}`, fused, inputs, replaced)).accuracy;
  }
  let best = names[0]!;
  for (const m of names) if (unimodalAccuracy[m]! > unimodalAccuracy[best]!) best = m;
  return { fusedAccuracy, unimodalAccuracy, bestUnimodal: best, bestUnimodalAccuracy: unimodalAccuracy[best]!, fusionGain: fusedAccuracy - unimodalAccuracy[best]! };
}
