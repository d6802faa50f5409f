"""tinytorch.data: the character tokenizer, the built-in corpus, the split and the batches."""

from __future__ import annotations

import json

import numpy as np
import pytest

import tinytorch
from tinytorch.data import CharTokenizer, default_corpus, get_batch, read_text, train_val_split


def test_tokenizer_round_trips_and_orders_by_code_point():
    tok = CharTokenizer.from_text("hello, world")
    assert tok.chars == " ,dehlorw"
    assert tok.encode("hello") == [4, 3, 5, 5, 6]
    assert tok.decode(tok.encode("world, hello")) == "world, hello"
    assert tok.decode(np.array([4, 3])) == "he"


def test_tokenizer_state_is_json_and_restores_the_same_ids():
    tok = CharTokenizer.from_text("To be, or not to be: ünïcode\n")
    state = json.loads(json.dumps(tok.state_dict()))
    again = CharTokenizer.from_state_dict(state)
    assert again.encode("not ünïcode\n") == tok.encode("not ünïcode\n")
    with pytest.raises(ValueError, match="not a character tokenizer"):
        CharTokenizer.from_state_dict({"type": "bpe"})


def test_tokenizer_errors_name_the_offending_value():
    tok = CharTokenizer.from_text("abc")
    with pytest.raises(ValueError, match="'z' is not in the tokenizer's vocabulary of 3"):
        tok.encode("abz")
    with pytest.raises(ValueError, match=r"token id 7 is outside the vocabulary \[0, 3\)"):
        tok.decode([0, 7])


def test_default_corpus_ships_with_python_and_is_large_and_stable():
    text = default_corpus()
    assert len(text) > 200_000
    assert text == default_corpus()
    assert 50 < len(set(text)) < 300


def test_read_text_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        read_text(tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(ValueError, match="is empty"):
        read_text(tmp_path / "empty.txt")
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9")
    with pytest.raises(ValueError, match="not UTF-8"):
        read_text(tmp_path / "latin1.txt")
    with pytest.raises(ValueError, match="not a file"):
        read_text(tmp_path)
    (tmp_path / "ok.txt").write_text("fine\n", encoding="utf-8")
    assert read_text(tmp_path / "ok.txt") == "fine\n"


def test_train_val_split_is_90_10_in_order():
    ids = np.arange(100)
    train, val = train_val_split(ids)
    assert train.tolist() == list(range(90)) and val.tolist() == list(range(90, 100))
    with pytest.raises(ValueError, match="train_fraction"):
        train_val_split(ids, 1.0)


def test_get_batch_targets_are_inputs_shifted_by_one():
    ids = np.arange(50, dtype=np.int64)
    tinytorch.manual_seed(3)
    x, y = get_batch(ids, block_size=8, batch_size=5)
    assert x.shape == (5, 8) and y.shape == (5, 8) and x.dtype == tinytorch.int64
    xa, ya = x.numpy(), y.numpy()
    assert (ya == xa + 1).all()  # consecutive ids: the target is the next token
    assert (np.diff(xa, axis=1) == 1).all()
    assert xa.min() >= 0 and ya.max() <= 49


def test_get_batch_draws_from_the_global_generator():
    ids = np.arange(1000, dtype=np.int64)
    tinytorch.manual_seed(7)
    a = get_batch(ids, 4, 6)[0].numpy()
    b = get_batch(ids, 4, 6)[0].numpy()
    tinytorch.manual_seed(7)
    assert (get_batch(ids, 4, 6)[0].numpy() == a).all()
    assert not (a == b).all()
    state = tinytorch.get_rng_state()
    c = get_batch(ids, 4, 6)[0].numpy()
    tinytorch.set_rng_state(state)
    assert (get_batch(ids, 4, 6)[0].numpy() == c).all()
    own = np.random.default_rng(0)
    before = tinytorch.get_rng_state()
    get_batch(ids, 4, 6, generator=own)
    assert tinytorch.get_rng_state() == before


def test_get_batch_reaches_the_last_window_and_rejects_short_text():
    ids = np.arange(9, dtype=np.int64)
    x, y = get_batch(ids, block_size=8, batch_size=3)  # exactly one window fits
    assert x.numpy().tolist() == [list(range(8))] * 3
    assert y.numpy()[0].tolist() == list(range(1, 9))
    with pytest.raises(ValueError, match="fewer than block_size"):
        get_batch(ids, block_size=9, batch_size=1)
