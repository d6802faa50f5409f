"""The course's milestones: each runs (quickly) on the reference, writes its picture, and
stops with a clear message when the assignment it needs is still a stub."""

from __future__ import annotations

import pytest

from tinytorch.course import milestones


@pytest.mark.parametrize("number", sorted(milestones.RUNNERS))
def test_milestone_runs_quickly_on_the_reference(number, tmp_path):
    figures = milestones.run_milestone(number, tmp_path, quick=True)
    assert isinstance(figures, dict) and figures
    if number == 1:
        assert figures["max_error"] < 1e-12


def test_spiral_mlp_learns(tmp_path):
    # a shortened milestone 2: the loss must fall well below its start
    figures = milestones.milestone_mlp(None, quick=True, number=2)
    assert figures["last_loss"] < figures["first_loss"]


def test_a_stub_stops_the_milestone_naming_the_assignment(monkeypatch, capsys):
    def stub(out, quick):
        raise NotImplementedError("assignment 4: cross_entropy forward and backward")

    monkeypatch.setitem(milestones.RUNNERS, 4, stub)
    assert milestones.main(4, None, quick=True) == 3
    err = capsys.readouterr().err
    assert "needs assignment 4" in err and "grade 4" in err


def test_unknown_milestone_is_refused():
    with pytest.raises(ValueError, match="no milestone 11"):
        milestones.run_milestone(11, None)


def test_milestone_10_stops_at_once_while_the_lstm_cell_is_a_stub(monkeypatch, capsys):
    from tinytorch.ops import rnn

    def stub(*args):
        raise NotImplementedError("assignment 10: lstm_cell_forward: the gates")

    monkeypatch.setattr(rnn, "lstm_cell_forward", stub)
    assert milestones.main(10, None, quick=True) == 3
    captured = capsys.readouterr()
    assert "needs assignment 10" in captured.err and "grade 10" in captured.err
    assert "loss" not in captured.out  # it stopped before training
