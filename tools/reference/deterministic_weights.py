"""Shared helpers for the PyTorch reference scripts: the deterministic weight pattern of
packages/core/src/testing/deterministic-init.ts, deterministic inputs, and the fixture format.

Weights are created in modalab's layouts under modalab's dotted names (Linear W is [in, out]),
then mapped into torch modules with torch.nn.utils.stateless.functional_call, so autograd gives
the gradients directly in modalab's layout. Everything is float64, from float32-rounded values,
so the tfjs side sees exactly the same numbers.
"""
import json
import math
import os

import numpy as np
import torch
from torch.nn.utils.stateless import functional_call

torch.set_default_dtype(torch.float64)
SCALE = 0.3  # deterministicInit's default scale


def fnv1a32(text: str) -> int:
    h = 0x811C9DC5
    for ch in text:
        h ^= ord(ch) & 0xFF
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def pattern(name: str, shape, scale: float = SCALE) -> torch.Tensor:
    """scale * sin(0.7 i + phase(name)), rounded to float32, as a float64 leaf that requires grad."""
    n = int(np.prod(shape))
    phase = (fnv1a32(name) % 10007) / 10007 * 2 * math.pi
    vals = (scale * np.sin(0.7 * np.arange(n) + phase)).astype(np.float32).astype(np.float64)
    return torch.tensor(vals.reshape(shape), requires_grad=True)


def sin_input(shape, phase: float = 0.0, scale: float = 1.0) -> torch.Tensor:
    """The same values as sinTensor in packages/core/src/fusion/test-support.ts."""
    n = int(np.prod(shape))
    vals = (scale * np.sin(0.37 * np.arange(n) + phase)).astype(np.float32).astype(np.float64)
    return torch.tensor(vals.reshape(shape), requires_grad=True)


def loss_weights(n: int) -> torch.Tensor:
    """Output weights w of the scalar sum(w * y) whose gradients are stored (lossWeights in TS)."""
    return torch.tensor((np.sin(1.3 * np.arange(n) + 0.5)).astype(np.float32).astype(np.float64))


def j(prefix: str, name: str) -> str:
    """Dotted join that allows an empty prefix (a module tested on its own has unprefixed names)."""
    return f"{prefix}.{name}" if prefix else name


class Params:
    """modalab parameters by dotted name, created on first use with the deterministic pattern."""

    def __init__(self):
        self.by_name = {}

    def __call__(self, name, shape):
        if name not in self.by_name:
            self.by_name[name] = pattern(name, shape)
        return self.by_name[name]

    def linear(self, ours, theirs, n_in, n_out, bias=True):
        """torch Linear stores weight [out, in]; ours is [in, out]."""
        m = {j(theirs, "weight"): self(j(ours, "weight"), (n_in, n_out)).T}
        if bias:
            m[j(theirs, "bias")] = self(j(ours, "bias"), (n_out,))
        return m

    def layer_norm(self, ours, theirs, dim):
        return {j(theirs, "weight"): self(j(ours, "weight"), (dim,)), j(theirs, "bias"): self(j(ours, "bias"), (dim,))}

    def attention(self, ours, theirs, dim, context_dim=None):
        """modalab MultiHeadAttention -> nn.MultiheadAttention (q, k, v head-major in both)."""
        m = {
            j(theirs, "out_proj.weight"): self(j(ours, "out.weight"), (dim, dim)).T,
            j(theirs, "out_proj.bias"): self(j(ours, "out.bias"), (dim,)),
        }
        if context_dim is None:
            m[j(theirs, "in_proj_weight")] = self(j(ours, "qkv.weight"), (dim, 3 * dim)).T
            m[j(theirs, "in_proj_bias")] = self(j(ours, "qkv.bias"), (3 * dim,))
            return m
        wq = self(j(ours, "q.weight"), (dim, dim))
        wkv = self(j(ours, "kv.weight"), (context_dim, 2 * dim))
        m[j(theirs, "in_proj_bias")] = torch.cat([self(j(ours, "q.bias"), (dim,)), self(j(ours, "kv.bias"), (2 * dim,))])
        if context_dim == dim:  # torch packs q, k, v into one in_proj_weight when all widths agree
            m[j(theirs, "in_proj_weight")] = torch.cat([wq.T, wkv.T], 0)
        else:
            m[j(theirs, "q_proj_weight")] = wq.T
            m[j(theirs, "k_proj_weight")] = wkv[:, :dim].T
            m[j(theirs, "v_proj_weight")] = wkv[:, dim:].T
        return m

    def mlp(self, ours, theirs_fc1, theirs_fc2, dim, hidden):
        return {**self.linear(j(ours, "fc1"), theirs_fc1, dim, hidden), **self.linear(j(ours, "fc2"), theirs_fc2, hidden, dim)}

    def transformer_block(self, ours, theirs, dim, hidden):
        """modalab's pre-LN TransformerBlock is nn.TransformerEncoderLayer(norm_first=True)."""
        return {
            **self.layer_norm(j(ours, "ln1"), j(theirs, "norm1"), dim),
            **self.attention(j(ours, "attn"), j(theirs, "self_attn"), dim),
            **self.layer_norm(j(ours, "ln2"), j(theirs, "norm2"), dim),
            **self.mlp(j(ours, "mlp"), j(theirs, "linear1"), j(theirs, "linear2"), dim, hidden),
        }


def as_json(t: torch.Tensor):
    t = t.detach()
    # 10 significant digits: far below the float32 tolerance, and half the size of full repr.
    return {"shape": list(t.shape), "data": [float(f"{v:.10g}") for v in t.reshape(-1).tolist()]}


def run_case(module, params: Params, mapping, inputs, forward, masks=None):
    """Forward through functional_call with our weights, backward sum(w * y); returns a fixture case."""
    theirs = {k for k, _ in module.named_parameters()}
    missing = theirs - set(mapping)
    extra = set(mapping) - theirs
    assert not missing and not extra, f"unmapped torch params {sorted(missing)}, unknown {sorted(extra)}"
    module.train()  # dropout is 0 everywhere; train mode keeps torch off its inference fast path
    y = forward(lambda *a, **kw: functional_call(module, mapping, a, kw))
    (y.reshape(-1) * loss_weights(y.numel())).sum().backward()
    grads = {name: as_json(p.grad) for name, p in params.by_name.items()}
    grads.update({f"input:{k}": as_json(v.grad) for k, v in inputs.items()})
    case = {"inputs": {k: as_json(v) for k, v in inputs.items()}, "output": as_json(y), "grads": grads}
    if masks:
        case["masks"] = {k: as_json(v) for k, v in masks.items()}
    return case


def write_fixture(path: str, script: str, cases):
    doc = {
        "script": script,
        "torch": torch.__version__,
        "scale": SCALE,
        "loss": "sum(w * y), w[i] = float32(sin(1.3 i + 0.5)); grads of our parameter names and input:<name>",
        "cases": cases,
    }
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(cases)} cases)")
