"""PyTorch reference outputs and gradients for modalab's layers (float64).

Run: /usr/bin/python3 tools/reference/layers.py
Writes packages/core/src/layers/fixtures/layers-torch.json, read by layers-parity.test.ts.
Weights follow deterministicInit (see deterministic_weights.py), so no RNG parity is needed.
"""
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(__file__))
from deterministic_weights import Params, run_case, sin_input, write_fixture  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "packages/core/src/layers/fixtures/layers-torch.json")


def layer_norm():
    p = Params()
    mapping = p.layer_norm("", "", 8)
    x = sin_input((2, 3, 8), 0.1, 1.5)
    return run_case(nn.LayerNorm(8, eps=1e-5), p, mapping, {"x": x}, lambda f: f(x))


def gelu(approximate):
    x = sin_input((2, 5), 0.2, 3.0)
    return run_case(nn.GELU(approximate=approximate), Params(), {}, {"x": x}, lambda f: f(x))


def key_padding(mask):
    """modalab masks are 1 for real tokens; torch's key_padding_mask is True where padded."""
    return mask == 0


def self_attention():
    p = Params()
    mha = nn.MultiheadAttention(8, 2, dropout=0.0, batch_first=True)
    mapping = p.attention("", "", 8)
    x = sin_input((2, 4, 8), 0.3)
    mask = torch.tensor([[1.0, 1, 1, 0], [1, 1, 1, 1]])
    causal = torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)
    case = run_case(
        mha, p, mapping, {"x": x},
        lambda f: f(x, x, x, key_padding_mask=key_padding(mask), attn_mask=causal, need_weights=False)[0],
        masks={"x": mask},
    )
    case["options"] = {"causal": True}
    return case


def cross_attention():
    p = Params()
    mha = nn.MultiheadAttention(8, 2, dropout=0.0, batch_first=True, kdim=6, vdim=6)
    mapping = p.attention("", "", 8, context_dim=6)
    x = sin_input((2, 3, 8), 0.5)
    context = sin_input((2, 5, 6), 1.7)
    mask = torch.tensor([[1.0, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    return run_case(
        mha, p, mapping, {"x": x, "context": context},
        lambda f: f(x, context, context, key_padding_mask=key_padding(mask), need_weights=False)[0],
        masks={"context": mask},
    )


if __name__ == "__main__":
    write_fixture(OUT, "tools/reference/layers.py", {
        "layerNorm": layer_norm(),
        "gelu": gelu("none"),
        "geluTanh": gelu("tanh"),
        "selfAttentionPaddingCausal": self_attention(),
        "crossAttentionPadding": cross_attention(),
    })
