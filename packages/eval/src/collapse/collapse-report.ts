import {
  ablationDrop,
  checkModalityInputs,
  permutationImportance,
  unimodalVsFused,
  type AblationOutput,
  type ModalityInputs,
  type ModalityScorer,
  type PermutationImportanceOptions,
  type PermutationImportanceOutput,
  type UnimodalVsFusedOptions,
  type UnimodalVsFusedOutput,
} from './ablation.js';
import { fusionInputRank, type FusionInputRankOutput } from './fusion-input-rank.js';
import type { GradNormRatioOutput } from './grad-norm-ratio.js';

/** The diagnostics a report combines; only the permutation importance is required. */
export interface CollapseReportInput {
  permutation: PermutationImportanceOutput;
  zeroAblation?: AblationOutput;
  meanAblation?: AblationOutput;
  unimodal?: UnimodalVsFusedOutput;
  gradNorms?: GradNormRatioOutput;
  rank?: FusionInputRankOutput;
}

export interface CollapseThresholds {
  /**
   * A modality whose permutation accuracy drop is below this is negligible. Default 0.02: two
   * points of accuracy, above the spread of a permutation drop on a few hundred rows averaged
   * over 5 permutations (about ±0.01 for a model that ignores the modality).
   */
  minDrop: number;
  /**
   * ...or below this fraction of the largest other modality's drop. Default 0.1: a modality
   * worth a tenth of the dominant one is, for the model, an afterthought.
   */
  relativeDrop: number;
  /**
   * A negligible modality is flagged only when another modality's drop is at least this.
   * Default 0.10: ten points; below it no modality matters much and the model has learned
   * little, which is under-fitting, not a collapse onto one modality.
   */
  dominantDrop: number;
}

export const DEFAULT_COLLAPSE_THRESHOLDS: Readonly<CollapseThresholds> = Object.freeze({ minDrop: 0.02, relativeDrop: 0.1, dominantDrop: 0.1 });

/** Everything the report knows about one modality. */
export interface ModalityCollapseRecord {
  modality: string;
  /** Accuracy lost when this modality is shuffled across the batch: the removal cost the rule uses. */
  permutationDrop: number;
  /** permutationDrop / fused accuracy (Gat et al. 2021). */
  perceptualScore: number;
  permutationLossIncrease: number | undefined;
  zeroAblationDrop: number | undefined;
  meanAblationDrop: number | undefined;
  /** Accuracy from this modality alone. */
  unimodalAccuracy: number | undefined;
  /** Mean share of the encoder gradient norm over the tail of training. */
  gradNormShare: number | undefined;
  rankMe: number | undefined;
  normalizedRankMe: number | undefined;
  /** The largest permutation drop among the other modalities. */
  dominantOtherDrop: number;
  collapsed: boolean;
  /** Why it was or was not flagged, in words. */
  reason: string;
}

export interface CollapseReport {
  fusedAccuracy: number;
  /** Sorted modality names. */
  modalities: string[];
  records: Record<string, ModalityCollapseRecord>;
  /** Modalities flagged as collapsed (sorted). */
  flagged: string[];
  thresholds: CollapseThresholds;
  /** The flagging rule with its thresholds, in words. */
  rule: string;
  /** Observations that are not the flag but change its reading (zeroing hurts an unused modality, fusion gain <= 0). */
  notes: string[];
  /** A plain-text summary: header, one line per modality, rule, notes. */
  summary: string;
}

export interface CollapseReportOptions {
  thresholds?: Partial<CollapseThresholds>;
}

const fmt = (v: number | undefined, digits = 3): string => (v === undefined || Number.isNaN(v) ? 'n/a' : v.toFixed(digits));

function checkThresholds(t: CollapseThresholds): void {
  for (const key of ['minDrop', 'relativeDrop', 'dominantDrop'] as const) {
    if (!(Number.isFinite(t[key]) && t[key] >= 0 && t[key] <= 1)) throw new Error(`collapseReport: thresholds.${key} must be in [0, 1], received ${t[key]}`);
  }
  if (t.dominantDrop < t.minDrop) throw new Error(`collapseReport: thresholds.dominantDrop (${t.dominantDrop}) must be >= thresholds.minDrop (${t.minDrop})`);
}

function sameModalities(what: string, names: string[], got: readonly string[]): void {
  const sorted = [...got].sort();
  if (sorted.join(',') !== names.join(',')) throw new Error(`collapseReport: ${what} covers ${sorted.join(', ') || 'nothing'} but the permutation importance covers ${names.join(', ')}`);
}

/**
 * Combines the modality-collapse diagnostics of a fusion model into one record per modality,
 * flags collapsed modalities, and writes a plain-text summary.
 *
 * Rule (the removal cost of m is its permutation accuracy drop, the perceptual score of Gat et
 * al. 2021 before normalisation: it removes m's content without moving its inputs out of range):
 *   m is collapsed  ⇔  drop_m < max(minDrop, relativeDrop · D_m)  and  D_m ≥ dominantDrop,
 *   where D_m = max over the other modalities k of drop_k.
 * That is: removing m costs the model (almost) nothing, while removing some other modality
 * costs it a lot. With defaults 0.02 / 0.1 / 0.10 a fused model at 0.95 whose text drop is
 * 0.004 and image drop 0.6 flags text; drops of 0.25 and 0.3 flag nothing; nor do 0.01 and
 * 0.05 (nothing matters much: under-fitting, not collapse). Zero- and mean-ablation drops,
 * unimodal accuracies, gradient-norm shares and RankMe are reported beside it as evidence.
 */
export function collapseReport(input: CollapseReportInput, options: CollapseReportOptions = {}): CollapseReport {
  const thresholds: CollapseThresholds = { ...DEFAULT_COLLAPSE_THRESHOLDS, ...options.thresholds };
  for (const [k, v] of Object.entries(options.thresholds ?? {})) {
    if (!(k in DEFAULT_COLLAPSE_THRESHOLDS)) throw new Error(`collapseReport: unknown threshold '${k}'. Known: minDrop, relativeDrop, dominantDrop`);
    if (v === undefined) throw new Error(`collapseReport: thresholds.${k} is undefined; omit it for the default`);
  }
  checkThresholds(thresholds);
  const perm = input.permutation;
  const modalities = Object.keys(perm.modalities).sort();
  if (modalities.length < 2) throw new Error(`collapseReport: needs at least 2 modalities to compare, received ${modalities.join(', ') || 'none'}`);
  if (input.zeroAblation !== undefined) sameModalities('zeroAblation', modalities, Object.keys(input.zeroAblation.modalities));
  if (input.meanAblation !== undefined) sameModalities('meanAblation', modalities, Object.keys(input.meanAblation.modalities));
  if (input.unimodal !== undefined) sameModalities('unimodal', modalities, Object.keys(input.unimodal.unimodalAccuracy));
  if (input.gradNorms !== undefined) sameModalities('gradNorms', modalities, input.gradNorms.modalities);
  if (input.rank !== undefined) sameModalities('rank', modalities, Object.keys(input.rank.modalities));

  const records: Record<string, ModalityCollapseRecord> = {};
  const notes: string[] = [];
  for (const m of modalities) {
    const p = perm.modalities[m]!;
    const drop = p.accuracyDrop;
    const others = modalities.filter((k) => k !== m);
    const dominant = others.reduce((best, k) => (perm.modalities[k]!.accuracyDrop > perm.modalities[best]!.accuracyDrop ? k : best), others[0]!);
    const dominantOtherDrop = perm.modalities[dominant]!.accuracyDrop;
    const negligibleBelow = Math.max(thresholds.minDrop, thresholds.relativeDrop * dominantOtherDrop);
    const negligible = drop < negligibleBelow;
    const collapsed = negligible && dominantOtherDrop >= thresholds.dominantDrop;
    const reason = collapsed
      ? `shuffling ${m} costs ${fmt(drop)} accuracy (< ${fmt(negligibleBelow)}) while shuffling ${dominant} costs ${fmt(dominantOtherDrop)} (>= ${fmt(thresholds.dominantDrop)})`
      : negligible
        ? `shuffling ${m} costs ${fmt(drop)}, but no other modality costs >= ${fmt(thresholds.dominantDrop)} either (${dominant}: ${fmt(dominantOtherDrop)}): the model uses little of anything`
        : `shuffling ${m} costs ${fmt(drop)} accuracy (>= ${fmt(negligibleBelow)}): the model uses it`;
    const zero = input.zeroAblation?.modalities[m]?.accuracyDrop;
    records[m] = {
      modality: m,
      permutationDrop: drop,
      perceptualScore: p.perceptualScore,
      permutationLossIncrease: p.lossIncrease,
      zeroAblationDrop: zero,
      meanAblationDrop: input.meanAblation?.modalities[m]?.accuracyDrop,
      unimodalAccuracy: input.unimodal?.unimodalAccuracy[m],
      gradNormShare: input.gradNorms?.meanShare[m],
      rankMe: input.rank?.modalities[m]?.rankMe,
      normalizedRankMe: input.rank?.modalities[m]?.normalizedRankMe,
      dominantOtherDrop,
      collapsed,
      reason,
    };
    if (negligible && zero !== undefined && zero >= thresholds.dominantDrop) {
      notes.push(`zeroing ${m} costs ${fmt(zero)} although shuffling it costs ${fmt(drop)}: the model reacts to ${m}'s presence or scale, not its content`);
    }
  }
  if (input.unimodal !== undefined && input.unimodal.fusionGain <= 0) {
    notes.push(`fusion adds nothing over ${input.unimodal.bestUnimodal} alone (fused ${fmt(input.unimodal.fusedAccuracy)}, ${input.unimodal.bestUnimodal} alone ${fmt(input.unimodal.bestUnimodalAccuracy)})`);
  }
  const flagged = modalities.filter((m) => records[m]!.collapsed);
  const rule =
    `a modality m is flagged when its permutation accuracy drop < max(minDrop = ${thresholds.minDrop}, relativeDrop = ${thresholds.relativeDrop} x the largest other drop) ` +
    `and the largest other drop >= dominantDrop = ${thresholds.dominantDrop}`;

  const lines: string[] = [];
  lines.push(`Modality collapse: ${flagged.length === 0 ? 'none flagged' : `flagged ${flagged.join(', ')}`} (fused accuracy ${fmt(perm.base.accuracy)}` +
    (input.unimodal === undefined ? ')' : `; best unimodal ${input.unimodal.bestUnimodal} ${fmt(input.unimodal.bestUnimodalAccuracy)}, fusion gain ${fmt(input.unimodal.fusionGain)})`));
  for (const m of modalities) {
    const r = records[m]!;
    const parts = [`permutation drop ${fmt(r.permutationDrop)} (perceptual score ${fmt(r.perceptualScore)})`];
    if (r.zeroAblationDrop !== undefined) parts.push(`zero-ablation drop ${fmt(r.zeroAblationDrop)}`);
    if (r.meanAblationDrop !== undefined) parts.push(`mean-ablation drop ${fmt(r.meanAblationDrop)}`);
    if (r.unimodalAccuracy !== undefined) parts.push(`alone ${fmt(r.unimodalAccuracy)}`);
    if (r.gradNormShare !== undefined) parts.push(`grad-norm share ${fmt(r.gradNormShare)}`);
    if (r.rankMe !== undefined) parts.push(`RankMe ${fmt(r.rankMe, 2)} (${fmt(r.normalizedRankMe, 2)} of max)`);
    lines.push(`  ${m}: ${r.collapsed ? 'COLLAPSED' : 'ok'}: ${parts.join(', ')}; ${r.reason}`);
  }
  lines.push(`Rule: ${rule}.`);
  for (const n of notes) lines.push(`Note: ${n}.`);
  return { fusedAccuracy: perm.base.accuracy, modalities, records, flagged, thresholds, rule, notes, summary: lines.join('\n') };
}

export interface RunCollapseDiagnosticsOptions {
  permutation?: PermutationImportanceOptions;
  unimodal?: UnimodalVsFusedOptions;
  /** Skip RankMe of the inputs (it reads each modality back and runs an eigen-solve); default false. */
  skipRank?: boolean;
}

/**
 * Runs every batch diagnostic on one evaluation batch: permutation importance, zero- and
 * mean-ablation drops, unimodal vs fused accuracy and (when the inputs are rank-2 features)
 * RankMe of each modality's fusion input. Add `gradNorms` from training and pass the result to
 * collapseReport.
 */
export async function runCollapseDiagnostics(inputs: ModalityInputs, score: ModalityScorer, options: RunCollapseDiagnosticsOptions = {}): Promise<CollapseReportInput> {
  const { names } = checkModalityInputs('runCollapseDiagnostics', inputs);
  const permutation = await permutationImportance(inputs, score, options.permutation);
  const zeroAblation = await ablationDrop(inputs, score, 'zero');
  const meanAblation = await ablationDrop(inputs, score, 'mean');
  const unimodal = await unimodalVsFused(inputs, score, options.unimodal);
  const allFeatures = names.every((m) => inputs[m]!.rank === 2);
  const out: CollapseReportInput = { permutation, zeroAblation, meanAblation, unimodal };
  if (options.skipRank !== true && allFeatures) out.rank = fusionInputRank(inputs as Record<string, import('@tensorflow/tfjs-core').Tensor2D>);
  return out;
}
