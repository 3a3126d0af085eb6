/** Per-encoder gradient norms logged at one training step. */
export interface GradNormPoint {
  step: number;
  /** Global L2 norm of each encoder's gradient at that step, by modality. */
  norms: Readonly<Record<string, number>>;
}

export interface GradNormRatioOptions {
  /** The summary averages the last fraction of the points (after the early transient); default 0.5. */
  tailFraction?: number;
}

export interface GradNormRatioOutput {
  /** Sorted modality names. */
  modalities: string[];
  /** Per logged step: each modality's share norm_m / Σ_k norm_k (0 for every one when all norms are 0). */
  shares: Array<{ step: number; shares: Record<string, number> }>;
  /** Per logged step: norm_m / max over the other modalities (Infinity when the others are all 0, NaN for 0/0). */
  ratios: Array<{ step: number; ratios: Record<string, number> }>;
  /** Mean share per modality over the tail. */
  meanShare: Record<string, number>;
  /** Mean ratio per modality over the tail, over its finite values (NaN when there are none). */
  meanRatio: Record<string, number>;
  /** Number of points the tail averages. */
  tailPoints: number;
}

/**
 * Per-encoder gradient-norm ratio over training, from logged norms (e.g. groupGradNorms over
 * the `encoders.<modality>` parameters, or the trainer's `gradNorm/<group>` metrics through
 * gradNormHistory). The gradient an encoder receives measures how much the loss still asks of
 * it: in modality competition the dominant modality's encoder takes most of the gradient and
 * the other's fades (the imbalance OGM-GE measures with its discrepancy ratio, Peng, Wei, Deng,
 * Wang & Hu 2022, "Balanced Multimodal Learning via On-the-fly Gradient Modulation", CVPR;
 * see also Wang, Tran & Feiszli 2020). Reported per step as a share norm_m / Σ_k norm_k and as
 * a ratio norm_m / max_{k≠m} norm_k, and summarised over the last `tailFraction` of the points.
 * Raw norms depend on the tower's size and scale, so compare a run with itself over time, or
 * towers of the same architecture; the collapse rule treats this as evidence, not as the test.
 */
export function gradNormRatio(points: readonly GradNormPoint[], options: GradNormRatioOptions = {}): GradNormRatioOutput {
  const fn = 'gradNormRatio';
  if (points.length === 0) throw new Error(`${fn}: points is empty; log { step, norms: { image, text } } at least once`);
  const tailFraction = options.tailFraction ?? 0.5;
  if (!(tailFraction > 0 && tailFraction <= 1)) throw new Error(`${fn}: tailFraction must be in (0, 1], received ${tailFraction}`);
  const modalities = Object.keys(points[0]!.norms).sort();
  if (modalities.length < 2) throw new Error(`${fn}: needs norms for at least 2 modalities, received ${modalities.join(', ') || 'none'} at points[0]`);
  points.forEach((p, i) => {
    const keys = Object.keys(p.norms).sort();
    if (keys.join(',') !== modalities.join(',')) throw new Error(`${fn}: points[${i}] has norms for ${keys.join(', ')} but points[0] has ${modalities.join(', ')}`);
    for (const m of keys) {
      const v = p.norms[m]!;
      if (!(Number.isFinite(v) && v >= 0)) throw new Error(`${fn}: points[${i}].norms.${m} is ${v}; norms must be finite and >= 0`);
    }
  });
  const shares = points.map((p) => {
    const total = modalities.reduce((s, m) => s + p.norms[m]!, 0);
    return { step: p.step, shares: Object.fromEntries(modalities.map((m) => [m, total > 0 ? p.norms[m]! / total : 0])) };
  });
  const ratios = points.map((p) => ({
    step: p.step,
    ratios: Object.fromEntries(modalities.map((m) => {
      const other = Math.max(...modalities.filter((k) => k !== m).map((k) => p.norms[k]!));
      return [m, p.norms[m]! / other]; // x/0 = Infinity, 0/0 = NaN
    })),
  }));
  const tailPoints = Math.max(1, Math.ceil(tailFraction * points.length));
  const tail = points.length - tailPoints;
  const mean = (values: number[]) => {
    const finite = values.filter(Number.isFinite);
    return finite.length === 0 ? Number.NaN : finite.reduce((a, b) => a + b, 0) / finite.length;
  };
  return {
    modalities,
    shares,
    ratios,
    meanShare: Object.fromEntries(modalities.map((m) => [m, mean(shares.slice(tail).map((s) => s.shares[m]!))])),
    meanRatio: Object.fromEntries(modalities.map((m) => [m, mean(ratios.slice(tail).map((r) => r.ratios[m]!))])),
    tailPoints,
  };
}

/**
 * The norms of `prefix<modality>` metrics of trainer log records (LogRecord: { step, metrics }),
 * e.g. prefix 'gradNorm/' for lossStep's { groupGradNorms: true } output. Records without any
 * such metric are skipped; `modalities` restricts and orders the keys (default: all found).
 */
export function gradNormHistory(
  records: ReadonlyArray<{ step: number; metrics: Readonly<Record<string, number>> }>,
  options: { prefix?: string; modalities?: readonly string[] } = {},
): GradNormPoint[] {
  const prefix = options.prefix ?? 'gradNorm/';
  const out: GradNormPoint[] = [];
  for (const r of records) {
    const norms: Record<string, number> = {};
    for (const [key, value] of Object.entries(r.metrics)) {
      if (!key.startsWith(prefix)) continue;
      const m = key.slice(prefix.length);
      if (options.modalities === undefined || options.modalities.includes(m)) norms[m] = value;
    }
    if (Object.keys(norms).length > 0) out.push({ step: r.step, norms });
  }
  if (out.length === 0) throw new Error(`gradNormHistory: no record has a metric starting with '${prefix}'${options.modalities === undefined ? '' : ` for ${options.modalities.join(', ')}`}; log them with lossStep(..., { groupGradNorms: true })`);
  return out;
}
