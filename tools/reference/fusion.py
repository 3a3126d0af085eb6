"""PyTorch reference outputs and gradients for modalab's attention fusion modules (float64).

Run: /usr/bin/python3 tools/reference/fusion.py
Writes packages/core/src/fusion/fixtures/fusion-torch.json, read by torch-parity.test.ts.
Each module is rebuilt from torch parts (nn.MultiheadAttention, nn.LayerNorm, nn.GELU,
nn.TransformerEncoderLayer(norm_first=True)), so parity checks our composition as well as our
layers. Weights follow deterministicInit (see deterministic_weights.py).
"""
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deterministic_weights import Params, run_case, sin_input, write_fixture  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "packages/core/src/fusion/fixtures/fusion-torch.json")


def mlp(dim, hidden):
    return nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))


class CrossAttentionFusion(nn.Module):
    """query = text, context = image; pre-LN cross-attention + FFN with residuals, final LayerNorm."""

    def __init__(self, dq, dc, dim, heads, hidden):
        super().__init__()
        self.query_proj = nn.Linear(dq, dim)
        self.ln_query = nn.LayerNorm(dim)
        self.ln_context = nn.LayerNorm(dc)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True, kdim=dc, vdim=dc)
        self.ln_mlp = nn.LayerNorm(dim)
        self.mlp = mlp(dim, hidden)
        self.ln_out = nn.LayerNorm(dim)

    def forward(self, text, image, image_padding):
        x = self.query_proj(text)
        ctx = self.ln_context(image)
        h = x + self.attn(self.ln_query(x), ctx, ctx, key_padding_mask=image_padding, need_weights=False)[0]
        return self.ln_out(h + self.mlp(self.ln_mlp(h)))


def cross_attention_case():
    p = Params()
    dq, dc, dim, heads, hidden = 6, 5, 8, 2, 16
    mapping = {
        **p.linear("queryProj", "query_proj", dq, dim),
        **p.layer_norm("lnQuery", "ln_query", dim),
        **p.layer_norm("lnContext", "ln_context", dc),
        **p.attention("attn", "attn", dim, context_dim=dc),
        **p.layer_norm("lnMlp", "ln_mlp", dim),
        **p.mlp("mlp", "mlp.0", "mlp.2", dim, hidden),
        **p.layer_norm("lnOut", "ln_out", dim),
    }
    text, image = sin_input((3, 3, dq), 0.4), sin_input((3, 4, dc), 1.3)
    mask = torch.tensor([[1.0, 1, 1, 0], [1, 1, 1, 1], [1, 0, 0, 0]])
    return run_case(
        CrossAttentionFusion(dq, dc, dim, heads, hidden), p, mapping, {"text": text, "image": image},
        lambda f: f(text, image, mask == 0), masks={"image": mask},
    )


class GatedCrossAttention(nn.Module):
    """Flamingo's gated xattn-dense block: x + tanh(a) xattn(ln(x), y), then + tanh(b) ffn(ln(.))."""

    def __init__(self, dim, dc, heads, hidden):
        super().__init__()
        self.ln_attn = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True, kdim=dc, vdim=dc)
        self.attn_gate = nn.Parameter(torch.zeros(1))
        self.ln_mlp = nn.LayerNorm(dim)
        self.mlp = mlp(dim, hidden)
        self.mlp_gate = nn.Parameter(torch.zeros(1))

    def forward(self, text, image, image_padding):
        h = text + torch.tanh(self.attn_gate) * self.attn(self.ln_attn(text), image, image, key_padding_mask=image_padding, need_weights=False)[0]
        return h + torch.tanh(self.mlp_gate) * self.mlp(self.ln_mlp(h))


def gated_cross_attention_case():
    p = Params()
    dim, dc, heads, hidden = 8, 5, 2, 16
    mapping = {
        **p.layer_norm("lnAttn", "ln_attn", dim),
        **p.attention("attn", "attn", dim, context_dim=dc),
        "attn_gate": p("attnGate", (1,)),
        **p.layer_norm("lnMlp", "ln_mlp", dim),
        **p.mlp("mlp", "mlp.0", "mlp.2", dim, hidden),
        "mlp_gate": p("mlpGate", (1,)),
    }
    text, image = sin_input((3, 3, dim), 0.4), sin_input((3, 4, dc), 1.3)
    mask = torch.tensor([[1.0, 1, 1, 0], [1, 1, 1, 1], [1, 0, 0, 0]])
    return run_case(
        GatedCrossAttention(dim, dc, heads, hidden), p, mapping, {"text": text, "image": image},
        lambda f: f(text, image, mask == 0), masks={"image": mask},
    )


class ResamplerLayer(nn.Module):
    def __init__(self, dim, heads, hidden, self_layers):
        super().__init__()
        self.ln_latents = nn.LayerNorm(dim)
        self.ln_context = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln_mlp = nn.LayerNorm(dim)
        self.mlp = mlp(dim, hidden)
        self.blocks = nn.ModuleList([
            nn.TransformerEncoderLayer(dim, heads, hidden, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
            for _ in range(self_layers)
        ])

    def forward(self, latents, context, padding):
        lat = self.ln_latents(latents)
        keys = torch.cat([self.ln_context(context), lat], 1)  # latents attend to inputs and themselves (Flamingo)
        h = latents + self.attn(lat, keys, keys, key_padding_mask=padding, need_weights=False)[0]
        h = h + self.mlp(self.ln_mlp(h))
        for block in self.blocks:
            h = block(h)
        return h


class PerceiverResampler(nn.Module):
    def __init__(self, dims, dim, n_latents, heads, depth, self_layers, hidden):
        super().__init__()
        self.modalities = sorted(dims)
        self.latents = nn.Parameter(torch.zeros(n_latents, dim))
        self.proj = nn.ModuleDict({m: nn.Linear(dims[m], dim) for m in self.modalities})
        self.modality_embedding = nn.ParameterDict({m: nn.Parameter(torch.zeros(dim)) for m in self.modalities})
        self.layers = nn.ModuleList([ResamplerLayer(dim, heads, hidden, self_layers) for _ in range(depth)])
        self.ln_out = nn.LayerNorm(dim)

    def forward(self, inputs, masks):
        seqs = {m: x if x.dim() == 3 else x.unsqueeze(1) for m, x in inputs.items()}
        b = next(iter(seqs.values())).shape[0]
        context = torch.cat([self.proj[m](seqs[m]) + self.modality_embedding[m] for m in self.modalities], 1)
        keep = [masks[m] if m in masks else torch.ones(b, seqs[m].shape[1]) for m in self.modalities]
        keep.append(torch.ones(b, self.latents.shape[0]))
        padding = torch.cat(keep, 1) == 0
        h = self.latents.unsqueeze(0).expand(b, -1, -1)
        for layer in self.layers:
            h = layer(h, context, padding)
        return self.ln_out(h)


def perceiver_case():
    p = Params()
    dims, dim, n_latents, heads, depth, self_layers, hidden = {"video": 5, "audio": 3}, 8, 3, 2, 2, 1, 16
    mapping = {"latents": p("latents", (n_latents, dim)), **p.layer_norm("lnOut", "ln_out", dim)}
    for m in sorted(dims):
        mapping.update(p.linear(f"proj.{m}", f"proj.{m}", dims[m], dim))
        mapping[f"modality_embedding.{m}"] = p(f"modalityEmbedding.{m}", (dim,))
    for k in range(depth):
        mapping.update({
            **p.layer_norm(f"layers.{k}.lnLatents", f"layers.{k}.ln_latents", dim),
            **p.layer_norm(f"layers.{k}.lnContext", f"layers.{k}.ln_context", dim),
            **p.attention(f"layers.{k}.attn", f"layers.{k}.attn", dim, context_dim=dim),
            **p.layer_norm(f"layers.{k}.lnMlp", f"layers.{k}.ln_mlp", dim),
            **p.mlp(f"layers.{k}.mlp", f"layers.{k}.mlp.0", f"layers.{k}.mlp.2", dim, hidden),
        })
        for s in range(self_layers):
            mapping.update(p.transformer_block(f"layers.{k}.self.{s}", f"layers.{k}.blocks.{s}", dim, hidden))
    video, audio = sin_input((3, 4, 5), 0.4), sin_input((3, 3), 1.3)  # audio as one embedding per sample
    video_mask = torch.tensor([[1.0, 1, 1, 0], [1, 1, 1, 1], [1, 0, 0, 0]])
    return run_case(
        PerceiverResampler(dims, dim, n_latents, heads, depth, self_layers, hidden), p, mapping,
        {"video": video, "audio": audio},
        lambda f: f({"video": video, "audio": audio}, {"video": video_mask}), masks={"video": video_mask},
    )


if __name__ == "__main__":
    write_fixture(OUT, "tools/reference/fusion.py", {
        "crossAttention": cross_attention_case(),
        "gatedCrossAttention": gated_cross_attention_case(),
        "perceiverResampler": perceiver_case(),
    })
