#!/usr/bin/python3
"""Golden outputs and input gradients of modalab's losses, computed in float64 PyTorch.

Run from the repository root with Debian's python3-torch (no other dependency):

    /usr/bin/python3 tools/reference/losses.py

It rewrites packages/core/src/losses/fixtures/*.json. Inputs are sin of a range (no RNG, so
nothing depends on torch's generator), recorded in each fixture with the script name and the
torch version. The formulas follow open_clip (ClipLoss, SigLipLoss), VSE++ (hardest negative)
and Wang & Isola's reference code (align_loss, uniform_loss), written out here so each line can
be read against the TypeScript.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

SCRIPT = "tools/reference/losses.py"
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "packages", "core", "src", "losses", "fixtures")
torch.set_default_dtype(torch.float64)


def det(b, e, phase, freq=0.9, normalise=True):
    """[b, e] of sin(freq k + phase), rows L2-normalised unless asked not to."""
    x = torch.sin(torch.arange(b * e, dtype=torch.float64) * freq + phase).reshape(b, e)
    return F.normalize(x, dim=1) if normalise else x


def leaf(x):
    return x.detach().clone().requires_grad_(True)


def info_nce(a, b, scale, positives):
    """Symmetric InfoNCE with targets uniform over each row's (column's) positives."""
    logits = scale * a @ b.t()
    def direction(lg, mask):
        counts = mask.sum(1, keepdim=True)
        rows = counts.squeeze(1) > 0
        targets = mask / counts.clamp(min=1)
        return F.cross_entropy(lg[rows], targets[rows])  # probability targets, mean over rows
    a_to_b = direction(logits, positives)
    b_to_a = direction(logits.t(), positives.t())
    return {"loss": (a_to_b + b_to_a) / 2, "aToB": a_to_b, "bToA": b_to_a}


def siglip(image, text, t, bias, positives):
    logits = torch.exp(t) * image @ text.t() + bias
    labels = 2 * positives - 1
    return {"loss": -F.logsigmoid(labels * logits).sum() / image.shape[0]}


def triplet(a, b, margin, metric):
    if metric == "cosine":
        scores = F.normalize(a, dim=1) @ F.normalize(b, dim=1).t()
    else:
        scores = -torch.cdist(a, b)
    eye = torch.eye(a.shape[0], dtype=torch.bool)
    def direction(s):
        hardest = s.masked_fill(eye, -math.inf).max(1).values
        return F.relu(margin - s.diagonal() + hardest).mean()
    a_to_b, b_to_a = direction(scores), direction(scores.t())
    return {"loss": (a_to_b + b_to_a) / 2, "aToB": a_to_b, "bToA": b_to_a}


def align_uniform(a, b, alpha, t, weight):
    alignment = (a - b).norm(p=2, dim=1).pow(alpha).mean()
    uniform = lambda x: torch.pdist(x, p=2).pow(2).mul(-t).exp().mean().log()
    uniformity = (uniform(a) + uniform(b)) / 2
    return {"loss": alignment + weight * uniformity, "alignment": alignment, "uniformity": uniformity}


def binding(embeddings, scale, anchor, reduction):
    names = sorted(embeddings)
    if anchor is None:
        pairs = [(m, n) for i, m in enumerate(names) for n in names[i + 1:]]
    else:
        pairs = [(anchor, m) for m in names if m != anchor]
    eye = torch.eye(next(iter(embeddings.values())).shape[0])
    out = {f"{m}:{n}": info_nce(embeddings[m], embeddings[n], scale, eye)["loss"] for m, n in pairs}
    total = sum(out.values())
    out["loss"] = total / len(pairs) if reduction == "mean" else total
    return out


def case(name, fn, inputs, params):
    """Evaluates fn on leaf copies of the tensor inputs; returns outputs and d loss / d input."""
    leaves = {k: leaf(v) for k, v in inputs.items()}
    outputs = fn(**leaves, **params)
    grads = torch.autograd.grad(outputs["loss"], list(leaves.values()))
    as_list = lambda v: v.detach().tolist()
    return {
        "name": name,
        "params": {k: (as_list(v) if torch.is_tensor(v) else v) for k, v in params.items()},
        "inputs": {k: as_list(v) for k, v in inputs.items()},
        "outputs": {k: v.item() for k, v in outputs.items()},
        "grads": {k: as_list(g) for k, g in zip(leaves, grads)},
    }


def write(file, description, cases):
    doc = {"script": SCRIPT, "torch": torch.__version__, "dtype": "float64", "description": description, "cases": cases}
    with open(os.path.join(OUT, file), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {file}: {len(cases)} case(s)")


def main():
    os.makedirs(OUT, exist_ok=True)
    s = torch.tensor(10.0)
    multi = torch.tensor([[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]], dtype=torch.float64)
    write("info-nce.json", "infoNce(a, b, scale, { positives }): loss, both directions, d loss / d (a, b, scale)", [
        case("identity B=1 E=4", info_nce, {"a": det(1, 4, 0.1), "b": det(1, 4, 1.3), "scale": s}, {"positives": torch.eye(1)}),
        case("identity B=3 E=5", info_nce, {"a": det(3, 5, 0.1), "b": det(3, 5, 1.3, 1.4), "scale": s}, {"positives": torch.eye(3)}),
        case("multi-positive B=4 E=6", info_nce, {"a": det(4, 6, 0.2), "b": det(4, 6, 2.1, 0.7), "scale": torch.tensor(7.0)}, {"positives": multi}),
    ])
    t0, b0 = torch.tensor(math.log(10.0)), torch.tensor(-10.0)
    write("siglip.json", "sigLipLoss(image, text, exp(t), bias, { positives }): loss, d loss / d (image, text, t, bias)", [
        case("init t=log 10, b=-10, B=4 E=6", siglip, {"image": det(4, 6, 0.3), "text": det(4, 6, 0.8, 1.6), "t": t0, "bias": b0}, {"positives": torch.eye(4)}),
        case("t=log 3, b=0.5, multi-positive B=4 E=6", siglip, {"image": det(4, 6, 0.3), "text": det(4, 6, 0.8, 1.6), "t": torch.tensor(math.log(3.0)), "bias": torch.tensor(0.5)}, {"positives": multi}),
        case("init, B=1 E=4", siglip, {"image": det(1, 4, 0.3), "text": det(1, 4, 0.8), "t": t0, "bias": b0}, {"positives": torch.eye(1)}),
    ])
    write("triplet.json", "tripletLoss(a, b, { metric, margin }): hardest in-batch negative, both directions", [
        case("cosine margin 0.5 B=4 E=5", triplet, {"a": det(4, 5, 0.4, 0.9, False), "b": det(4, 5, 1.7, 1.3, False)}, {"margin": 0.5, "metric": "cosine"}),
        case("euclidean margin 1 B=4 E=5", triplet, {"a": det(4, 5, 0.4, 0.9, False), "b": det(4, 5, 1.7, 1.3, False)}, {"margin": 1.0, "metric": "euclidean"}),
    ])
    write("align-uniform.json", "alignUniformLoss(a, b, { alpha, t, uniformityWeight }) on unit rows", [
        case("alpha 2 t 2 B=4 E=5", align_uniform, {"a": det(4, 5, 0.5), "b": det(4, 5, 0.9, 1.2)}, {"alpha": 2.0, "t": 2.0, "weight": 1.0}),
        case("alpha 1 t 3 weight 0.5 B=3 E=4", align_uniform, {"a": det(3, 4, 0.5), "b": det(3, 4, 0.9, 1.2)}, {"alpha": 1.0, "t": 3.0, "weight": 0.5}),
    ])
    three = {"audio": det(3, 4, 0.1), "image": det(3, 4, 0.6, 1.1), "text": det(3, 4, 1.9, 1.5)}
    fn = lambda scale, anchor, reduction, **emb: binding(emb, scale, anchor, reduction)
    write("binding.json", "bindingLoss({ audio, image, text }, scale, { anchor, reduction }): total and per pair", [
        case("all pairs, mean", fn, dict(three), {"scale": 10.0, "anchor": None, "reduction": "mean"}),
        case("anchor image, sum", fn, dict(three), {"scale": 10.0, "anchor": "image", "reduction": "sum"}),
    ])


if __name__ == "__main__":
    main()
