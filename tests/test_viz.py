"""tinytorch.viz: the graph's structure for known expressions, the DOT fallback without the
graphviz package, rendering where Graphviz's ``dot`` is installed, and the plot helpers."""

from __future__ import annotations

import builtins
import shutil

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch import viz


def _expression():
    a = tt.tensor([1.0, 2.0], requires_grad=True)
    b = tt.tensor([3.0, -1.0], requires_grad=True)
    out = (a * b + a).sum()
    return a, b, out


def test_structure_of_a_known_expression():
    a, b, out = _expression()
    g = viz.graph_structure(out, params={"a": a, "b": b})
    assert sorted(g.labels("function")) == ["AddBackward0", "MulBackward0", "SumBackward0"]
    assert sorted(g.labels("leaf")) == ["a\n(2,) float32", "b\n(2,) float32"]
    assert g.labels("output") == ["output\n() float32"]
    # edges point the way gradients flow: output -> Sum -> Add -> {Mul, a}, Mul -> {a, b}
    assert g.edge_labels() == {
        ("output\n() float32", "SumBackward0"),
        ("SumBackward0", "AddBackward0"),
        ("AddBackward0", "MulBackward0"),
        ("AddBackward0", "a\n(2,) float32"),
        ("MulBackward0", "a\n(2,) float32"),
        ("MulBackward0", "b\n(2,) float32"),
    }


def test_shared_leaf_is_one_node_and_names_come_from_params():
    model = nn.Linear(3, 2)
    loss = model(tt.randn(4, 3)).pow(2).mean()
    g = viz.graph_structure(loss, params=dict(model.named_parameters()))
    leaves = g.labels("leaf")
    assert "weight\n(2, 3) float32" in leaves and "bias\n(2,) float32" in leaves
    a = tt.tensor(1.0, requires_grad=True)
    g = viz.graph_structure(a * a * a, params={"a": a})
    assert g.labels("leaf") == ["a\n() float32"]


def test_unnamed_leaves_show_shape_and_dtype():
    x = tt.randn(2, 3, dtype=tt.float64, requires_grad=True)
    g = viz.graph_structure(x.exp().sum())
    assert g.labels("leaf") == ["(2, 3) float64"]


def test_saved_arrays_and_attributes():
    x = tt.randn(2, 3, dtype=tt.float64, requires_grad=True)
    out = x.exp().sum()
    g = viz.graph_structure(out, show_saved=True)
    assert any(label.startswith("saved 0\n(2, 3) float64") for label in g.labels("saved"))
    y = x.softmax(dim=1).sum()
    g = viz.graph_structure(y, show_attrs=True)
    assert any("dim=" in label for label in g.labels("function")), g.labels("function")


def test_max_depth_folds_the_rest_into_one_node():
    x = tt.randn(3, requires_grad=True)
    y = x
    for _ in range(10):
        y = y * 1.5
    g = viz.graph_structure(y.sum(), max_depth=3)
    assert len(g.labels("function")) == 3
    assert g.labels("elided") == ["... 8 more nodes"]
    assert not g.labels("leaf")  # reachable only through the folded part
    with pytest.raises(ValueError, match="max_depth"):
        viz.make_dot(y.sum(), max_depth=0)


def test_values_mode_labels_data_and_grad_like_micrograd():
    a = tt.tensor(2.0, requires_grad=True)
    b = tt.tensor(-3.0, requires_grad=True)
    c = a * b
    c.retain_grad()
    d = c + a
    d.backward()
    g = viz.graph_structure(d, params=dict(a=a, b=b, c=c, d=d), show_values=True)
    values = set(g.labels("value"))
    assert values == {"a | data 2.0000 | grad -2.0000", "b | data -3.0000 | grad 2.0000",
                      "c | data -6.0000 | grad 1.0000", "d | data -4.0000 | grad -"}
    assert sorted(g.labels("op")) == ["*", "+"]
    # forward order: inputs -> op -> result
    assert ("a | data 2.0000 | grad -2.0000", "*") in g.edge_labels()
    assert ("+", "d | data -4.0000 | grad -") in g.edge_labels()


def test_make_dot_returns_a_digraph_with_every_node_and_edge():
    graphviz = pytest.importorskip("graphviz")
    a, b, out = _expression()
    dot = viz.make_dot(out, params={"a": a, "b": b})
    assert isinstance(dot, graphviz.Digraph)
    g = viz.graph_structure(out, params={"a": a, "b": b})
    assert dot.source.count(" -> ") == len(g.edges)
    for name in ("SumBackward0", "AddBackward0", "MulBackward0"):
        assert name in dot.source
    forward = viz.make_dot(out, direction="forward")
    assert forward.source.count(" -> ") == len(g.edges)
    with pytest.raises(ValueError, match="direction"):
        viz.make_dot(out, direction="sideways")


def test_without_graphviz_the_dot_source_is_returned(monkeypatch):
    real_import = builtins.__import__

    def no_graphviz(name, *args, **kwargs):
        if name == "graphviz":
            raise ImportError("no graphviz here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_graphviz)
    a, b, out = _expression()
    dot = viz.make_dot(out, params={"a": a, "b": b})
    assert isinstance(dot, viz.DotSource) and isinstance(dot, str)
    assert dot.startswith("// tinytorch.viz: the graphviz package is not installed")
    assert "digraph {" in dot and dot.source.count(" -> ") == 6
    assert '"a\\n(2,) float32"' in dot


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="expected a Tensor"):
        viz.make_dot(3.0)
    x = tt.randn(2, requires_grad=True)
    with pytest.raises(TypeError, match=r"params\['w'\]"):
        viz.make_dot(x.sum(), params={"w": np.zeros(2)})


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="Graphviz's dot program is not installed (apt-get install graphviz)")
def test_svg_renders(tmp_path):
    pytest.importorskip("graphviz")
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    loss = F.mse_loss(model(tt.randn(4, 2)), tt.randn(4, 1))
    dot = viz.make_dot(loss, params=dict(model.named_parameters()), show_saved=True)
    path = dot.render(tmp_path / "mlp", format="svg")
    svg = open(path, encoding="utf-8").read()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "0.weight" in svg


def test_plot_helpers_return_figures_and_save_png(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    x, y = tt.randn(16, 2), tt.randint(0, 2, (16,))
    F.cross_entropy(model(x), y).backward()
    figures = {
        "heat.png": viz.attention_heatmap(tt.rand(2, 4, 4).softmax(-1), list("abcd"),
                                          list("abcd")),
        "loss.png": viz.loss_curves({"train": [3.0, 2.0, 1.5], "val": [(0, 3.1), (2, 1.7)]}),
        "w.png": viz.histograms(model, kind="weights"),
        "g.png": viz.histograms(model, kind="grads"),
        "ud.png": viz.update_ratio_plot([viz.update_to_data_ratios(model.parameters(), 0.1)]
                                        * 3),
    }
    for name, fig in figures.items():
        fig.savefig(tmp_path / name)
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    path = tmp_path / "direct.png"
    viz.loss_curves({"train": [1.0, 0.5]}, path=path)
    assert path.stat().st_size > 0
    with pytest.raises(ValueError, match="queries, keys"):
        viz.attention_heatmap(tt.rand(4))
    with pytest.raises(ValueError, match="kind"):
        viz.histograms(model, kind="biases")


def test_update_to_data_ratio_is_log10_of_update_over_data():
    p = tt.nn.Parameter(tt.tensor([1.0, -1.0, 3.0, -3.0], dtype=tt.float64))
    p.grad = tt.tensor([0.5, -0.5, 0.5, -0.5], dtype=tt.float64)
    (ratio,) = viz.update_to_data_ratios([p], lr=0.01)
    expected = np.log10(np.std(0.01 * np.array([0.5, -0.5, 0.5, -0.5]))
                        / np.std([1.0, -1.0, 3.0, -3.0]))
    assert ratio == pytest.approx(expected)
