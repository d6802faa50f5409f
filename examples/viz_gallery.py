"""Render the pictures of docs/viz.md with tinytorch.viz (needs graphviz + matplotlib).

    python examples/viz_gallery.py --out docs/images

Draws: a scalar expression with values and gradients (micrograd's first picture), a small
MLP's autograd graph, one GPT block's graph, an attention heatmap, loss curves, weight and
gradient histograms per layer and the update-to-data ratio over a short training run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import tinytorch as torch
import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch import viz
from tinytorch.models.gpt import GPT, GPTConfig


def scalar_graph(out: Path) -> None:
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(-3.0, requires_grad=True)
    c = torch.tensor(10.0, requires_grad=True)
    e = a * b
    d = e + c
    f = torch.tensor(-2.0, requires_grad=True)
    L = d * f
    for t in (e, d, L):
        t.retain_grad()
    L.backward()
    dot = viz.make_dot(L, params=dict(a=a, b=b, c=c, e=e, d=d, f=f, L=L), show_values=True)
    dot.render(out / "viz-scalar", format="png", cleanup=True)


def mlp_graph(out: Path) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    x = torch.randn(8, 2)
    y = torch.randn(8, 1)
    loss = F.mse_loss(model(x), y)
    dot = viz.make_dot(loss, params=dict(model.named_parameters()))
    dot.render(out / "viz-mlp", format="png", cleanup=True)


def gpt_block_graph(out: Path) -> None:
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=8))
    idx = torch.randint(0, 11, (1, 8))
    block_out = model.transformer.h[0](model.transformer.wte(idx) + model.transformer.wpe(
        torch.arange(8)))
    named = {f"h.0.{k}": v for k, v in model.transformer.h[0].named_parameters()}
    dot = viz.make_dot(block_out.sum(), params=named, max_depth=40)
    dot.render(out / "viz-gpt-block", format="png", cleanup=True)


def training_pictures(out: Path) -> None:
    torch.manual_seed(0)
    x = torch.randn(256, 2)
    y = ((x[:, 0] * x[:, 1]) > 0).long()
    model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                          nn.Linear(32, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.3)
    names = [n for n, p in model.named_parameters() if p.ndim == 2]
    matrices = [p for p in model.parameters() if p.ndim == 2]
    losses, history = [], []
    for _ in range(200):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        history.append(viz.update_to_data_ratios(matrices, lr=0.3))
        opt.step()
        losses.append(loss.item())
    viz.loss_curves({"train": losses}, title="a tiny MLP on XOR-like data",
                    path=out / "viz-loss.png")
    viz.histograms(model, kind="weights", path=out / "viz-weights.png")
    viz.histograms(model, kind="grads", path=out / "viz-grads.png")
    viz.update_ratio_plot(history, names=names, path=out / "viz-update-ratio.png")
    # an attention pattern: softmax of a causal score matrix of random queries and keys
    q, k = torch.randn(2, 6, 4), torch.randn(2, 6, 4)
    scores = (q @ k.transpose(-2, -1)) / 2.0
    mask = torch.ones(6, 6).tril() == 0
    weights = scores.masked_fill(mask, float("-inf")).softmax(-1)
    tokens = list("hello!")
    viz.attention_heatmap(weights, x_labels=tokens, y_labels=tokens,
                          title="causal self-attention, 2 heads",
                          path=out / "viz-attention.png")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/images", help="folder for the PNG files")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scalar_graph(out)
    mlp_graph(out)
    gpt_block_graph(out)
    training_pictures(out)
    print(f"wrote the pictures to {out}/viz-*.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
