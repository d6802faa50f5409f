"""The PyTorch twin of ``examples/train_gpt.py``: the same GPT, data, schedule and batches.

It exists to time the training step of PyTorch eager next to tinytorch's on the same
machine, and to show what loss the same recipe reaches there. Run it in its own process
(the two frameworks' thread pools must not share the cores); ``compare_train_gpt.py``
alternates the two.

    python benchmarks/train_gpt_torch.py --data ../shared/data/tinyshakespeare.txt
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    """Pre-LayerNorm block: causal self-attention then a 4x GELU(tanh) MLP."""

    def __init__(self, n_embd: int, n_head: int):
        super().__init__()
        self.n_head = n_head
        self.ln_1 = nn.LayerNorm(n_embd)
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.mlp_proj = nn.Linear(4 * n_embd, n_embd)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
                   for t in (q, k, v))  # (B, nh, T, hs)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab_size: int, block_size: int, n_layer: int, n_head: int,
                 n_embd: int):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.blocks = nn.ModuleList(Block(n_embd, n_head) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # tied, as GPT-2
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * n_layer) if name.endswith("proj.weight") else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx, targets):
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True)
    p.add_argument("--block-size", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=12)
    p.add_argument("--n-layer", type=int, default=4)
    p.add_argument("--n-head", type=int, default=4)
    p.add_argument("--n-embd", type=int, default=128)
    p.add_argument("--max-iters", type=int, default=2000)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--min-lr", type=float, default=1e-4)
    p.add_argument("--warmup-iters", type=int, default=100)
    p.add_argument("--eval-iters", type=int, default=20)
    p.add_argument("--seed", type=int, default=1337)
    a = p.parse_args()

    text = Path(a.data).read_text(encoding="utf-8")
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    ids = np.array([stoi[c] for c in text], dtype=np.int64)
    n = int(0.9 * len(ids))
    splits = {"train": ids[:n], "val": ids[n:]}
    rng = np.random.default_rng(a.seed)
    torch.manual_seed(a.seed)

    def batch(split, gen):
        d = splits[split]
        starts = gen.integers(0, len(d) - a.block_size, size=a.batch_size)
        w = d[starts[:, None] + np.arange(a.block_size + 1)]
        return torch.from_numpy(w[:, :-1].copy()), torch.from_numpy(w[:, 1:].copy())

    model = GPT(len(chars), a.block_size, a.n_layer, a.n_head, a.n_embd)
    decay = [q for q in model.parameters() if q.dim() >= 2]
    no_decay = [q for q in model.parameters() if q.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.99))

    def lr_at(it):
        if it < a.warmup_iters:
            return a.lr * (it + 1) / (a.warmup_iters + 1)
        prog = (it - a.warmup_iters) / max(1, a.max_iters - a.warmup_iters)
        return a.min_lr + 0.5 * (1 + math.cos(math.pi * prog)) * (a.lr - a.min_lr)

    step_seconds, cpu_seconds = [], 0.0
    for it in range(a.max_iters):
        t0, c0 = time.perf_counter(), time.process_time()
        for g in opt.param_groups:
            g["lr"] = lr_at(it)
        x, y = batch("train", rng)
        loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss.item()
        step_seconds.append(time.perf_counter() - t0)
        cpu_seconds += time.process_time() - c0

    model.eval()
    final = {}
    with torch.no_grad():
        for i, split in enumerate(("train", "val")):
            gen = np.random.default_rng([a.seed, i])
            final[split] = float(np.mean([model(*batch(split, gen)).item()
                                          for _ in range(a.eval_iters)]))
    print(json.dumps({"framework": "pytorch " + torch.__version__,
                      "threads": torch.get_num_threads(), "iterations": a.max_iters,
                      "ms_per_iter": 1000 * float(np.mean(step_seconds)),
                      "ms_per_iter_median": 1000 * float(np.median(step_seconds)),
                      "cpu_ms_per_iter": 1000 * cpu_seconds / a.max_iters,
                      "final": final}))


if __name__ == "__main__":
    main()
