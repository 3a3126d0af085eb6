#!/usr/bin/env python3
"""Reference numbers for @modalab/eval's linalg, diagnostics, project and stats modules.

Independent implementations in numpy (and scikit-learn for PCA), written without looking at
the TypeScript beyond the definitions in its docstrings. Inputs are drawn here with a fixed
numpy seed and stored in the fixture beside the expected outputs, so the TypeScript tests
need no RNG parity -- except the bootstrap, for which this script re-implements the sfc32
generator of @modalab/core's Rng so the resample indices are the same draws.

Run from the repository root with Debian's python (numpy 1.24, scikit-learn 1.2):

    /usr/bin/python3 tools/reference/eval_reference.py

It rewrites packages/eval/src/{linalg,diagnostics,project,stats}/fixtures/*.json.
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


if __name__ == '__main__':
    linalg_fixture()
    diagnostics_fixture()
