#!/usr/bin/env python3
"""Reference numbers for @modalab/eval's linalg, diagnostics, project, stats, retrieval (mAP),
probes and captioning (BLEU) modules.

Independent implementations in numpy (and scikit-learn for PCA, average precision and the
logistic-regression probe), written without looking at the TypeScript beyond the
definitions in its docstrings. Inputs are drawn here with a fixed
numpy seed and stored in the fixture beside the expected outputs, so the TypeScript tests
need no RNG parity -- except the bootstrap, for which this script re-implements the sfc32
generator of @modalab/core's Rng so the resample indices are the same draws.

Run from the repository root with Debian's python (numpy 1.24, scikit-learn 1.2, and nltk 3.8
from python3-nltk for BLEU):

    /usr/bin/python3 tools/reference/eval_reference.py [fixture ...]

With no arguments it rewrites packages/eval/src/{linalg,diagnostics,project,stats,retrieval,
probes,captioning}/fixtures/*.json; with names (e.g. `bleu`) only those fixtures.
"""
import json
import math
import os

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
EVAL_SRC = os.path.join(ROOT, 'packages', 'eval', 'src')


def write(module, name, payload):
    path = os.path.join(EVAL_SRC, module, 'fixtures', name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    payload = {'generator': 'tools/reference/eval_reference.py', **payload}
    with open(path, 'w') as f:
        json.dump(payload, f, indent=None, separators=(',', ':'))
        f.write('\n')
    print('wrote', os.path.relpath(path, ROOT))


def canonical_sign(v):
    """Flip so the entry of largest magnitude (first on a tie) is positive, as symmetricEigen does."""
    k = int(np.argmax(np.abs(v)))
    return -v if v[k] < 0 else v


def r(x, digits=15):
    """Round for JSON; float64 round-trips exactly through repr anyway, this only trims noise."""
    return np.asarray(x, dtype=np.float64).tolist()


# ---------------------------------------------------------------------------------------- linalg
def linalg_fixture():
    rng = np.random.default_rng(20240801)
    cases = []
    for n in (1, 2, 5, 12):
        b = rng.standard_normal((n, n))
        a = (b + b.T) / 2
        w, v = np.linalg.eigh(a)
        order = np.argsort(-w, kind='stable')
        cases.append({
            'name': f'random symmetric {n}x{n}',
            'a': r(a),
            'values': r(w[order]),
            'vectors': [r(canonical_sign(v[:, k])) for k in order],
        })
    # A covariance-like PSD matrix of rank 3 in 8 dims.
    x = rng.standard_normal((40, 3)) @ rng.standard_normal((3, 8))
    a = x.T @ x
    w, v = np.linalg.eigh(a)
    order = np.argsort(-w, kind='stable')
    cases.append({'name': 'rank-3 Gram 8x8', 'a': r(a), 'values': r(w[order]),
                  'vectors': [r(canonical_sign(v[:, k])) for k in order]})
    # Singular values of a tall and a wide matrix.
    svd = []
    for shape in ((30, 6), (5, 9)):
        m = rng.standard_normal(shape)
        svd.append({'x': r(m), 'singularValues': r(np.linalg.svd(m, compute_uv=False))})
    write('linalg', 'eigh.json', {'numpy': np.__version__, 'cases': cases, 'svd': svd})


# ----------------------------------------------------------------------------------- diagnostics
def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def gap(a, b):
    return float(np.linalg.norm(unit(a).mean(0) - unit(b).mean(0)))


def cone(x):
    u = unit(x)
    s = u @ u.T
    n = len(u)
    return float((s.sum() - np.trace(s)) / (n * (n - 1)))


def align(a, b, alpha=2.0):
    return float(np.mean(np.linalg.norm(unit(a) - unit(b), axis=1) ** alpha))


def unif(x, t=2.0):
    u = unit(x)
    i, j = np.triu_indices(len(u), k=1)
    sq = np.sum((u[i] - u[j]) ** 2, axis=1)
    return float(np.log(np.mean(np.exp(-t * sq))))


def rankme(x, eps=1e-7):
    s = np.linalg.svd(x, compute_uv=False)
    p = s / np.sum(np.abs(s)) + eps
    return float(np.exp(-np.sum(p * np.log(p))))


def shift(a, b, lam):
    ua, ub = unit(a), unit(b)
    delta = ua.mean(0) - ub.mean(0)
    return unit(ua - lam * delta), unit(ub + lam * delta)


def diagnostics_fixture():
    rng = np.random.default_rng(7)
    n, d = 24, 6
    # Two clusters offset from the origin (a modality gap), paired row by row with noise.
    base = rng.standard_normal((n, d))
    a = base + np.array([2.0, 0, 0, 0, 0, 0]) + 0.3 * rng.standard_normal((n, d))
    b = base + np.array([0, 1.5, 0, 0, 0, 0]) + 0.3 * rng.standard_normal((n, d))
    c = rng.standard_normal((15, d)) * np.array([3, 1, 1, 0.5, 0.1, 0.01])  # unpaired third modality
    sa, sb = shift(a, b, 0.3)
    out = {
        'a': r(a), 'b': r(b), 'c': r(c),
        'gap': gap(a, b), 'gapVector': r(unit(a).mean(0) - unit(b).mean(0)), 'gapAC': gap(a, c),
        'cone': {'a': cone(a), 'b': cone(b), 'c': cone(c)},
        'alignment': align(a, b), 'alignmentAlpha1': align(a, b, 1.0),
        'uniformity': {'a': unif(a), 'b': unif(b), 'c': unif(c), 'aT5': unif(a, 5.0)},
        'jointUniformity': unif(np.vstack([a, b])), 'jointUniformityAC': unif(np.vstack([a, c])),
        'rankMe': {'a': rankme(a), 'b': rankme(b), 'c': rankme(c), 'cT': rankme(c.T)},
        'shift': {'lambda': 0.3, 'a': r(sa), 'b': r(sb), 'gap': gap(sa, sb)},
    }
    write('diagnostics', 'geometry.json', {'numpy': np.__version__, **out})


# --------------------------------------------------------------------------------------- project
def project_fixture():
    from sklearn import __version__ as sk_version
    from sklearn.decomposition import PCA
    rng = np.random.default_rng(11)
    cases = []
    tall = rng.standard_normal((50, 6)) * np.array([5, 3, 2, 1, 0.5, 0.1]) + 4.0
    wide = rng.standard_normal((8, 20)) + np.linspace(-1, 1, 20)
    for name, x, k in (('tall 50x6', tall, 4), ('wide 8x20', wide, 3)):
        model = PCA(n_components=k, svd_solver='full').fit(x)
        comps = np.array([canonical_sign(c) for c in model.components_])
        new = rng.standard_normal((3, x.shape[1]))
        cases.append({
            'name': name, 'x': r(x), 'components': r(comps), 'mean': r(model.mean_),
            'explainedVariance': r(model.explained_variance_),
            'explainedVarianceRatio': r(model.explained_variance_ratio_),
            'singularValues': r(model.singular_values_),
            # sklearn's transform with its own signs, re-signed to the canonical axes.
            'projected': r(model.transform(x) * np.sign(np.sum(model.components_ * comps, axis=1))),
            'new': r(new), 'newProjected': r((new - model.mean_) @ comps.T),
        })
    write('project', 'pca.json', {'numpy': np.__version__, 'sklearn': sk_version, 'cases': cases})


# ----------------------------------------------------------------------------------------- stats
class Sfc32:
    """The sfc32 generator exactly as @modalab/core's Rng (packages/core/src/random/rng.ts)."""

    M = 0xFFFFFFFF

    def __init__(self, seed):
        s = seed & self.M
        self.s = [0x9E3779B9, 0x243F6A88 ^ s, 0xB7E15162, s]
        for _ in range(15):
            self.next_uint32()

    def next_uint32(self):
        s, M = self.s, self.M
        t = (s[0] + s[1] + s[3]) & M
        s[3] = (s[3] + 1) & M
        s[0] = s[1] ^ (s[1] >> 9)
        s[1] = (s[2] + (s[2] << 3)) & M
        s[2] = ((s[2] << 21) | (s[2] >> 11)) & M
        s[2] = (s[2] + t) & M
        return t

    def int(self, n):
        return int(math.floor(self.next_uint32() / 4294967296 * n))


def bootstrap_indices(seed, n, resamples):
    rng = Sfc32(seed)
    return np.array([[rng.int(n) for _ in range(n)] for _ in range(resamples)])


def t_pdf(x, df):
    c = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)
    return c * (1 + x * x / df) ** (-(df + 1) / 2)


def t_cdf(x, df):
    """P(T <= x) by composite Simpson on [0, |x|] (independent of the TS continued fraction)."""
    m = 200000
    grid = np.linspace(0, abs(x), m + 1)
    f = t_pdf(grid, df)
    area = abs(x) / m / 3 * (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum())
    return 0.5 + area if x >= 0 else 0.5 - area


def t_quantile(p, df):
    lo, hi = 0.0, 64.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def stats_fixture():
    rng = np.random.default_rng(3)
    n, B, seed = 30, 500, 42
    hits = (rng.random(n) < 0.4).astype(float)          # per-query recall@1 of config A
    ranks = rng.integers(1, 50, n).astype(float)         # per-query ranks (median statistic)
    hits_b = np.clip(hits + (rng.random(n) < 0.2), 0, 1)  # config B: A plus a few more hits
    idx = bootstrap_indices(seed, n, B)
    boot_mean = hits[idx].mean(axis=1)
    boot_median = np.median(ranks[idx], axis=1)
    diffs = hits[idx].mean(axis=1) - hits_b[idx].mean(axis=1)
    p_boot = min(1.0, 2 * (1 + min((diffs <= 0).sum(), (diffs >= 0).sum())) / (B + 1))
    seeds_a = np.array([0.412, 0.398, 0.431, 0.405, 0.420])
    seeds_b = np.array([0.401, 0.380, 0.425, 0.399, 0.404])
    d = seeds_a - seeds_b
    t = d.mean() / (d.std(ddof=1) / math.sqrt(len(d)))
    tq = t_quantile(0.975, len(d) - 1)
    out = {
        'seed': seed, 'resamples': B, 'hits': r(hits), 'ranks': r(ranks), 'hitsB': r(hits_b),
        'firstIndices': idx[0, :10].tolist(),
        'bootMean': {'estimate': hits.mean(), 'lower': np.percentile(boot_mean, 2.5), 'upper': np.percentile(boot_mean, 97.5)},
        'bootMedian90': {'estimate': float(np.median(ranks)), 'lower': np.percentile(boot_median, 5), 'upper': np.percentile(boot_median, 95)},
        'pairedBootstrap': {'estimate': hits.mean() - hits_b.mean(), 'lower': np.percentile(diffs, 2.5),
                            'upper': np.percentile(diffs, 97.5), 'pValue': p_boot},
        'seedsA': r(seeds_a), 'seedsB': r(seeds_b),
        'aggregateA': {'mean': seeds_a.mean(), 'std': seeds_a.std(ddof=1),
                       'lower': seeds_a.mean() - tq * seeds_a.std(ddof=1) / math.sqrt(5),
                       'upper': seeds_a.mean() + tq * seeds_a.std(ddof=1) / math.sqrt(5)},
        'pairedT': {'t': t, 'df': len(d) - 1, 'pValue': 2 * (1 - t_cdf(abs(t), len(d) - 1)),
                    'lower': d.mean() - tq * d.std(ddof=1) / math.sqrt(5), 'upper': d.mean() + tq * d.std(ddof=1) / math.sqrt(5)},
        'tQuantiles': [{'p': p, 'df': df, 'q': t_quantile(p, df)} for p, df in ((0.975, 3), (0.975, 7), (0.995, 12), (0.9, 40))],
    }
    out = json.loads(json.dumps(out, default=float))
    write('stats', 'stats.json', {'numpy': np.__version__, **out})


# ------------------------------------------------------------------------------------- retrieval
def retrieval_fixture():
    """mAP with several positives per query against sklearn's average_precision_score.

    sklearn merges tied scores into one threshold while rankRetrieval counts ties against
    the query, so the data are checked to be tie-free with a margin well above float32
    rounding (the TypeScript side scores in float32).
    """
    from sklearn import __version__ as sk_version
    from sklearn.metrics import average_precision_score
    rng = np.random.default_rng(8)
    q_count, g_count, d = 40, 60, 8
    while True:  # redraw until every row is tie-free by a margin of 1e-5 (float32 error ~1e-7)
        queries = unit(rng.standard_normal((q_count, d)))
        gallery = unit(rng.standard_normal((g_count, d)))
        scores = queries @ gallery.T
        if np.diff(np.sort(scores, axis=1), axis=1).min() > 1e-5:
            break
    positives, ap, best = [], [], []
    for q in range(q_count):
        pos = sorted(rng.choice(g_count, size=int(rng.integers(1, 6)), replace=False).tolist())
        y = np.zeros(g_count)
        y[pos] = 1
        positives.append(pos)
        ap.append(float(average_precision_score(y, scores[q])))
        best.append(int(1 + np.sum(scores[q] > scores[q, pos].max())))
    write('retrieval', 'average-precision.json', {
        'numpy': np.__version__, 'sklearn': sk_version, 'queries': r(queries), 'gallery': r(gallery),
        'positives': positives, 'averagePrecision': ap, 'map': float(np.mean(ap)), 'bestRank': best,
    })


# ---------------------------------------------------------------------------------------- probes
def probes_fixture():
    """Linear probe against sklearn's multinomial LogisticRegression.

    Our objective is mean CE + lambda/2 ||W||^2 (bias unpenalised) on features standardised
    with the training split's mean and population std; sklearn minimises
    C * sum CE + 1/2 ||W||^2, the same problem with C = 1 / (lambda * n_train).
    """
    from sklearn import __version__ as sk_version
    from sklearn.linear_model import LogisticRegression
    rng = np.random.default_rng(21)
    d, classes = 5, 3
    means = rng.standard_normal((classes, d)) * 1.2
    def draw(n):
        y = rng.integers(0, classes, n)
        return means[y] + rng.standard_normal((n, d)) * np.array([1, 1, 1, 2, 3]) + 0.5, y
    xtr, ytr = draw(150)
    xva, yva = draw(60)
    xte, yte = draw(90)
    mu, sd = xtr.mean(0), xtr.std(0)
    z = lambda x: (x - mu) / sd
    sweep = []
    for lam in (1e-4, 1e-3, 1e-2, 1e-1, 1.0):
        m = LogisticRegression(C=1 / (lam * len(xtr)), multi_class='multinomial', solver='lbfgs', tol=1e-12, max_iter=100000)
        m.fit(z(xtr), ytr)
        logits = z(xtr) @ m.coef_.T + m.intercept_
        logz = np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1)) + logits.max(1)
        loss = float(np.mean(logz - logits[np.arange(len(ytr)), ytr]) + lam / 2 * np.sum(m.coef_ ** 2))
        sweep.append({'weightDecay': lam, 'loss': loss,
                      'trainAccuracy': float(m.score(z(xtr), ytr)), 'validationAccuracy': float(m.score(z(xva), yva)),
                      'testAccuracy': float(m.score(z(xte), yte)), 'weights': r(m.coef_.T), 'bias': r(m.intercept_)})
    best = max(range(len(sweep)), key=lambda i: (sweep[i]['validationAccuracy'], i))  # tie -> larger lambda
    write('probes', 'logistic.json', {
        'numpy': np.__version__, 'sklearn': sk_version,
        'train': {'x': r(xtr), 'y': ytr.tolist()}, 'validation': {'x': r(xva), 'y': yva.tolist()},
        'test': {'x': r(xte), 'y': yte.tolist()}, 'sweep': sweep,
        'chosenWeightDecay': sweep[best]['weightDecay'], 'testAccuracy': sweep[best]['testAccuracy'],
    })


# ------------------------------------------------------------------------------------ captioning
def bleu_fixture():
    """Corpus BLEU against nltk.translate.bleu_score.corpus_bleu (no smoothing, weights 0.25 x 4).

    nltk agrees with bleu.ts on the closest reference length (the shorter on a tie) and the
    brevity penalty (1 if c > r, 0 if c = 0, else exp(1 - r/c)). It differs in two places, so
    the cases keep to inputs where the definitions agree:
      - modified_precision floors each sentence's n-gram count at 1 (max(1, count)), so a
        candidate with fewer than n words adds 1 to the corpus denominator of order n where
        bleu.ts adds 0. Every candidate here has at least 4 words.
      - with no smoothing, an order with 0 matches is replaced by sys.float_info.min, so nltk
        returns about 1e-77 (with a warning) where bleu.ts returns exactly 0; a corpus with no
        unigram match returns exactly 0 in both.
    Candidates and references are stored as token lists (the tokenizer is not under test).
    """
    import sys
    import warnings
    from fractions import Fraction
    import nltk
    from nltk.translate.bleu_score import brevity_penalty, closest_ref_length, corpus_bleu, modified_precision
    t = str.split
    cases = [
        ('captions, several references each', [
            ('a man riding a horse on a beach', ['a man rides a horse along the beach', 'a person riding a brown horse on the sand',
                                                  'a man on a horse at the beach', 'man riding a horse near the ocean']),
            ('two dogs playing in the snow', ['two dogs play in the snow', 'a pair of dogs running through snow',
                                              'two dogs are playing together in deep snow']),
            ('a plate of food with broccoli and rice', ['a plate with broccoli rice and chicken', 'a plate of food with rice and broccoli',
                                                         'a white plate of rice and vegetables']),
        ]),
        ('brevity penalty: candidates shorter than every reference', [
            ('a cat on a couch', ['a grey cat sleeping on a red couch', 'a cat is lying on the couch in the living room']),
            ('people walking down a street', ['a group of people walking down a busy city street', 'many people walk down a street at night']),
        ]),
        ('closest reference length: a tie takes the shorter, a nearer longer one is used', [
            # c = 5 between references of 4 and 6 words: r = 4 (nltk and bleu.ts; the longer would give 6).
            ('the red bus is parked', ['the red bus parked', 'a red bus is parked outside']),
            # c = 6 with references of 2 and 9 words: the nearer is the longer one, r = 9.
            ('a train at the station platform', ['a train', 'a long passenger train waiting at the station platform']),
        ]),
        ('clipping: a repeated word counts at most as often as in one reference', [
            ('the the the the the the', ['the cat is on the mat', 'there is a cat on the mat']),
            ('a dog and a dog and a dog', ['a dog and a cat', 'a dog chasing a dog in a park']),
        ]),
        ('no 4-gram match anywhere: BLEU-4 is 0 (nltk ~1e-77), BLEU-1..3 are not', [
            ('a small dog runs across the green grass', ['a small dog running on grass', 'the dog runs across a green field']),
            ('a woman holding an umbrella in rain', ['a woman with an umbrella walking in the rain', 'woman holding umbrella in the rain']),
        ]),
        ('identical to one reference', [
            ('a bowl of fresh fruit on a table', ['fruit in a bowl', 'a bowl of fresh fruit on a table']),
        ]),
    ]
    # Random corpus over a small vocabulary so higher-order matches happen by chance.
    rng = np.random.default_rng(12)
    vocab = 'a the dog cat on in'.split()
    random_items = []
    for _ in range(25):
        cand = ' '.join(rng.choice(vocab, size=int(rng.integers(4, 13))))
        refs = [' '.join(rng.choice(vocab, size=int(rng.integers(2, 15)))) for _ in range(int(rng.integers(1, 6)))]
        random_items.append((cand, refs))
    cases.append(('random corpus: 25 candidates of 4-12 words, 1-5 references of 2-14 words, 6-word vocabulary', random_items))

    weights = [(1.0,), (1 / 2,) * 2, (1 / 3,) * 3, (1 / 4,) * 4]
    out = []
    for name, items in cases:
        hyps = [t(c) for c, _ in items]
        refs = [[t(x) for x in rs] for _, rs in items]
        assert all(len(h) >= 4 for h in hyps), f'{name}: a candidate under 4 words would hit the max(1, count) difference'
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # method0's "0 counts of n-gram overlaps" warning
            bleu_n = [float(x) for x in corpus_bleu(refs, hyps, weights=weights)]
        nums = [sum(modified_precision(rs, h, n).numerator for rs, h in zip(refs, hyps)) for n in range(1, 5)]
        dens = [sum(modified_precision(rs, h, n).denominator for rs, h in zip(refs, hyps)) for n in range(1, 5)]
        c = sum(len(h) for h in hyps)
        r_len = sum(closest_ref_length(rs, len(h)) for rs, h in zip(refs, hyps))
        out.append({
            'name': name, 'candidates': hyps, 'references': refs,
            'bleu': bleu_n[3], 'bleuN': bleu_n,
            'precisions': [float(Fraction(a, b)) for a, b in zip(nums, dens)], 'matches': nums, 'totals': dens,
            'brevityPenalty': float(brevity_penalty(r_len, c)), 'candidateLength': c, 'referenceLength': r_len,
        })
    write('captioning', 'bleu.json', {
        'nltk': nltk.__version__, 'python': sys.version.split()[0],
        'call': 'corpus_bleu(references, candidates, weights=[(1,), (1/2,)*2, (1/3,)*3, (1/4,)*4]), no smoothing',
        'cases': out,
    })


FIXTURES = {
    'linalg': linalg_fixture, 'diagnostics': diagnostics_fixture, 'project': project_fixture,
    'stats': stats_fixture, 'retrieval': retrieval_fixture, 'probes': probes_fixture, 'bleu': bleu_fixture,
}

if __name__ == '__main__':
    import sys
    names = sys.argv[1:] or list(FIXTURES)
    for unknown in [n for n in names if n not in FIXTURES]:
        sys.exit(f'Unknown fixture {unknown!r}. Known: {", ".join(FIXTURES)}')
    for n in names:
        FIXTURES[n]()
