#!/usr/bin/python3
"""The numpy side of `pnpm bench --vs-torch`'s retrieval row: exact top-k cosine retrieval,
queries per second, measured the way experiments/src/bench/retrieval.ts measures it in tfjs.

    /usr/bin/python3 tools/reference/retrieval_bench.py              # 100k x 256 gallery, 1000 queries
    /usr/bin/python3 tools/reference/retrieval_bench.py --plan plan.json --json

Gallery and queries are random unit rows (speed does not depend on content). A search is the
[queries, chunk] similarity block per gallery chunk (one BLAS sgemm each), `argpartition` for
each row's k best in the block, and a merge of the per-chunk candidates, sorted: the same
exact result as sorting every similarity. The BLAS is set up as in clip_mini.py
(OPENBLAS_CORETYPE on AVX-512 CPUs, reported in the output).
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clip_mini import available_cpus, blas_report, blas_summary, configure_blas  # noqa: E402

SCRIPT = "tools/reference/retrieval_bench.py"
DEFAULT_PLAN = {"retrieval": {"bench": "retrieval top-10 (100000x256, 1000 queries)", "gallery": 100_000, "dim": 256, "queries": 1000, "k": 10, "chunk": 8192, "repeats": 3}}


def unit_rows(np, rng, n, d):
    x = rng.standard_normal((n, d), dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def top_k(np, queries, gallery, k, chunk):
    """Indices [Q, k] and scores [Q, k] of the k most similar gallery rows, best first."""
    cand_idx, cand_val = [], []
    for start in range(0, gallery.shape[0], chunk):
        block = queries @ gallery[start : start + chunk].T  # [Q, chunk]
        kk = min(k, block.shape[1])
        part = np.argpartition(-block, kk - 1, axis=1)[:, :kk]
        cand_idx.append(part + start)
        cand_val.append(np.take_along_axis(block, part, axis=1))
    idx = np.concatenate(cand_idx, axis=1)
    val = np.concatenate(cand_val, axis=1)
    order = np.argsort(-val, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(val, order, axis=1)


def run(plan):
    configure_blas(plan.get("threads"))
    import numpy as np

    r = plan["retrieval"]
    rng = np.random.default_rng(0)
    gallery = unit_rows(np, rng, r["gallery"], r["dim"])
    queries = unit_rows(np, rng, r["queries"], r["dim"])
    # Checked once on a few queries: the chunked search equals a full sort.
    idx, _ = top_k(np, queries[:4], gallery, r["k"], r["chunk"])
    full = np.argsort(-(queries[:4] @ gallery.T), axis=1, kind="stable")[:, : r["k"]]
    if not np.array_equal(idx, full):
        raise AssertionError("retrieval_bench: chunked top-k differs from the full sort")
    top_k(np, queries, gallery, r["k"], r["chunk"])  # warm-up
    times = []
    for _ in range(r.get("repeats", 3)):
        start = time.perf_counter()
        top_k(np, queries, gallery, r["k"], r["chunk"])
        times.append(time.perf_counter() - start)
    blas = blas_report()
    threads = blas.get("openblas_threads", plan.get("threads") or available_cpus())
    return {
        "script": SCRIPT,
        "path": f"numpy {np.__version__} ({blas_summary(blas)})",
        "numpy": np.__version__,
        "threads": threads,
        "blas": blas,
        "rows": [{"bench": r["bench"], "unit": "queries/s", "value": r["queries"] / statistics.median(times)}],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plan", help="JSON file with the plan pnpm bench wrote (default: the full plan)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    if args.plan:
        with open(args.plan) as f:
            plan = json.load(f)
    else:
        plan = DEFAULT_PLAN
    if not plan.get("retrieval"):
        raise SystemExit("retrieval_bench.py: the plan has no 'retrieval' section")
    result = run(plan)
    if args.json:
        print(json.dumps(result))
    else:
        print(result["path"])
        for row in result["rows"]:
            print(f"{row['bench']}  {row['value']:.1f} {row['unit']}")


if __name__ == "__main__":
    main()
