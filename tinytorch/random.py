"""Random state: ``Generator``, the global default generator, ``manual_seed``, ``seed``,
``initial_seed`` and ``get_rng_state``/``set_rng_state``.

A ``tinytorch.Generator`` wraps one NumPy ``Generator`` (PCG64). Every random factory,
initialiser and dropout mask draws from the generator it is given (``generator=``) or from
the global one. Numbers are drawn on the host and then moved to the device, so a seed gives
the same numbers on CPU and GPU.
"""

from __future__ import annotations

import numpy as np

from . import backend

_DEFAULT_SEED = 0


class Generator:
    """A source of random numbers with its own state (as ``torch.Generator``).

    NumPy's sampling methods (``random``, ``integers``, ``standard_normal``, ...) are
    reachable on it, so library code draws from either kind of generator alike.
    """

    def __init__(self, device="cpu"):
        self.device = backend.device(device)
        self._seed = _DEFAULT_SEED
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> "Generator":
        """Reseed; returns the generator itself, as PyTorch."""
        seed = int(seed)
        if not -(2 ** 63) <= seed < 2 ** 64:
            raise RuntimeError(f"manual_seed: seed {seed} is out of range [-2**63, 2**64)")
        self._seed = seed % 2 ** 64  # PyTorch reads a negative seed as its 64-bit pattern
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        """Reseed from the OS's entropy and return the new seed."""
        s = int(np.random.SeedSequence().entropy % 2 ** 63)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed the generator was last seeded with."""
        return self._seed

    def get_state(self) -> dict:
        """The generator's state as a plain JSON-able dict (saved in checkpoints)."""
        state = self._rng.bit_generator.state
        return {"bit_generator": state["bit_generator"],
                "state": {k: int(v) for k, v in state["state"].items()},
                "has_uint32": int(state["has_uint32"]), "uinteger": int(state["uinteger"]),
                "seed": self._seed}

    def set_state(self, state: dict) -> "Generator":
        """Restore a state from ``get_state`` (the same numbers follow)."""
        if not isinstance(state, dict) or "state" not in state:
            raise TypeError(f"set_state: expected a state from Generator.get_state(), got "
                            f"{type(state).__name__}")
        rng = np.random.default_rng()
        rng.bit_generator.state = {"bit_generator": state["bit_generator"],
                                   "state": {k: int(v) for k, v in state["state"].items()},
                                   "has_uint32": int(state["has_uint32"]),
                                   "uinteger": int(state["uinteger"])}
        self._rng = rng
        self._seed = int(state.get("seed", self._seed))
        return self

    def __getattr__(self, name):
        # only reached for names the class lacks: NumPy's sampling methods
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._rng, name)

    def __repr__(self) -> str:
        return f"<tinytorch.Generator object on {self.device}>"


_default = Generator()


def default_generator() -> Generator:
    """The global generator (``tinytorch.default_generator``)."""
    return _default


def numpy_rng(generator=None) -> np.random.Generator:
    """The NumPy generator to draw from: ``generator``'s, or the global one's when None."""
    if generator is None:
        return _default._rng
    if isinstance(generator, Generator):
        return generator._rng
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"generator must be a tinytorch.Generator, got {type(generator).__name__}")


def manual_seed(seed: int) -> Generator:
    """Reseed the global generator (as ``torch.manual_seed``); returns it."""
    return _default.manual_seed(seed)


def seed() -> int:
    """Seed the global generator from the OS and return the seed used."""
    return _default.seed()


def initial_seed() -> int:
    """The seed the global generator was last seeded with."""
    return _default.initial_seed()


def get_rng_state() -> dict:
    """The global generator's state (a JSON-able dict; PyTorch returns a ByteTensor)."""
    return _default.get_state()


def set_rng_state(state: dict) -> None:
    """Restore the global generator's state from ``get_rng_state``."""
    _default.set_state(state)
