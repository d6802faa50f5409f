"""A GPT training step written by hand in NumPy, with no framework: the reference floor.

Forward, backward and AdamW of exactly the architecture of ``models.gpt.GPT`` (pre-LayerNorm
blocks, fused q/k/v, causal softmax attention, tanh GELU MLP, tied output layer), on a
dict of float32 arrays named like its ``state_dict``. Every derivative is written out, so
the time it takes is the matrix products plus the unavoidable elementwise work: what a
framework adds on top of it is overhead. ``benchmarks/bench_gpt.py`` times it beside
tinytorch and PyTorch with the same weights and batches.
"""

from __future__ import annotations

import math

import numpy as np

EPS = 1e-5
GELU_C = math.sqrt(2.0 / math.pi)


def layer_norm(x, w, b):
    mean = x.mean(-1, keepdims=True)
    xc = x - mean
    rstd = 1.0 / np.sqrt((xc * xc).mean(-1, keepdims=True) + EPS)
    xhat = xc * rstd
    return xhat * w + b, (xhat, rstd, w)


def layer_norm_backward(g, cache):
    """dx = rstd (g w - mean(g w) - xhat mean(g w xhat)); dw = sum g xhat; db = sum g."""
    xhat, rstd, w = cache
    gw = g * w
    dx = rstd * (gw - gw.mean(-1, keepdims=True) - xhat * (gw * xhat).mean(-1, keepdims=True))
    rows = g.reshape(-1, g.shape[-1])
    return dx, (rows * xhat.reshape(rows.shape)).sum(0), rows.sum(0)


def gelu(x):
    inner = GELU_C * (x + 0.044715 * x * x * x)
    t = np.tanh(inner)
    return 0.5 * x * (1.0 + t), (x, t)


def gelu_backward(g, cache):
    x, t = cache
    d_inner = GELU_C * (1.0 + 3 * 0.044715 * x * x)
    return g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * d_inner)


class NumpyGPT:
    """Parameters, forward with saved intermediates, backward, and AdamW."""

    def __init__(self, params: dict, n_layer: int, n_head: int, lr=6e-4, betas=(0.9, 0.95),
                 weight_decay=0.1, eps=1e-8):
        self.p = {k: np.array(v, dtype=np.float32) for k, v in params.items()
                  if k != "lm_head.weight"}  # tied: the output layer is transformer.wte
        self.n_layer, self.n_head = n_layer, n_head
        self.lr, self.betas, self.wd, self.eps = lr, betas, weight_decay, eps
        self.m = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.v = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.t = 0

    def step(self, idx, targets) -> float:
        loss, grads = self.loss_and_grads(idx, targets)
        self.adamw(grads)
        return loss

    def loss_and_grads(self, idx, targets):
        p, H = self.p, self.n_head
        B, T = idx.shape
        C = p["transformer.wte.weight"].shape[1]
        hs = C // H
        scale = 1.0 / math.sqrt(hs)
        causal = np.triu(np.ones((T, T), dtype=bool), 1)
        x = p["transformer.wte.weight"][idx] + p["transformer.wpe.weight"][:T]
        caches = []
        for i in range(self.n_layer):
            pre = f"transformer.h.{i}."
            h, ln1 = layer_norm(x, p[pre + "ln_1.weight"], p[pre + "ln_1.bias"])
            qkv = h @ p[pre + "attn.c_attn.weight"].T + p[pre + "attn.c_attn.bias"]
            # (B, T, 3, H, hs) -> three contiguous (B, H, T, hs): plain row-major matmuls
            q, k, v = np.ascontiguousarray(qkv.reshape(B, T, 3, H, hs).transpose(2, 0, 3, 1, 4))
            att = q @ k.transpose(0, 1, 3, 2) * scale
            att[..., causal] = -np.inf
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            y = (att @ v).transpose(0, 2, 1, 3).reshape(B, T, C)
            x = x + y @ p[pre + "attn.c_proj.weight"].T + p[pre + "attn.c_proj.bias"]
            h2, ln2 = layer_norm(x, p[pre + "ln_2.weight"], p[pre + "ln_2.bias"])
            f = h2 @ p[pre + "mlp.c_fc.weight"].T + p[pre + "mlp.c_fc.bias"]
            gf, gelu_cache = gelu(f)
            x = x + gf @ p[pre + "mlp.c_proj.weight"].T + p[pre + "mlp.c_proj.bias"]
            caches.append((h, ln1, q, k, v, att, y, h2, ln2, gf, gelu_cache))
        xf, lnf = layer_norm(x, p["transformer.ln_f.weight"], p["transformer.ln_f.bias"])
        wte = p["transformer.wte.weight"]
        logits = xf.reshape(B * T, C) @ wte.T
        logits -= logits.max(-1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(-1, keepdims=True)
        rows = np.arange(B * T)
        flat_targets = targets.reshape(-1)
        loss = float(-np.log(probs[rows, flat_targets]).mean())

        # ---- backward: d loss / d logits = (softmax - onehot) / N
        g = {}
        dlogits = probs
        dlogits[rows, flat_targets] -= 1.0
        dlogits /= B * T
        g["transformer.wte.weight"] = dlogits.T @ xf.reshape(B * T, C)
        dx, g["transformer.ln_f.weight"], g["transformer.ln_f.bias"] = layer_norm_backward(
            (dlogits @ wte).reshape(B, T, C), lnf)
        for i in reversed(range(self.n_layer)):
            pre = f"transformer.h.{i}."
            h, ln1, q, k, v, att, y, h2, ln2, gf, gelu_cache = caches[i]
            # MLP branch: x += c_proj(gelu(c_fc(ln_2(x))))
            d2 = dx.reshape(B * T, C)
            g[pre + "mlp.c_proj.weight"] = d2.T @ gf.reshape(B * T, -1)
            g[pre + "mlp.c_proj.bias"] = d2.sum(0)
            df = gelu_backward((d2 @ p[pre + "mlp.c_proj.weight"]).reshape(gf.shape),
                               gelu_cache).reshape(B * T, -1)
            g[pre + "mlp.c_fc.weight"] = df.T @ h2.reshape(B * T, C)
            g[pre + "mlp.c_fc.bias"] = df.sum(0)
            dh2, g[pre + "ln_2.weight"], g[pre + "ln_2.bias"] = layer_norm_backward(
                (df @ p[pre + "mlp.c_fc.weight"]).reshape(B, T, C), ln2)
            dx = dx + dh2
            # attention branch: x += c_proj(attention(c_attn(ln_1(x))))
            d2 = dx.reshape(B * T, C)
            g[pre + "attn.c_proj.weight"] = d2.T @ y.reshape(B * T, C)
            g[pre + "attn.c_proj.bias"] = d2.sum(0)
            dy = np.ascontiguousarray(
                (d2 @ p[pre + "attn.c_proj.weight"]).reshape(B, T, H, hs).transpose(0, 2, 1, 3))
            datt = dy @ v.transpose(0, 1, 3, 2)
            dv = att.transpose(0, 1, 3, 2) @ dy
            dscores = att * (datt - (datt * att).sum(-1, keepdims=True)) * scale
            dq = dscores @ k
            dk = dscores.transpose(0, 1, 3, 2) @ q
            dqkv = np.stack([dq, dk, dv]).transpose(1, 3, 0, 2, 4).reshape(B * T, 3 * C)
            g[pre + "attn.c_attn.weight"] = dqkv.T @ h.reshape(B * T, C)
            g[pre + "attn.c_attn.bias"] = dqkv.sum(0)
            dh, g[pre + "ln_1.weight"], g[pre + "ln_1.bias"] = layer_norm_backward(
                (dqkv @ p[pre + "attn.c_attn.weight"]).reshape(B, T, C), ln1)
            dx = dx + dh
        g["transformer.wpe.weight"] = np.zeros_like(p["transformer.wpe.weight"])
        g["transformer.wpe.weight"][:T] = dx.sum(0)
        np.add.at(g["transformer.wte.weight"], idx.reshape(-1), dx.reshape(B * T, C))
        return loss, g

    def adamw(self, grads) -> None:
        """AdamW with decay on matrices only, as GPT.configure_optimizers groups them."""
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        for k, w in self.p.items():
            grad = grads[k]
            if w.ndim >= 2:
                w *= 1 - self.lr * self.wd
            m, v = self.m[k], self.v[k]
            m *= b1
            m += (1 - b1) * grad
            v *= b2
            v += (1 - b2) * grad * grad
            w -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)
