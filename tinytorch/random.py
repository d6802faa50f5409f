"""The global random state: ``manual_seed``, ``get_rng_state``/``set_rng_state``.

One NumPy ``Generator`` (PCG64) feeds every random factory, initialiser and dropout mask.
Numbers are drawn on the host and then moved to the device, so a seed gives the same
numbers on CPU and GPU.
"""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator (as ``torch.manual_seed``)."""
    global _generator
    _generator = np.random.default_rng(int(seed))
    return _generator


def seed() -> int:
    """Seed from the OS and return the seed used."""
    s = int(np.random.SeedSequence().entropy % (2**63))
    manual_seed(s)
    return s


def default_generator() -> np.random.Generator:
    return _generator


def get_rng_state() -> dict:
    """The generator's state as a plain JSON-able dict (saved in checkpoints)."""
    state = _generator.bit_generator.state
    return {"bit_generator": state["bit_generator"],
            "state": {k: int(v) for k, v in state["state"].items()},
            "has_uint32": int(state["has_uint32"]), "uinteger": int(state["uinteger"])}


def set_rng_state(state: dict) -> None:
    global _generator
    g = np.random.default_rng()
    g.bit_generator.state = {"bit_generator": state["bit_generator"],
                             "state": {k: int(v) for k, v in state["state"].items()},
                             "has_uint32": int(state["has_uint32"]),
                             "uinteger": int(state["uinteger"])}
    _generator = g
