#!/usr/bin/python3
"""The PyTorch side of `pnpm bench --vs-torch`: clip-mini training and inference throughput and
matmul GFLOP/s, measured the way experiments/src/bench/ measures them in tfjs.

Run from the repository root with Debian's python3-torch (no other dependency):

    /usr/bin/python3 tools/reference/clip_mini.py            # the full plan, a table
    /usr/bin/python3 tools/reference/clip_mini.py --quick --json
    /usr/bin/python3 tools/reference/clip_mini.py --plan plan.json --json   # what pnpm bench does

`pnpm bench --vs-torch` writes its plan (model sizes, batch, steps, matmul shapes, threads) to a
file and passes it with --plan, so both sides measure exactly the same rows with as many threads
as modalab's native kernels use; the defaults below are the same plan for running the script by
hand (threads: every CPU the process may use).

The model is modalab's clip-mini written with plain torch modules, layer for layer:
- image: NHWC 64x64x3 cut into 8x8 patches (row, column, channel order inside a patch, as
  PatchEmbedding does), a Linear to width 128, a CLS token, learned positions, a pre-norm,
  4 pre-LN blocks (fused qkv Linear, 4 heads, out Linear; MLP 4x with tanh-GELU), a final
  LayerNorm, the CLS token's feature;
- text: vocab 1000, context 16, width 128, 4 causal blocks, final LayerNorm, the last token's
  feature (every random caption fills the context, so the last real token is the last one);
- bias-free 128-d projections, L2 normalisation, symmetric InfoNCE with a learnable log logit
  scale (init log(1/0.07), clamped to [0, log 100] after each step as open_clip does);
- AdamW lr 1e-4, betas (0.9, 0.98), eps 1e-6 (modalab's defaults, CLIP's), weight decay 0.1 on
  everything but biases, norms, positions, the CLS token and the logit scale.

BLAS: Debian's torch and numpy call the libblas.so.3 alternative. The reference BLAS there is
slow; with libopenblas0-pthread installed it is OpenBLAS 0.3.21, which does not recognise recent
Xeons and falls back to SSE3 kernels unless OPENBLAS_CORETYPE names the core. `configure_blas`
sets OPENBLAS_CORETYPE=SkylakeX on AVX-512 CPUs before the library loads (an explicit value in
the environment wins) and `blas_report` says what was loaded and which kernels it picked.
"""
import argparse
import ctypes
import json
import math
import os
import statistics
import sys
import time

SCRIPT = "tools/reference/clip_mini.py"


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def configure_blas(threads=None):
    """Names the OpenBLAS core on AVX-512 CPUs and, when given, the thread count of OpenBLAS and
    OpenMP; must run before numpy or torch is imported (both read the environment on load)."""
    if "numpy" in sys.modules or "torch" in sys.modules:
        raise RuntimeError("configure_blas must run before numpy or torch is imported")
    if "OPENBLAS_CORETYPE" not in os.environ and "avx512f" in cpu_flags():
        os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
    if threads:
        os.environ["OPENBLAS_NUM_THREADS"] = str(threads)
        os.environ["OMP_NUM_THREADS"] = str(threads)


def loaded_libraries(words=("blas", "dnnl", "mkl", "blis", "lapack", "gomp")):
    libs = []
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if path.startswith("/") and any(w in os.path.basename(path) for w in words) and path not in libs:
                libs.append(path)
    return libs


def blas_report():
    """What BLAS the process loaded and, for OpenBLAS, the kernels it chose."""
    libs = loaded_libraries()
    report = {"libraries": libs, "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE")}
    for path in libs:
        if "openblas" not in os.path.basename(path):
            continue
        lib = ctypes.CDLL(path)
        for name in ("openblas_get_corename", "openblas_get_config"):
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                report[name.replace("openblas_get_", "openblas_")] = fn().decode()
        threads = getattr(lib, "openblas_get_num_threads", None)
        if threads is not None:
            report["openblas_threads"] = threads()
        break
    return report


def blas_summary(report):
    if "openblas_corename" in report:
        return f"OpenBLAS core {report['openblas_corename']}, {report.get('openblas_threads', '?')} threads ({report.get('openblas_config', '')})"
    names = [os.path.basename(p) for p in report["libraries"] if "blas" in os.path.basename(p)]
    return ", ".join(names) if names else "no BLAS library loaded"


def available_cpus():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


DEFAULT_PLAN = {
    "threads": None,
    "clip": {
        "name": "clip-mini",
        "batch": 64,
        "warmup": 2,
        "steps": 7,
        "image": {"size": 64, "patch": 8, "width": 128, "depth": 4, "heads": 4},
        "text": {"vocab": 1000, "context": 16, "width": 128, "depth": 4, "heads": 4},
        "mlpRatio": 4,
        "embedDim": 128,
        "lr": 1e-4,
        "weightDecay": 0.1,
    },
    "matmul": [
        {"bench": label, "size": n, "a": a, "b": b, "transposeA": ta, "transposeB": tb, "minMs": 400}
        for n in (256, 512, 1024, 2048)
        for label, a, b, ta, tb in (
            (f"matmul {n} plain", [n, n], [n, n], False, False),
            (f"matmul {n} transposed (A^T B^T)", [n, n], [n, n], True, True),
            (f"matmul {n} batched {n // 8}x[64,{n // 8}] (Q K^T)", [n // 8, 64, n // 8], [n // 8, 64, n // 8], False, True),
        )
    ],
}


def quick_plan(plan):
    """The CI-sized plan: a tiny model and one matmul size, seconds in total."""
    plan = json.loads(json.dumps(plan))
    plan["clip"].update(batch=8, warmup=1, steps=2)
    plan["clip"]["image"].update(size=16, width=32, depth=1)
    plan["clip"]["text"].update(context=8, width=32, depth=1)
    plan["clip"]["embedDim"] = 32
    plan["matmul"] = [dict(m, minMs=50) for m in plan["matmul"] if m["size"] == 256]
    return plan


def build_model(torch, cfg):
    nn = torch.nn
    F = torch.nn.functional

    class Block(nn.Module):
        """Pre-LN block: x + attn(ln(x)), then x + mlp(ln(x)), as modalab's TransformerBlock."""

        def __init__(self, d, heads, ratio):
            super().__init__()
            self.heads = heads
            self.ln1 = nn.LayerNorm(d, eps=1e-5)
            self.qkv = nn.Linear(d, 3 * d)
            self.out = nn.Linear(d, d)
            self.ln2 = nn.LayerNorm(d, eps=1e-5)
            self.fc1 = nn.Linear(d, ratio * d)
            self.fc2 = nn.Linear(ratio * d, d)

        def forward(self, x, bias=None):
            b, t, d = x.shape
            h, dh = self.heads, d // self.heads
            q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)  # 3 x [B, T, D]
            q, k, v = (y.reshape(b, t, h, dh).transpose(1, 2) for y in (q, k, v))  # [B, H, T, Dh]
            scores = (q * (1 / math.sqrt(dh))) @ k.transpose(-2, -1)  # [B, H, T, T]
            if bias is not None:
                scores = scores + bias
            ctx = torch.softmax(scores, dim=-1) @ v  # [B, H, T, Dh]
            x = x + self.out(ctx.transpose(1, 2).reshape(b, t, d))
            return x + self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh"))

    class Vit(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.p, d = c["patch"], c["width"]
            tokens = (c["size"] // c["patch"]) ** 2 + 1
            self.proj = nn.Linear(self.p * self.p * 3, d)
            self.cls = nn.Parameter(torch.randn(1, 1, d) * 0.02)
            self.pos = nn.Parameter(torch.randn(tokens, d) * 0.01)
            self.ln_pre = nn.LayerNorm(d, eps=1e-5)
            self.blocks = nn.ModuleList(Block(d, c["heads"], cfg["mlpRatio"]) for _ in range(c["depth"]))
            self.ln_post = nn.LayerNorm(d, eps=1e-5)

        def forward(self, images):  # [B, H, W, C], channels last as in tfjs
            b, hh, ww, ch = images.shape
            p = self.p
            patches = images.reshape(b, hh // p, p, ww // p, p, ch).permute(0, 1, 3, 2, 4, 5).reshape(b, -1, p * p * ch)
            x = torch.cat([self.cls.expand(b, -1, -1), self.proj(patches)], dim=1) + self.pos  # [B, N+1, D]
            x = self.ln_pre(x)
            for block in self.blocks:
                x = block(x)
            return self.ln_post(x)[:, 0]  # CLS token, [B, D]

    class Text(nn.Module):
        def __init__(self, c):
            super().__init__()
            d, t = c["width"], c["context"]
            self.embed = nn.Embedding(c["vocab"], d)
            self.pos = nn.Parameter(torch.randn(t, d) * 0.01)
            self.blocks = nn.ModuleList(Block(d, c["heads"], cfg["mlpRatio"]) for _ in range(c["depth"]))
            self.ln_final = nn.LayerNorm(d, eps=1e-5)
            # modalab adds -1e9 above the diagonal (not -inf): the same softmax.
            self.register_buffer("causal", torch.triu(torch.full((t, t), -1e9), diagonal=1))

        def forward(self, ids):  # [B, T]
            x = self.embed(ids) + self.pos[: ids.shape[1]]
            for block in self.blocks:
                x = block(x, self.causal)
            return self.ln_final(x)[:, -1]  # last token, [B, D]

    class ClipMini(nn.Module):
        def __init__(self):
            super().__init__()
            self.image = Vit(cfg["image"])
            self.text = Text(cfg["text"])
            e = cfg["embedDim"]
            self.image_projection = nn.Linear(cfg["image"]["width"], e, bias=False)
            self.text_projection = nn.Linear(cfg["text"]["width"], e, bias=False)
            self.log_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

        def encode(self, images, ids):
            a = F.normalize(self.image_projection(self.image(images)), dim=-1)
            t = F.normalize(self.text_projection(self.text(ids)), dim=-1)
            return a, t

        def loss(self, images, ids):
            a, t = self.encode(images, ids)
            logits = self.log_scale.exp() * a @ t.t()  # [B, B]
            target = torch.arange(a.shape[0])
            return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target))

    return ClipMini()


def no_decay(name):
    """modalab's defaultNoDecay: biases, norms, positions, the CLS token, the logit scale."""
    leaf = name.split(".")[-1]
    return leaf in ("bias", "log_scale", "cls", "pos") or ".ln" in "." + name


def median_rate(fn, items, warmup, steps):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return items / statistics.median(times)


def bench_clip(torch, cfg):
    torch.manual_seed(0)
    model = build_model(torch, cfg)
    params = dict(model.named_parameters())
    groups = [
        {"params": [p for n, p in params.items() if not no_decay(n)], "weight_decay": cfg["weightDecay"]},
        {"params": [p for n, p in params.items() if no_decay(n)], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=cfg["lr"], betas=(0.9, 0.98), eps=1e-6)
    b, im, tx = cfg["batch"], cfg["image"], cfg["text"]
    images = torch.rand(b, im["size"], im["size"], 3)
    ids = torch.randint(1, tx["vocab"], (b, tx["context"]))

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = model.loss(images, ids)
        loss.backward()
        opt.step()
        with torch.no_grad():
            model.log_scale.clamp_(0, math.log(100))
        return loss.item()

    def infer_step():
        with torch.no_grad():
            model.encode(images, ids)

    name = cfg.get("name", "clip-mini")
    rows = [
        {"bench": f"{name} train", "unit": "samples/s", "value": median_rate(train_step, b, cfg["warmup"], cfg["steps"])},
        {"bench": f"{name} inference", "unit": "samples/s", "value": median_rate(infer_step, b, cfg["warmup"], cfg["steps"])},
    ]
    parameters = sum(p.numel() for p in params.values())
    return rows, parameters


def matmul_flops(m):
    a, b = m["a"], m["b"]
    batch = a[0] if len(a) == 3 else 1
    rows = a[-1] if m["transposeA"] else a[-2]
    inner = a[-2] if m["transposeA"] else a[-1]
    cols = b[-2] if m["transposeB"] else b[-1]
    return 2 * batch * rows * cols * inner


def bench_matmul(torch, m):
    """GFLOP/s of one product, timed for at least minMs after a warm-up call (as matmul-gflops.ts)."""
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(*m["a"], generator=gen)
    b = torch.randn(*m["b"], generator=gen)
    a2 = a.transpose(-2, -1) if m["transposeA"] else a  # a view: BLAS reads it transposed
    b2 = b.transpose(-2, -1) if m["transposeB"] else b
    torch.matmul(a2, b2)
    reps, start = 0, time.perf_counter()
    while (time.perf_counter() - start) * 1000 < m["minMs"] or reps < 2:
        torch.matmul(a2, b2)
        reps += 1
    return matmul_flops(m) * reps / (time.perf_counter() - start) / 1e9


def run(plan):
    threads = plan.get("threads") or available_cpus()
    configure_blas(threads)
    import torch

    torch.set_num_threads(threads)
    rows, parameters = bench_clip(torch, plan["clip"]) if plan.get("clip") else ([], None)
    for m in plan.get("matmul", []):
        rows.append({"bench": m["bench"], "unit": "GFLOP/s", "value": bench_matmul(torch, m)})
    blas = blas_report()
    return {
        "script": SCRIPT,
        "path": f"torch {torch.__version__} ({threads} threads; {blas_summary(blas)})",
        "torch": torch.__version__,
        "threads": threads,
        "blas": blas,
        "parameters": parameters,
        "rows": rows,
    }


def print_table(result):
    print(result["path"])
    if result.get("parameters") is not None:
        print(f"clip parameters: {result['parameters']}")
    width = max(len(r["bench"]) for r in result["rows"])
    for r in result["rows"]:
        print(f"{r['bench']:<{width}}  {r['value']:10.1f} {r['unit']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plan", help="JSON file with the plan pnpm bench wrote (default: the full plan)")
    parser.add_argument("--quick", action="store_true", help="the CI-sized plan")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    if args.plan:
        with open(args.plan) as f:
            plan = json.load(f)
    else:
        plan = quick_plan(DEFAULT_PLAN) if args.quick else DEFAULT_PLAN
    result = run(plan)
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)


if __name__ == "__main__":
    main()
