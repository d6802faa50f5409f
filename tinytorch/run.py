"""Run unmodified PyTorch programs on tinytorch: ``python -m tinytorch.run SCRIPT [ARGS...]``.

While installed, ``import torch`` and every ``import torch.<sub>`` give tinytorch's
modules (``torch.nn`` is ``tinytorch.nn``, ``torch.utils.data`` is
``tinytorch.utils.data``), through a finder placed first on ``sys.meta_path``; an installed
PyTorch is never reached. A name tinytorch lacks fails with
``tinytorch.run: the script uses torch.fft, which tinytorch does not provide``, raised as a
``ModuleNotFoundError`` (imports) or an ``AttributeError`` (attributes), so a script's
``try: import ...`` and ``hasattr(torch, ...)`` checks still take their fallback paths.

Forms::

    python -m tinytorch.run train.py --batch_size=4      # sys.argv == ['train.py', ...]
    python -m tinytorch.run -m package.module ARGS        # like python -m

    import tinytorch.run
    with tinytorch.run.install():    # notebooks and tests; or install() ... uninstall()
        import torch
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import os
import runpy
import sys
import types

from . import backend

__all__ = ["install", "uninstall", "is_installed", "main", "MissingModuleError",
           "MissingAttributeError", "ABSENT", "IMPORTABLE_ABSENT"]

# Well-known torch names tinytorch leaves out on purpose, with the reason given in the error.
ABSENT = {
    "hub": "it downloads and runs code from the internet; load weights from a safetensors "
           "file with tinytorch.load instead",
    "fft": "no FFTs yet",
    "sparse": "no sparse tensors",
    "quantization": "no quantized kernels",
    "ao": "no quantization or pruning toolkits",
    "onnx": "no ONNX export",
    "export": "no graph export",
    "fx": "no graph tracing (code runs eagerly)",
    "profiler": "no profiler; use Python's cProfile",
    "distributions": "no probability distributions yet",
    "func": "no functional transforms (vmap, grad)",
    "vmap": "no functional transforms (vmap, grad)",
    "masked": "no masked tensors",
    "nested": "no nested tensors",
    "mps": "no Apple Metal backend",
    "xpu": "no Intel GPU backend",
    "library": "no custom-operator registration (write a tinytorch.autograd.Function)",
}
# Of those, the tools that scripts import unconditionally and use only behind a flag:
# ``import torch.onnx`` succeeds and a use fails. A feature module (``torch.fft``) still fails
# at the import, so that a script's ``try: import ... except ImportError`` fallback runs.
IMPORTABLE_ABSENT = {"onnx", "profiler", "fx", "export"}


class MissingModuleError(ModuleNotFoundError):
    """``import torch.<name>`` where tinytorch has no such module."""


class MissingAttributeError(AttributeError):
    """``torch.<name>`` where tinytorch has no such attribute."""


_depth = 0  # install() calls not yet undone
_finder = None
_stashed: dict[str, types.ModuleType] = {}  # the real torch's modules, put back by uninstall
_hooked: list[types.ModuleType] = []  # tinytorch modules given a __getattr__ by install
_pathed: list[types.ModuleType] = []  # modules given __path__ so that submodules resolve
_absent_bound: list = []  # (tinytorch parent, name) of stand-ins for absent torch modules


def _torch_name(tinytorch_name: str) -> str:
    return "torch" + tinytorch_name[len("tinytorch"):]


def _message(torch_name: str) -> str:
    reason = ABSENT.get(torch_name.split(".")[1]) if "." in torch_name else None
    tail = f" ({reason})" if reason else ""
    return (f"tinytorch.run: the script uses {torch_name}, which tinytorch does not provide"
            f"{tail}; see docs/running-pytorch-scripts.md")


def missing_attribute(module_name: str, name: str) -> AttributeError:
    """The error for ``module.name`` missing: tinytorch.run's message while installed."""
    if _depth and module_name.startswith("tinytorch"):
        return MissingAttributeError(_message(f"{_torch_name(module_name)}.{name}"),
                                     name=name)
    return AttributeError(f"module {module_name!r} has no attribute {name!r}")


def _hook_missing_attributes(module: types.ModuleType) -> None:
    # PEP 562: a module-level __getattr__ is consulted only for names the module lacks
    if "__getattr__" in module.__dict__ or not module.__name__.startswith("tinytorch"):
        return
    name = module.__name__

    def __getattr__(attr):
        if attr.startswith("__"):  # probes such as __file__ or __wrapped__: plain error
            raise AttributeError(f"module {name!r} has no attribute {attr!r}")
        raise missing_attribute(name, attr)

    module.__getattr__ = __getattr__
    _hooked.append(module)


def _absent_module(torch_name: str) -> types.ModuleType:
    """A stand-in for ``torch.<name>`` from ``ABSENT``: any use raises the clear error."""
    module = types.ModuleType(torch_name, f"{torch_name}: not provided by tinytorch")

    def __getattr__(attr):
        if attr.startswith("__"):
            raise AttributeError(f"module {torch_name!r} has no attribute {attr!r}")
        raise MissingAttributeError(_message(f"{torch_name}.{attr}"), name=attr)

    module.__getattr__ = __getattr__
    return module


class _AliasLoader(importlib.abc.Loader):
    """Hands out an already-imported tinytorch module (or raises the clear error)."""

    def __init__(self, module: types.ModuleType | None, torch_name: str):
        self.module, self.torch_name = module, torch_name

    def create_module(self, spec):
        if self.module is None:
            if self.torch_name.split(".")[1] not in IMPORTABLE_ABSENT:
                raise MissingModuleError(_message(self.torch_name), name=None)
            # a tool module scripts import at the top and use only when asked (PyTorch's
            # word_language_model imports torch.onnx, exporting only with --onnx-export):
            # the import succeeds and the first use raises the clear error
            self.module = _absent_module(self.torch_name)
            parent = sys.modules.get(self.torch_name.rpartition(".")[0])
            if parent is not None:
                _absent_bound.append((parent, self.torch_name.rpartition(".")[2]))
        self._own_spec = self.module.__dict__.get("__spec__")
        self._had_path = "__path__" in self.module.__dict__
        return self.module

    def exec_module(self, module):
        # importlib stamped the alias spec on the module: give it back its own
        module.__spec__ = self._own_spec
        if not self._had_path and module not in _pathed:
            _pathed.append(module)  # keeps the __path__ importlib gave it while installed
        _hook_missing_attributes(module)


class _TorchFinder(importlib.abc.MetaPathFinder):
    """Resolves ``torch`` and ``torch.<sub>`` to ``tinytorch`` and ``tinytorch.<sub>``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "torch" and not fullname.startswith("torch."):
            return None
        real_name = "tiny" + fullname
        module = _import_tinytorch(real_name)
        # every alias is a package, so that `import torch.backends.cudnn` reaches this finder
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(module, fullname),
                                              is_package=True)


def _import_tinytorch(real_name: str) -> types.ModuleType | None:
    """``tinytorch.<sub>`` as a module: imported, or a module-valued attribute; else None."""
    try:
        return importlib.import_module(real_name)
    except ModuleNotFoundError as e:
        if e.name is None or not (real_name == e.name or real_name.startswith(e.name + ".")):
            raise  # a missing dependency inside tinytorch: not the script's fault
    parent_name, _, attr = real_name.rpartition(".")
    parent = sys.modules.get(parent_name)
    value = parent.__dict__.get(attr) if parent is not None else None
    return value if isinstance(value, types.ModuleType) else None


class _Installation:
    """Returned by ``install()``: usable as a context manager that uninstalls on exit."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> bool:
        uninstall()
        return False


def install() -> _Installation:
    """Bind ``torch`` and ``torch.*`` imports to tinytorch until ``uninstall()``.

    Modules of an already imported PyTorch are set aside (and restored by ``uninstall``).
    Calls nest: each ``install`` needs its ``uninstall``.
    """
    global _depth, _finder
    _depth += 1
    if _depth == 1:
        for name in [n for n in sys.modules if n == "torch" or n.startswith("torch.")]:
            _stashed[name] = sys.modules.pop(name)
        _finder = _TorchFinder()
        sys.meta_path.insert(0, _finder)
        backend.repr_module = "torch"  # the script prints torch.Size, torch.float32
        for name, module in list(sys.modules.items()):
            if name.startswith("tinytorch") and isinstance(module, types.ModuleType):
                _hook_missing_attributes(module)
    return _Installation()


def uninstall() -> None:
    """Undo one ``install()``; the last one removes the finder and the torch aliases."""
    global _depth, _finder
    if _depth == 0:
        return
    _depth -= 1
    if _depth:
        return
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    backend.repr_module = "tinytorch"
    _finder = None
    for name in [n for n in sys.modules if n == "torch" or n.startswith("torch.")]:
        del sys.modules[name]
    sys.modules.update(_stashed)
    _stashed.clear()
    for module in _hooked:
        module.__dict__.pop("__getattr__", None)
    _hooked.clear()
    for module in _pathed:
        module.__dict__.pop("__path__", None)
    _pathed.clear()
    # `import torch.onnx` bound a stand-in on its parent (a tinytorch module): unbind it
    for parent, attr in _absent_bound:
        if getattr(parent.__dict__.get(attr), "__name__", "").startswith("torch."):
            del parent.__dict__[attr]
    _absent_bound.clear()


def is_installed() -> bool:
    return _depth > 0


_USAGE = """usage: python -m tinytorch.run SCRIPT [ARGS...]
       python -m tinytorch.run -m MODULE [ARGS...]

Runs a PyTorch program with `import torch` bound to tinytorch (see
docs/running-pytorch-scripts.md)."""


def main(argv: list[str] | None = None) -> int:
    """The command line: run SCRIPT (or ``-m MODULE``) as ``__main__`` under ``install()``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    install()
    try:
        if argv[0] == "-m":
            if len(argv) < 2:
                print("tinytorch.run: -m needs a module name\n" + _USAGE, file=sys.stderr)
                return 2
            sys.argv = argv[1:]
            sys.path[0] = os.getcwd()  # as `python -m` does
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        else:
            script = argv[0]
            if not os.path.exists(script):
                print(f"tinytorch.run: can't open file {script!r}: no such file",
                      file=sys.stderr)
                return 2
            sys.argv = argv
            sys.path[0] = os.path.dirname(os.path.abspath(script))  # as `python SCRIPT` does
            runpy.run_path(script, run_name="__main__")
    finally:
        uninstall()
    return 0


if __name__ == "__main__":
    from tinytorch.run import main as _main  # the importable module's state, not __main__'s

    sys.exit(_main())
