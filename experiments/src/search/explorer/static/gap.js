// The gap-shift intervention and Recall@K, in the page so the slider re-scores without a
// round trip. Same conventions as @modalab/eval (gapShift, rankRetrieval): rows are
// re-normalised, Δ = mean(image) - mean(text) of the unit rows, ties count against the query.

/** Unit-length copies of the rows (Float64Array each). */
export function unitRows(rows) {
  return rows.map((r) => {
    let s = 0;
    for (const v of r) s += v * v;
    const n = Math.sqrt(Math.max(s, 1e-24));
    return Float64Array.from(r, (v) => v / n);
  });
}

function centroid(rows) {
  const c = new Float64Array(rows[0].length);
  for (const r of rows) for (let j = 0; j < c.length; j++) c[j] += r[j];
  for (let j = 0; j < c.length; j++) c[j] /= rows.length;
  return c;
}

/** Δ = c_image - c_text of unit rows. */
export function gapVector(image, text) {
  const a = centroid(image);
  const b = centroid(text);
  return a.map((v, j) => v - b[j]);
}

/** ||c_image - c_text||. */
export function gapOf(image, text) {
  return Math.hypot(...gapVector(image, text));
}

/** image' = normalise(image - λΔ), text' = normalise(text + λΔ), Δ measured on the unshifted rows. */
export function shift(image, text, lambda, delta = gapVector(image, text)) {
  const move = (rows, sign) => unitRows(rows.map((r) => r.map((v, j) => v + sign * lambda * delta[j])));
  return { image: move(image, -1), text: move(text, 1) };
}

/** Recall@K of query i finding gallery i (pessimistic ties): fraction with rank <= K. */
export function recallAtK(queries, gallery, ks) {
  const n = queries.length;
  const ranks = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const q = queries[i];
    const score = (g) => {
      let s = 0;
      for (let j = 0; j < q.length; j++) s += q[j] * g[j];
      return s;
    };
    const own = score(gallery[i]);
    let ahead = 0;
    for (let g = 0; g < gallery.length; g++) if (g !== i && score(gallery[g]) >= own) ahead++;
    ranks[i] = 1 + ahead;
  }
  const out = {};
  for (const k of ks) out[k] = ranks.filter((r) => r <= k).length / n;
  return out;
}

/** PCA projection (x - mean) · componentsᵀ of each row. */
export function project(rows, pca) {
  return rows.map((r) => pca.components.map((c) => c.reduce((s, w, j) => s + w * (r[j] - pca.mean[j]), 0)));
}
