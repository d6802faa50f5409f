"""See the graph: draw the autograd graph of a tensor, and the pictures a course needs.

``make_dot(loss, params=dict(model.named_parameters()))`` walks ``loss.grad_fn`` back to
the leaves and returns a ``graphviz.Digraph`` (the ``graphviz`` Python package, an optional
extra: ``pip install graphviz``; rendering to SVG/PNG also needs Graphviz's ``dot``
program). Without the package it returns the DOT source text instead, which any Graphviz
install (or an online viewer) renders.

What is drawn, like torchviz:

- one grey box per ``Function`` node, named as ``grad_fn`` reports it (``MulBackward0``);
- one light-blue box per leaf tensor, with its name from ``params``, shape and dtype;
- one green box per output tensor;
- with ``show_saved=True``, one orange box per array a node saved for backward;
- edges point the way gradients flow: from the output back to the leaves.

``show_values=True`` is micrograd's picture for the first lesson: every tensor named in
``params`` (leaves *and* intermediate results) becomes a record ``name | data | grad``, each
op a small ellipse, edges in forward order. Call ``retain_grad()`` on the intermediates
before ``backward()`` to see their gradients too.

The matplotlib helpers at the bottom (``attention_heatmap``, ``loss_curves``,
``histograms``, ``update_to_data_ratios`` and ``update_ratio_plot``) each return a figure and
save a PNG when given a path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from . import backend
from .autograd.function import AccumulateGrad, Context
from .tensor import Tensor

__all__ = ["make_dot", "graph_structure", "GraphStructure", "DotSource", "attention_heatmap",
           "loss_curves", "histograms", "update_to_data_ratios", "update_ratio_plot"]

_FUNCTION_STYLE = dict(shape="box", style="filled", fillcolor="lightgrey")
_LEAF_STYLE = dict(shape="box", style="filled", fillcolor="lightblue")
_OUTPUT_STYLE = dict(shape="box", style="filled", fillcolor="darkolivegreen1")
_SAVED_STYLE = dict(shape="box", style="filled", fillcolor="orange")
_ELIDED_STYLE = dict(shape="note", style="dashed")
_VALUE_STYLE = dict(shape="record")
_OP_STYLE = dict(shape="ellipse", style="filled", fillcolor="white")

# short op symbols for the values picture
_OP_SYMBOLS = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "Neg": "neg", "Pow": "**",
               "MatMul": "@", "Matmul": "@"}


@dataclass
class GraphStructure:
    """The graph as plain data: ``nodes`` maps an id to ``(kind, label)``; ``edges`` holds
    ``(from_id, to_id)`` pairs. Kinds: ``function``, ``leaf``, ``output``, ``saved``,
    ``elided`` (the nodes cut off by ``max_depth``), ``value`` and ``op`` (values mode)."""

    nodes: dict = field(default_factory=dict)
    edges: list = field(default_factory=list)

    def labels(self, kind: str | None = None) -> list[str]:
        """The labels of the nodes of one kind (all kinds when ``None``), in drawing order."""
        return [label for k, label in self.nodes.values() if kind is None or k == kind]

    def edge_labels(self) -> set:
        """Edges as ``(from label, to label)`` pairs: easy to compare in tests."""
        return {(self.nodes[a][1], self.nodes[b][1]) for a, b in self.edges}


class DotSource(str):
    """DOT text, returned by ``make_dot`` when the ``graphviz`` package is missing.

    ``print(dot)`` shows it; ``dot.save("graph.dot")`` writes it for ``dot -Tsvg``.
    """

    note = ("tinytorch.viz: the graphviz package is not installed, so this is the DOT "
            "source; `pip install graphviz` (and Graphviz's `dot` program) to render it")

    @property
    def source(self) -> str:
        return str(self)

    def save(self, path) -> str:
        with open(path, "w", encoding="utf-8") as f:
            f.write(str(self))
        return str(path)


# ------------------------------------------------------------------ the graph walk

def _parents(node: Context) -> list:
    """The producing nodes or leaf tensors of a node's inputs (None for constants)."""
    out = []
    edges = getattr(node, "parents", None)  # tinytorch's own: nodes, leaf tensors or None
    if edges is None:  # PyTorch's (node, output index) form, leaves as AccumulateGrad
        edges = [edge[0] if isinstance(edge, tuple) else edge
                 for edge in getattr(node, "next_functions", ())]
    for parent in edges:
        if isinstance(parent, AccumulateGrad):  # PyTorch's node for a leaf: the leaf itself
            parent = parent.variable
        if parent is not None:
            out.append(parent)
    return out


def _shape_text(shape) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _dtype_text(arr) -> str:
    return str(backend.dtype_of(arr)).replace("tinytorch.", "")


def _tensor_label(name: str | None, t: Tensor) -> str:
    head = f"{name}\n" if name else ""
    return f"{head}{_shape_text(t.shape)} {_dtype_text(t._data)}"


def _attrs_text(node: Context) -> str:
    """User attributes a Function stored on ctx (``dim=1``), when still there."""
    lines = []
    for key, value in sorted(getattr(node, "__dict__", {}).items()):
        if isinstance(value, (bool, int, float, str, tuple, type(None))):
            text = repr(value)
            lines.append(f"{key}={text if len(text) <= 24 else text[:21] + '...'}")
    return "\n".join(lines)


def _number_text(arr) -> str:
    a = backend.to_numpy(arr)
    if a.size == 1:
        return f"{float(a.reshape(())):.4f}"
    return _shape_text(a.shape)


def graph_structure(output, params: dict | None = None, show_attrs: bool = False,
                    show_saved: bool = False, max_depth: int | None = None,
                    show_values: bool = False) -> GraphStructure:
    """The nodes and edges ``make_dot`` draws (see its docstring for the arguments)."""
    outputs = list(output) if isinstance(output, (list, tuple)) else [output]
    for o in outputs:
        if not isinstance(o, Tensor):
            raise TypeError(f"make_dot: expected a Tensor (or a list of them), got "
                            f"{type(o).__name__}")
    params = dict(params or {})
    for name, t in params.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"make_dot: params[{name!r}] is a {type(t).__name__}, not a Tensor")
    if max_depth is not None and max_depth < 1:
        raise ValueError(f"make_dot: max_depth must be at least 1, got {max_depth}")
    if show_values:
        return _values_structure(outputs, params)

    names = {id(t): name for name, t in params.items()}
    g = GraphStructure()
    depth: dict[int, int] = {}
    queue: list = []
    for i, o in enumerate(outputs):
        oid = f"out{i}"
        g.nodes[oid] = ("output", _tensor_label(names.get(id(o), "output"), o))
        if o.grad_fn is not None:
            queue.append((o.grad_fn, 1))
            g.edges.append((oid, str(id(o.grad_fn))))
        else:  # a leaf was passed: draw it and stop
            g.nodes[str(id(o))] = ("leaf", _tensor_label(names.get(id(o)), o))
            g.edges.append((oid, str(id(o))))
    elided: dict[str, int] = {}
    head = 0
    while head < len(queue):
        node, d = queue[head]
        head += 1
        nid = str(id(node))
        if nid in g.nodes or nid in elided:
            continue
        if isinstance(node, Tensor):  # a leaf
            g.nodes[nid] = ("leaf", _tensor_label(names.get(id(node)), node))
            continue
        if max_depth is not None and d > max_depth:
            elided[nid] = d  # not drawn, but walked: the fold says how much it hides
            queue.extend((parent, d + 1) for parent in _parents(node))
            continue
        depth[nid] = d
        label = node.name()
        if show_attrs:
            extra = _attrs_text(node)
            label = f"{label}\n{extra}" if extra else label
        g.nodes[nid] = ("function", label)
        for parent in _parents(node):
            g.edges.append((nid, str(id(parent))))
            queue.append((parent, d + 1))
        if show_saved:
            for k, arr in enumerate(getattr(node, "_saved", ()) or ()):
                if backend.is_array(arr):
                    sid = f"{nid}_saved{k}"
                    g.nodes[sid] = ("saved", f"saved {k}\n{_shape_text(arr.shape)} "
                                             f"{_dtype_text(arr)}")
                    g.edges.append((sid, nid))
    if elided:
        # everything beyond max_depth becomes one node, so a GPT's graph stays readable
        g.nodes["elided"] = ("elided", f"... {len(elided)} more nodes")
        g.edges = [(a, "elided" if b in elided else b) for a, b in g.edges if a not in elided]
        g.edges = list(dict.fromkeys(g.edges))
    # leaves reachable only through elided nodes are dropped with them
    reachable = {b for _, b in g.edges} | {a for a, _ in g.edges}
    g.nodes = {k: v for k, v in g.nodes.items() if k in reachable or v[0] == "output"}
    return g


def _values_structure(outputs: list, params: dict) -> GraphStructure:
    """micrograd's picture: value records (name | data | grad) and op ellipses, forward."""
    produced_by = {}  # (node id, output index) -> (name, tensor) for named intermediates
    names = {}
    for name, t in params.items():
        names[id(t)] = name
        if t.grad_fn is not None:
            produced_by[(id(t.grad_fn), t._output_nr)] = (name, t)
    for i, o in enumerate(outputs):
        if o.grad_fn is not None and (id(o.grad_fn), o._output_nr) not in produced_by:
            produced_by[(id(o.grad_fn), o._output_nr)] = (f"out{i}" if len(outputs) > 1
                                                         else "out", o)

    g = GraphStructure()

    def record(name: str, t: Tensor | None) -> str:
        if t is None:
            return name
        grad = "-" if t.grad is None else _number_text(t.grad._data)
        return f"{name} | data {_number_text(t._data)} | grad {grad}"

    def value_id(node) -> str:
        """The value box of a leaf tensor, or of a Function node's (first) output."""
        if isinstance(node, Tensor):
            vid = f"v{id(node)}"
            if vid not in g.nodes:
                g.nodes[vid] = ("value", record(names.get(id(node), ""), node))
            return vid
        vid = f"v{id(node)}"
        if vid not in g.nodes:
            name, t = produced_by.get((id(node), 0), ("", None))
            g.nodes[vid] = ("value", record(name, t) if t is not None else
                            f"{name} | data ? | grad ?")
        return vid

    seen = set()
    stack = [o.grad_fn for o in outputs if o.grad_fn is not None]
    for o in outputs:
        if o.grad_fn is None:
            value_id(o)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        op = node.fn.__name__
        oid = f"op{id(node)}"
        g.nodes[oid] = ("op", _OP_SYMBOLS.get(op, op.lower()))
        g.edges.append((oid, value_id(node)))
        for parent in _parents(node):
            g.edges.append((value_id(parent), oid))
            if isinstance(parent, Context):
                stack.append(parent)
    return g


# ------------------------------------------------------------------ drawing

def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _record_label(text: str) -> str:
    # record fields are separated by "|"; braces and angle brackets must be escaped
    return re.sub(r"([{}<>])", r"\\\1", text)


def _style(kind: str) -> dict:
    return {"function": _FUNCTION_STYLE, "leaf": _LEAF_STYLE, "output": _OUTPUT_STYLE,
            "saved": _SAVED_STYLE, "elided": _ELIDED_STYLE, "value": _VALUE_STYLE,
            "op": _OP_STYLE}[kind]


def make_dot(output, params: dict | None = None, show_attrs: bool = False,
             show_saved: bool = False, max_depth: int | None = None,
             show_values: bool = False, direction: str = "backward"):
    """Draw the autograd graph that produced ``output`` (a Tensor or a list of Tensors).

    Args:
        params: names for tensors, e.g. ``dict(model.named_parameters())``; in values mode
            also the intermediate results to label (``dict(a=a, b=b, c=c)``).
        show_attrs: print the attributes each node stored on ``ctx`` (``dim=1``, ...).
        show_saved: draw the arrays each node saved for backward, with shapes.
        max_depth: draw nodes at most this many steps from the output; the rest collapse into
            one "... N more nodes" box (readable graphs of a whole GPT).
        show_values: micrograd's picture (value and gradient of every named tensor).
        direction: ``"backward"`` (edges the way gradients flow, output at the top) or
            ``"forward"`` (edges the way data flows, as torchviz draws them).

    Returns a ``graphviz.Digraph`` (renders inline in Jupyter; ``.render("g", format="svg")``
    with Graphviz installed) or, without the ``graphviz`` package, a ``DotSource`` string.
    """
    if direction not in ("backward", "forward"):
        raise ValueError(f"make_dot: direction must be 'backward' or 'forward', "
                         f"got {direction!r}")
    g = graph_structure(output, params, show_attrs, show_saved, max_depth, show_values)
    flip = direction == "forward" and not show_values
    graph_attr = {"rankdir": "LR"} if show_values else {"rankdir": "TB"}
    node_attr = {"fontsize": "11", "fontname": "monospace", "height": "0.2"}
    nodes = []
    for nid, (kind, label) in g.nodes.items():
        style = dict(_style(kind))
        # a record's fields run across in a left-to-right graph only inside braces
        style["label"] = "{" + _record_label(label) + "}" if kind == "value" else label
        nodes.append((nid, style))
    edges = [(b, a) if flip else (a, b) for a, b in g.edges]
    try:
        import graphviz
    except ImportError:
        return DotSource(_dot_text(nodes, edges, graph_attr, node_attr))
    dot = graphviz.Digraph(graph_attr=graph_attr, node_attr=node_attr)
    for nid, style in nodes:
        dot.node(nid, **style)
    for a, b in edges:
        dot.edge(a, b)
    return dot


def _dot_text(nodes, edges, graph_attr: dict, node_attr: dict) -> str:
    """DOT source for the no-graphviz path, in the layout ``graphviz.Digraph`` writes."""
    def attrs(d: dict) -> str:
        return " ".join(f"{k}={_quote(str(v))}" for k, v in d.items())

    lines = [f"// {DotSource.note}", "digraph {", f"\tgraph [{attrs(graph_attr)}]",
             f"\tnode [{attrs(node_attr)}]"]
    lines += [f"\t{_quote(nid)} [{attrs(style)}]" for nid, style in nodes]
    lines += [f"\t{_quote(a)} -> {_quote(b)}" for a, b in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ course pictures

def _pyplot():
    try:
        import matplotlib.pyplot as plt  # headless machines fall back to Agg by themselves
    except ImportError as err:
        raise ImportError("tinytorch.viz: the plots need matplotlib "
                          "(pip install matplotlib)") from err
    return plt


def _finish(fig, path):
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


def _as_numpy(x) -> np.ndarray:
    if isinstance(x, Tensor):
        return backend.to_numpy(x._data)
    return np.asarray(x)


def attention_heatmap(weights, x_labels: Iterable[str] | None = None,
                      y_labels: Iterable[str] | None = None, title: str | None = None,
                      path=None):
    """Attention weights ``(queries, keys)`` as a heatmap; rows are queries.

    A ``(heads, queries, keys)`` tensor draws one panel per head.
    """
    w = _as_numpy(weights).astype(np.float64)
    if w.ndim == 2:
        w = w[None]
    if w.ndim != 3:
        raise ValueError(f"attention_heatmap: expected weights of shape (queries, keys) or "
                         f"(heads, queries, keys), got {w.shape}")
    plt = _pyplot()
    heads = w.shape[0]
    fig, axes = plt.subplots(1, heads, figsize=(3.2 * heads + 1, 3.4), squeeze=False)
    for h, ax in enumerate(axes[0]):
        image = ax.imshow(w[h], cmap="viridis", vmin=0.0, vmax=max(float(w[h].max()), 1e-12),
                          aspect="auto")
        if x_labels is not None:
            xl = list(x_labels)
            ax.set_xticks(range(len(xl)), xl, rotation=90, fontsize=8)
        if y_labels is not None:
            yl = list(y_labels)
            ax.set_yticks(range(len(yl)), yl, fontsize=8)
        ax.set_xlabel("key")
        ax.set_ylabel("query")
        if heads > 1:
            ax.set_title(f"head {h}")
        fig.colorbar(image, ax=ax, fraction=0.046)
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


def loss_curves(curves: dict, title: str | None = None, log_y: bool = False, path=None):
    """Loss curves: ``{"train": [l0, l1, ...], "val": [(step, loss), ...]}``.

    Each value is a list of losses (one per step) or of ``(step, loss)`` pairs.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for name, values in curves.items():
        values = list(values)
        if values and isinstance(values[0], (tuple, list)):
            steps, losses = zip(*values)
        else:
            steps, losses = range(len(values)), values
        losses = [float(v) for v in losses]
        ax.plot(list(steps), losses, label=name, marker="o" if len(losses) < 30 else None)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    if log_y:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    return _finish(fig, path)


def histograms(model_or_params, kind: str = "weights", bins: int = 60,
               only_matrices: bool = True, path=None):
    """Distributions of the weights (or of their gradients) layer by layer.

    The makemore lectures' diagnostic: each layer's histogram drawn as a line, with its mean
    and standard deviation in the legend. ``model_or_params`` is a Module or a dict of named
    tensors; ``kind`` is ``"weights"`` or ``"grads"``; ``only_matrices`` skips biases and
    norm gains (1-d parameters).
    """
    if kind not in ("weights", "grads"):
        raise ValueError(f"histograms: kind must be 'weights' or 'grads', got {kind!r}")
    named = (dict(model_or_params.named_parameters())
             if hasattr(model_or_params, "named_parameters") else dict(model_or_params))
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.6))
    drawn = 0
    for name, p in named.items():
        if only_matrices and p.ndim < 2:
            continue
        source = p if kind == "weights" else p.grad
        if source is None:
            continue
        values = _as_numpy(source).astype(np.float64).ravel()
        counts, edges = np.histogram(values, bins=bins, density=True)
        centers = (edges[:-1] + edges[1:]) / 2
        ax.plot(centers, counts, label=f"{name}: mean {values.mean():+.2e}, "
                                       f"std {values.std():.2e}")
        drawn += 1
    if drawn == 0:
        plt.close(fig)
        raise ValueError(f"histograms: no parameter has {kind} to draw "
                         f"(call backward() first for gradients)")
    ax.set_title(f"{kind} distribution per layer")
    ax.legend(fontsize=7)
    return _finish(fig, path)


def update_to_data_ratios(params, lr: float) -> list[float]:
    """log10 of std(lr * grad) / std(param) for each parameter with a gradient.

    Call after ``backward()`` and before (or right after) the optimizer step, once per step,
    and plot the history with ``update_ratio_plot``: about -3 is healthy (makemore).
    """
    ratios = []
    for p in params:
        if p.grad is None:
            continue
        data = _as_numpy(p.detach()).astype(np.float64)
        grad = _as_numpy(p.grad).astype(np.float64)
        std = data.std()
        update = (lr * grad).std()
        ratios.append(float(np.log10(update / std)) if std > 0 and update > 0 else float("nan"))
    return ratios


def update_ratio_plot(history, names: list[str] | None = None, target: float = -3.0,
                      path=None):
    """The update-to-data ratio per parameter over steps; ``history[step][param]`` is the
    log10 ratio from ``update_to_data_ratios``. A dashed line marks ``target``."""
    h = np.asarray(history, dtype=np.float64)
    if h.ndim != 2:
        raise ValueError(f"update_ratio_plot: expected a list of per-step lists, got an "
                         f"array of shape {h.shape}")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for i in range(h.shape[1]):
        ax.plot(h[:, i], label=names[i] if names and i < len(names) else f"param {i}")
    ax.axhline(target, color="k", linestyle="--", linewidth=1)
    ax.set_xlabel("step")
    ax.set_ylabel("log10(update std / data std)")
    ax.set_title("update to data ratio")
    if names:
        ax.legend(fontsize=7)
    return _finish(fig, path)
