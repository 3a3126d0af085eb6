/**
 * Plain-JS float64 forward passes of the layers the fusion modules are built from, for tests:
 * central differences on these are accurate to ~1e-9, so the float32 tfjs gradients can be
 * checked entry by entry. Weights use the tfjs layouts and dotted names (Linear W is [in, out]).
 */

export interface Array64 {
  data: Float64Array;
  shape: number[];
}
export type Params64 = ReadonlyMap<string, Array64>;
/** One sample's token sequence: rows of features, [T][D]. */
export type Mat = number[][];

export function param(p: Params64, name: string): Float64Array {
  const a = p.get(name);
  if (a === undefined) throw new Error(`float64 reference: no parameter '${name}' (have: ${[...p.keys()].join(', ')})`);
  return a.data;
}

/** Sample b of a [B, T, D] or [B, D] array as rows (one row for [B, D]). */
export function sampleRows(x: Array64, b: number): Mat {
  const [, t, d] = x.shape.length === 3 ? (x.shape as [number, number, number]) : [0, 1, x.shape[1]!];
  return Array.from({ length: t }, (_, i) => Array.from(x.data.subarray((b * t + i) * d, (b * t + i + 1) * d)));
}

export function linear(x: Mat, p: Params64, prefix: string): Mat {
  const w = param(p, `${prefix}.weight`);
  const bias = p.get(`${prefix}.bias`)?.data;
  const nIn = x[0]?.length ?? 0;
  const nOut = w.length / nIn;
  return x.map((row) => {
    const y = new Array<number>(nOut);
    for (let o = 0; o < nOut; o++) y[o] = bias?.[o] ?? 0;
    for (let i = 0; i < nIn; i++) {
      const v = row[i]!;
      for (let o = 0; o < nOut; o++) y[o] = y[o]! + v * w[i * nOut + o]!;
    }
    return y;
  });
}

export function layerNorm(x: Mat, p: Params64, prefix: string, eps = 1e-5): Mat {
  const g = param(p, `${prefix}.weight`), b = param(p, `${prefix}.bias`);
  return x.map((row) => {
    const m = row.reduce((s, v) => s + v, 0) / row.length;
    const v = row.reduce((s, u) => s + (u - m) ** 2, 0) / row.length;
    return row.map((u, i) => ((u - m) / Math.sqrt(v + eps)) * g[i]! + b[i]!);
  });
}

/** erf to ~1e-15: Taylor series near 0, Lentz-free continued fraction for erfc beyond 3. */
export function erf64(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = x, sum = x;
    for (let n = 1; n < 80; n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = ax;
  for (let k = 80; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * f);
  return Math.sign(x) * (1 - erfc);
}

export const ACT64: Record<string, (x: number) => number> = {
  gelu: (x) => 0.5 * x * (1 + erf64(x / Math.SQRT2)),
  'gelu-tanh': (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  'quick-gelu': (x) => x / (1 + Math.exp(-1.702 * x)),
  relu: (x) => Math.max(0, x),
};

export const mapMat = (x: Mat, f: (v: number) => number): Mat => x.map((r) => r.map(f));
export const addMat = (a: Mat, b: Mat): Mat => a.map((r, i) => r.map((v, j) => v + b[i]![j]!));

export function mlp(x: Mat, p: Params64, prefix: string, act: string): Mat {
  return linear(mapMat(linear(x, p, `${prefix}.fc1`), ACT64[act]!), p, `${prefix}.fc2`);
}

const cols = (x: Mat, from: number, to: number): Mat => x.map((r) => r.slice(from, to));

/** MultiHeadAttention for one sample; context undefined means self-attention; bias(i, j) is additive. */
export function attention(x: Mat, p: Params64, prefix: string, heads: number, context?: Mat, bias?: (i: number, j: number) => number): Mat {
  let q: Mat, k: Mat, v: Mat;
  if (context === undefined) {
    const qkv = linear(x, p, `${prefix}.qkv`);
    const d = qkv[0]!.length / 3;
    [q, k, v] = [cols(qkv, 0, d), cols(qkv, d, 2 * d), cols(qkv, 2 * d, 3 * d)];
  } else {
    q = linear(x, p, `${prefix}.q`);
    const kv = linear(context, p, `${prefix}.kv`);
    const d = q[0]!.length;
    [k, v] = [cols(kv, 0, d), cols(kv, d, 2 * d)];
  }
  const d = q[0]!.length, dh = d / heads;
  const merged: Mat = q.map(() => new Array<number>(d).fill(0));
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < q.length; i++) {
      const scores = k.map((kj, j) => {
        let s = 0;
        for (let c = h * dh; c < (h + 1) * dh; c++) s += q[i]![c]! * kj[c]!;
        return s / Math.sqrt(dh) + (bias?.(i, j) ?? 0);
      });
      const mx = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - mx));
      const z = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < k.length; j++) {
        for (let c = h * dh; c < (h + 1) * dh; c++) merged[i]![c]! += (e[j]! / z) * v[j]![c]!;
      }
    }
  }
  return linear(merged, p, `${prefix}.out`);
}

/** Pre-LN TransformerBlock for one sample. */
export function transformerBlock(x: Mat, p: Params64, prefix: string, heads: number, act: string, bias?: (i: number, j: number) => number): Mat {
  const h = addMat(x, attention(layerNorm(x, p, `${prefix}.ln1`), p, `${prefix}.attn`, heads, undefined, bias));
  return addMat(h, mlp(layerNorm(h, p, `${prefix}.ln2`), p, `${prefix}.mlp`, act));
}

/** Same additive value as keyPaddingBias for a 0/1 mask entry. */
export const maskBias = (m: number): number => (1 - m) * -1e9;
