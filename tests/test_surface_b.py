"""The tensor surface of issue 11b that the op table cannot express: the four divergences,
printing, Generator state, memory sharing, dtypes and promotion, attributes, conversions."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt

# ------------------------------------------------------------------ the four divergences


def test_data_is_a_tensor_sharing_storage():
    p = tt.tensor([1.0, 2.0], requires_grad=True)
    assert isinstance(p.data, tt.Tensor) and not p.data.requires_grad
    p.data.add_(1.0)  # the idiom of hand-written optimizers
    assert p.tolist() == [2.0, 3.0]
    c = p.data.clone()
    c += 1
    assert p.tolist() == [2.0, 3.0] and c.tolist() == [3.0, 4.0]
    assert isinstance(p.data.sum(), tt.Tensor)


def test_zero_dim_results_behave_like_tensors():
    x = tt.tensor([1.0, 2.0, 3.0])
    s = x.sum()
    s += 1
    assert s.item() == 7.0 and s.ndim == 0
    assert s[...].item() == 7.0 and s[None].shape == (1,)
    m = x.mean()
    m.mul_(2)
    assert m.item() == 4.0


def test_format_formats_zero_dim_tensors_as_numbers():
    torch = pytest.importorskip("torch")
    loss, ref = tt.tensor(0.123456), torch.tensor(0.123456)
    assert f"{loss:.4f}" == f"{ref:.4f}" == "0.1235"
    assert f"{loss}" == f"{ref}"
    assert f"{tt.tensor(3)}" == f"{torch.tensor(3)}" == "3"
    assert f"{tt.tensor([1.0, 2.0])}" == "tensor([1., 2.])"
    with pytest.raises(TypeError):
        f"{tt.tensor([1.0]):.4f}"  # as PyTorch: only 0-d tensors take a format spec


def test_randint_with_low_omitted():
    tt.manual_seed(0)
    x = tt.randint(10, (4,))
    assert x.shape == (4,) and x.dtype == tt.int64 and ((x >= 0) & (x < 10)).all()
    y = tt.randint(5, 8, (2, 3), dtype=tt.int32)
    assert y.dtype == tt.int32 and ((y >= 5) & (y < 8)).all()
    z = tt.randint(3, size=(2,))
    assert z.shape == (2,)
    with pytest.raises(TypeError):
        tt.randint(10)


# ------------------------------------------------------------------ printing

PRINT_CASES = [
    "np.arange(2000, dtype=np.float32).reshape(40, 50) / 7",
    "np.array([1e-5, 1.0], np.float32)",
    "np.array([1e9, 1.0])",
    "np.array([np.nan, np.inf, -np.inf, 1.0], np.float32)",
    "np.array([[1, 2000000], [3, 4]])",
    "np.random.RandomState(0).randn(3, 4, 5).astype(np.float32)",
    "np.array(0.5, np.float32)",
    "np.arange(30, dtype=np.float32) * 1.37",
    "np.array([True, False])",
    "np.arange(1200).reshape(2, 600)",
    "np.array([1.5, 2.0], np.float16)",
    "np.zeros((3, 3), np.float32)",
    "np.arange(5, dtype=np.int32)",
    "np.zeros((0, 3), np.int64)",
    "np.arange(8, dtype=np.int8)",
]


@pytest.mark.parametrize("expression", PRINT_CASES)
def test_repr_matches_torch(expression):
    torch = pytest.importorskip("torch")
    values = eval(expression)
    ours = repr(tt.from_numpy(values)).replace("tinytorch.", "torch.")
    assert ours == repr(torch.from_numpy(values))


@pytest.mark.parametrize("options", [dict(precision=2), dict(sci_mode=True),
                                     dict(threshold=5, edgeitems=1), dict(linewidth=30),
                                     dict(profile="short"), dict(profile="full")])
def test_set_printoptions_matches_torch(options):
    torch = pytest.importorskip("torch")
    try:
        tt.set_printoptions(**options)
        torch.set_printoptions(**options)
        for expression in PRINT_CASES[:8]:
            values = eval(expression)
            ours = repr(tt.from_numpy(values)).replace("tinytorch.", "torch.")
            assert ours == repr(torch.from_numpy(values)), (options, expression)
    finally:
        tt.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_large_tensors_are_summarised():
    text = repr(tt.arange(5000))
    assert "..." in text and text.count(",") < 20
    with pytest.raises(ValueError, match="profile"):
        tt.set_printoptions(profile="tiny")


def test_suffixes_name_grad_fn_and_requires_grad():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x.exp().sum()).endswith("grad_fn=<SumBackward0>)")


# ------------------------------------------------------------------ Generator


def test_generator_state_and_independence():
    g = tt.Generator().manual_seed(42)
    assert g.initial_seed() == 42
    a = tt.rand(5, generator=g)
    state = g.get_state()
    b = tt.rand(5, generator=g)
    g.set_state(state)
    assert tt.equal(tt.rand(5, generator=g), b)
    assert tt.equal(tt.rand(5, generator=tt.Generator().manual_seed(42)), a)
    before = tt.get_rng_state()
    tt.randn(3, generator=g)
    assert tt.get_rng_state() == before  # a private generator leaves the global one alone


def test_global_seed_functions():
    gen = tt.manual_seed(7)
    assert isinstance(gen, tt.Generator) and gen is tt.default_generator
    assert tt.initial_seed() == 7
    x = tt.rand(3)
    tt.manual_seed(7)
    assert tt.equal(tt.rand(3), x)
    s = tt.seed()
    assert tt.initial_seed() == s
    state = tt.get_rng_state()
    y = tt.randn(4)
    tt.set_rng_state(state)
    assert tt.equal(tt.randn(4), y)


def test_every_random_function_takes_a_generator():
    def draws(g):
        return [tt.rand(3, generator=g), tt.randn(3, generator=g),
                tt.randint(0, 9, (3,), generator=g), tt.randperm(5, generator=g),
                tt.normal(0.0, 1.0, (3,), generator=g),
                tt.bernoulli(tt.full((3,), 0.5), generator=g),
                tt.poisson(tt.full((3,), 2.0), generator=g),
                tt.multinomial(tt.ones(4), 2, generator=g),
                tt.zeros(3).uniform_(generator=g), tt.zeros(3).normal_(generator=g),
                tt.zeros(3).random_(0, 5, generator=g), tt.zeros(3).exponential_(generator=g),
                tt.zeros(3).bernoulli_(0.5, generator=g)]

    first = draws(tt.Generator().manual_seed(3))
    second = draws(tt.Generator().manual_seed(3))
    assert all(tt.equal(a, b) for a, b in zip(first, second))


def test_generator_is_accepted_by_init_and_rejected_when_wrong():
    w = tt.empty(3, 4)
    tt.nn.init.normal_(w, generator=tt.Generator().manual_seed(1))
    v = tt.empty(3, 4)
    tt.nn.init.normal_(v, generator=tt.Generator().manual_seed(1))
    assert tt.equal(w, v)
    with pytest.raises(TypeError, match="Generator"):
        tt.rand(2, generator="seed")


# ------------------------------------------------------------------ memory sharing


def test_from_numpy_and_as_tensor_share_memory():
    a = np.zeros(3, np.float32)
    t = tt.from_numpy(a)
    a[0] = 5
    t[1] = 7
    assert t.tolist() == [5.0, 7.0, 0.0] and a[1] == 7
    assert tt.as_tensor(a).data_ptr() == t.data_ptr()
    assert tt.asarray(a).data_ptr() == t.data_ptr()
    assert tt.asarray(a, copy=True).data_ptr() != t.data_ptr()
    assert tt.from_numpy(np.zeros(2, np.float16)).dtype == tt.float16
    with pytest.raises(TypeError):
        tt.from_numpy(np.zeros(2, np.uint16))
    with pytest.raises(TypeError):
        tt.from_numpy([1, 2])


def test_typed_tensor_constructors():
    assert tt.LongTensor([1, 2]).dtype == tt.int64
    assert tt.FloatTensor(2, 3).shape == (2, 3)
    assert tt.BoolTensor([True]).dtype == tt.bool
    assert tt.DoubleTensor([1]).dtype == tt.float64
    assert isinstance(tt.tensor([1, 2]), tt.LongTensor)
    assert not isinstance(tt.tensor([1.0]), tt.LongTensor)
    assert tt.tensor([1.5]).type(tt.LongTensor).dtype == tt.int64
    assert tt.tensor([1.5]).type("torch.IntTensor").dtype == tt.int32


# ------------------------------------------------------------------ dtypes

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES)
def test_promotion_matches_torch(a, b):
    torch = pytest.importorskip("torch")
    assert tt.promote_types(getattr(tt, a), getattr(tt, b)).name == \
        str(torch.promote_types(getattr(torch, a), getattr(torch, b))).removeprefix("torch.")
    assert tt.can_cast(getattr(tt, a), getattr(tt, b)) == \
        torch.can_cast(getattr(torch, a), getattr(torch, b))
    x = tt.ones(2, dtype=getattr(tt, a))
    y = tt.ones(2, dtype=getattr(tt, b))
    tx, ty = torch.ones(2, dtype=getattr(torch, a)), torch.ones(2, dtype=getattr(torch, b))
    if a != "bool" or b != "bool":
        assert (x + y).dtype.name == str((tx + ty).dtype).removeprefix("torch.")
    assert tt.result_type(x, 2.5).name == str(torch.result_type(tx, 2.5)).removeprefix("torch.")


def test_dtype_aliases_and_bfloat16():
    assert tt.half is tt.float16 and tt.short is tt.int16 and tt.cfloat is tt.complex64
    assert tt.long is tt.int64 and tt.double is tt.float64 and tt.int is tt.int32
    h = tt.tensor([1.5, 2.25], dtype=tt.float16)
    assert (h * 2).dtype == tt.float16 and (h * 2).tolist() == [3.0, 4.5]
    assert tt.tensor([1, 2]).half().dtype == tt.float16
    with pytest.raises(TypeError, match="bfloat16"):
        tt.zeros(2, dtype=tt.bfloat16)
    assert tt.bfloat16.is_floating_point and tt.bfloat16.itemsize == 2


def test_finfo_and_iinfo_match_torch():
    torch = pytest.importorskip("torch")
    for name in ("float16", "float32", "float64", "bfloat16"):
        ours, theirs = tt.finfo(getattr(tt, name)), torch.finfo(getattr(torch, name))
        assert (ours.eps, ours.max, ours.min, ours.tiny, ours.bits) == \
            (theirs.eps, theirs.max, theirs.min, theirs.tiny, theirs.bits), name
    for name in ("int8", "int16", "int32", "int64", "uint8"):
        ours, theirs = tt.iinfo(getattr(tt, name)), torch.iinfo(getattr(torch, name))
        assert (ours.min, ours.max, ours.bits) == (theirs.min, theirs.max, theirs.bits)
    assert tt.finfo().eps == torch.finfo().eps


# ------------------------------------------------------------------ attributes, conversions


def test_strides_offsets_and_sizes_match_torch():
    torch = pytest.importorskip("torch")
    for lib in (tt, torch):
        base = lib.arange(24, dtype=lib.float32).reshape(2, 3, 4)
        view = base.transpose(0, 2)[1:, :, 1]
        if lib is tt:
            ours = (view.stride(), view.stride(0), view.storage_offset(), view.nelement(),
                    view.is_contiguous(), base.nbytes, base.itemsize, base.element_size())
        else:
            theirs = (view.stride(), view.stride(0), view.storage_offset(), view.nelement(),
                      view.is_contiguous(), base.nbytes, base.itemsize, base.element_size())
    assert ours == theirs


def test_transposes_and_conversions():
    x = tt.arange(6.0).reshape(2, 3)
    assert x.T.shape == (3, 2) and x.mT.shape == (3, 2) and x.H.shape == (3, 2)
    assert x.mH.shape == (3, 2) and x.ndimension() == 2 and not x.is_complex()
    for name, dtype in (("double", tt.float64), ("long", tt.int64), ("int", tt.int32),
                        ("short", tt.int16), ("char", tt.int8), ("byte", tt.uint8),
                        ("bool", tt.bool), ("half", tt.float16), ("float", tt.float32)):
        assert getattr(x, name)().dtype == dtype
    assert x.type() == "tinytorch.FloatTensor" and x.long().type() == "tinytorch.LongTensor"
    assert x.to(tt.tensor([1], dtype=tt.int64)).dtype == tt.int64
    assert x.numpy(force=True).shape == (2, 3) and np.asarray(x).dtype == np.float32
    assert np.from_dlpack(x).tolist() == x.tolist()


def test_python_protocols():
    x = tt.tensor([1.0, 2.0, 3.0])
    assert len(x) == 3 and [v.item() for v in x] == [1.0, 2.0, 3.0]
    assert 2.0 in x and 5 not in x and tt.tensor(3.0) in x
    one = tt.tensor([7])
    assert bool(one) and int(one) == 7 and float(one) == 7.0 and complex(one) == 7
    assert [10, 20, 30, 40, 50, 60, 70, 80][one] == 80
    assert hash(x) == id(x) or hash(x) != hash(tt.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)
    with pytest.raises(TypeError):
        len(tt.tensor(1.0))


def test_apply_and_map():
    x = tt.tensor([1.0, 2.0, 3.0])
    assert x.apply_(lambda v: v * 10).tolist() == [10.0, 20.0, 30.0]
    assert x.map_(tt.tensor([1.0, 2.0, 3.0]), lambda a, b: a + b).tolist() == [11.0, 22.0,
                                                                               33.0]


def test_module_level_predicates():
    x = tt.tensor([1.5])
    assert tt.is_tensor(x) and tt.is_floating_point(x) and not tt.is_complex(x)
    assert tt.numel(tt.zeros(2, 3)) == 6 and tt.is_nonzero(x)
    assert tt.get_default_dtype() is tt.float32 and tt.is_grad_enabled()


def test_inplace_math_on_a_leaf_that_requires_grad_refuses():
    x = tt.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x.exp_()
    with tt.no_grad():
        x.exp_()
    assert abs(x.item() - np.e) < 1e-6
    with pytest.raises(RuntimeError, match="can't be cast"):
        tt.tensor([4]).sqrt_()
