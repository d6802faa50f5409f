"""``Embedding`` (a lookup table of learned vectors) and ``EmbeddingBag`` (reduced bags)."""

from __future__ import annotations

from .. import creation
from ..autograd import grad_mode
from . import functional as F
from . import init
from .module import Module, options_repr
from .parameter import Parameter


class Embedding(Module):
    """Row i of ``weight`` (num_embeddings, embedding_dim) is the vector of token i;
    init N(0, 1), with the ``padding_idx`` row zero and never updated by gradients."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm=None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight=None, _freeze: bool = False, device=None,
                 dtype=None) -> None:
        super().__init__()
        _init_lookup_table(self, num_embeddings, embedding_dim, padding_idx,
                           f"Padding_idx {padding_idx} must be within num_embeddings "
                           f"{num_embeddings}", max_norm, norm_type, scale_grad_by_freq, sparse)
        self.weight = _table_weight("Embedding", num_embeddings, embedding_dim, _weight,
                                    not _freeze, device, dtype)
        if _weight is None:
            self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with grad_mode.no_grad():
                self.weight._data[self.padding_idx] = 0

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm,
                           self.norm_type, self.scale_grad_by_freq, self.sparse)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx: int | None = None,
                        max_norm=None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, sparse: bool = False) -> Embedding:
        if embeddings.ndim != 2:
            raise ValueError(f"Embeddings parameter is expected to be 2-dimensional, got "
                             f"shape {tuple(embeddings.shape)}")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse, _weight=embeddings,
                   _freeze=freeze)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s + _lookup_options_repr(self)


def _init_lookup_table(m: Module, num_embeddings: int, embedding_dim: int, padding_idx,
                       padding_message: str, max_norm, norm_type: float,
                       scale_grad_by_freq: bool, sparse: bool) -> None:
    """Check and keep the options Embedding and EmbeddingBag share (PyTorch's attribute
    names); a negative ``padding_idx`` counts from the end, one out of range raises
    ``AssertionError(padding_message)`` as PyTorch's assert does."""
    if sparse:
        raise NotImplementedError(f"{type(m).__name__}: sparse gradients are not supported by "
                                  f"tinytorch")
    if padding_idx is not None:
        if not -num_embeddings <= padding_idx < num_embeddings:
            raise AssertionError(padding_message)
        padding_idx %= num_embeddings
    m.num_embeddings, m.embedding_dim, m.padding_idx = num_embeddings, embedding_dim, padding_idx
    m.max_norm, m.norm_type = max_norm, norm_type
    m.scale_grad_by_freq, m.sparse = scale_grad_by_freq, sparse


def _table_weight(module: str, num_embeddings: int, embedding_dim: int, _weight,
                  requires_grad: bool, device, dtype) -> Parameter:
    """The ``(num_embeddings, embedding_dim)`` weight of Embedding and EmbeddingBag: a new
    one (its values drawn by ``reset_parameters``) or the given ``_weight``, shape checked."""
    if _weight is None:
        return Parameter(creation.empty(num_embeddings, embedding_dim, dtype=dtype,
                                        device=device), requires_grad=requires_grad)
    if tuple(_weight.shape) != (num_embeddings, embedding_dim):
        raise ValueError(f"{module}: _weight has shape {tuple(_weight.shape)}, "
                         f"expected {(num_embeddings, embedding_dim)}")
    return Parameter(_weight, requires_grad=requires_grad)


def _lookup_options_repr(m) -> str:
    return options_repr(m, max_norm=None, norm_type=2, scale_grad_by_freq=False, sparse=False)


class EmbeddingBag(Module):
    """Sums, means or maxima of bags of embedding vectors, without materialising the
    per-token vectors' layout: bags are the rows of a 2-D input, or the slices of a 1-D input
    starting at ``offsets``."""

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm=None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 mode: str = "mean", sparse: bool = False, _weight=None,
                 include_last_offset: bool = False, padding_idx: int | None = None,
                 device=None, dtype=None) -> None:
        super().__init__()
        _init_lookup_table(self, num_embeddings, embedding_dim, padding_idx,
                           "padding_idx must be within num_embeddings", max_norm, norm_type,
                           scale_grad_by_freq, sparse)
        self.mode = mode
        self.include_last_offset = include_last_offset
        self.weight = _table_weight("EmbeddingBag", num_embeddings, embedding_dim, _weight,
                                    True, device, dtype)
        if _weight is None:
            self.reset_parameters()

    reset_parameters = Embedding.reset_parameters  # N(0, 1), the padding_idx row zero

    def forward(self, input, offsets=None, per_sample_weights=None):
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                               self.scale_grad_by_freq, self.mode, self.sparse,
                               per_sample_weights, self.include_last_offset,
                               self.padding_idx)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, max_norm=None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        mode: str = "mean", sparse: bool = False,
                        include_last_offset: bool = False,
                        padding_idx: int | None = None) -> EmbeddingBag:
        if embeddings.ndim != 2:
            raise ValueError(f"Embeddings parameter is expected to be 2-dimensional, got "
                             f"shape {tuple(embeddings.shape)}")
        rows, cols = embeddings.shape
        bag = cls(rows, cols, max_norm, norm_type, scale_grad_by_freq, mode, sparse,
                  embeddings, include_last_offset, padding_idx)
        bag.weight.requires_grad = not freeze
        return bag

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}" + _lookup_options_repr(self)
        s += f", mode='{self.mode}'"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
