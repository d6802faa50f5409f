"""Public names that are not ops, each with the one-line reason it has no ``op_db`` row.

Keys are qualified as in ``OpInfo.covers``: ``"Tensor.numpy"``, ``"tinytorch.manual_seed"``,
``"F.name"``. Everything public that is not here must be covered by a row.
"""

from __future__ import annotations

_METADATA = "metadata of the tensor, not a computation"
_AUTOGRAD = "autograd bookkeeping, tested in tests/test_autograd.py"
_EXPORT = "leaves the graph as a Python or NumPy value, tested in tests/test_tensor.py"
_DEVICE = "moves data between devices; values unchanged, tested with the device fixture"
_BOOL = "returns a Python bool, not a tensor; tested in tests/test_tensor.py"
_FACTORY = "a factory with no tensor input; tested in tests/test_tensor.py"
_RANDOM = "draws random numbers: no deterministic reference; seeding tested in tests/"
_STATE = "process-wide state, not a computation"
_INFRA = "infrastructure for unmodified PyTorch scripts, tested in tests/test_run.py"
_CAST = "a cast to an integer or complex dtype: no gradient, values as NumPy's astype"
_DTYPE_RULE = "a dtype rule, no tensor computed; checked against torch in tests/test_surface_b.py"
_LOW_PRECISION = "a cast to a low-precision float: gradcheck needs float64 (casts: the to row)"

op_db_exempt: dict[str, str] = {
    # Tensor: metadata and bookkeeping
    "Tensor.shape": _METADATA, "Tensor.size": _METADATA, "Tensor.dtype": _METADATA,
    "Tensor.device": _METADATA, "Tensor.ndim": _METADATA, "Tensor.dim": _METADATA,
    "Tensor.numel": _METADATA, "Tensor.element_size": _METADATA,
    "Tensor.is_contiguous": _METADATA, "Tensor.is_cuda": _METADATA,
    "Tensor.is_floating_point": _METADATA, "Tensor.is_leaf": _METADATA,
    "Tensor.type": "names the tensor type as a string (a cast with a dtype: the to row)",
    "Tensor.backward": _AUTOGRAD, "Tensor.grad": _AUTOGRAD, "Tensor.grad_fn": _AUTOGRAD,
    "Tensor.requires_grad": _AUTOGRAD, "Tensor.requires_grad_": _AUTOGRAD,
    "Tensor.retain_grad": _AUTOGRAD, "Tensor.register_hook": _AUTOGRAD,
    "Tensor.register_post_accumulate_grad_hook": _AUTOGRAD,
    "Tensor.detach": _AUTOGRAD, "Tensor.detach_": _AUTOGRAD, "Tensor.data": _AUTOGRAD,
    "Tensor.item": _EXPORT, "Tensor.tolist": _EXPORT, "Tensor.numpy": _EXPORT,
    "Tensor.cpu": _DEVICE, "Tensor.cuda": _DEVICE,
    "Tensor.equal": _BOOL, "Tensor.allclose": _BOOL,
    "Tensor.float": _LOW_PRECISION, "Tensor.half": _LOW_PRECISION,
    # tinytorch.*: factories, random numbers, state, predicates
    "tinytorch.tensor": _FACTORY, "tinytorch.as_tensor": _FACTORY,
    "tinytorch.from_numpy": _FACTORY, "tinytorch.zeros": _FACTORY, "tinytorch.ones": _FACTORY,
    "tinytorch.empty": _FACTORY,
    "tinytorch.manual_seed": _STATE, "tinytorch.seed": _STATE,
    "tinytorch.get_rng_state": _STATE, "tinytorch.set_rng_state": _STATE,
    "tinytorch.get_default_dtype": _STATE, "tinytorch.set_default_dtype": _STATE,
    "tinytorch.get_default_device": _STATE, "tinytorch.set_default_device": _STATE,
    "tinytorch.is_grad_enabled": _STATE, "tinytorch.cuda_is_available": _STATE,
    "tinytorch.is_tensor": "a type predicate on any Python object",
    "tinytorch.numel": _METADATA,
    "tinytorch.allclose": _BOOL, "tinytorch.equal": _BOOL,
    "tinytorch.save": "serialization, tested in tests/test_serialization.py",
    "tinytorch.load": "serialization, tested in tests/test_serialization.py",
    # infrastructure that PyTorch scripts touch (issue 13), tested in tests/test_run.py
    "Tensor.pin_memory": _INFRA, "Tensor.is_pinned": _INFRA, "tinytorch.compile": _INFRA,
    "tinytorch.set_num_threads": _STATE, "tinytorch.get_num_threads": _STATE,
    "tinytorch.set_num_interop_threads": _STATE, "tinytorch.get_num_interop_threads": _STATE,
    "tinytorch.set_float32_matmul_precision": _STATE,
    "tinytorch.get_float32_matmul_precision": _STATE,
    "tinytorch.use_deterministic_algorithms": _STATE,
    "tinytorch.are_deterministic_algorithms_enabled": _STATE,
    "tinytorch.is_deterministic_algorithms_warn_only_enabled": _STATE,
    # issue 11b: metadata, casts, dtype rules and state (checked in tests/test_surface_b.py)
    "Tensor.data_ptr": _METADATA, "Tensor.is_complex": _METADATA, "Tensor.is_signed": _METADATA,
    "Tensor.itemsize": _METADATA, "Tensor.nbytes": _METADATA, "Tensor.ndimension": _METADATA,
    "Tensor.nelement": _METADATA, "Tensor.storage_offset": _METADATA,
    "Tensor.stride": _METADATA, "Tensor.is_nonzero": _BOOL,
    "Tensor.apply_": "runs a Python callable per element (CPU only), not an op",
    "Tensor.map_": "runs a Python callable per element pair (CPU only), not an op",
    "Tensor.bfloat16": "a cast to a dtype NumPy cannot store: raises (tests/test_surface_b.py)",
    "Tensor.short": _CAST, "Tensor.char": _CAST, "Tensor.byte": _CAST,
    "Tensor.cfloat": _CAST, "Tensor.cdouble": _CAST,
    "tinytorch.asarray": _FACTORY, "tinytorch.initial_seed": _STATE,
    "tinytorch.set_printoptions": _STATE, "tinytorch.is_nonzero": _BOOL,
    "tinytorch.is_complex": _METADATA, "tinytorch.is_floating_point": _METADATA,
    "tinytorch.result_type": _DTYPE_RULE, "tinytorch.promote_types": _DTYPE_RULE,
    "tinytorch.can_cast": _DTYPE_RULE,
}
