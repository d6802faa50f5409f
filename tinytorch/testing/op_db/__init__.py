"""``op_db``: the one table of op specifications (``OpInfo`` rows), read by every op check.

The rows live in family modules, each with a list named ``op_db``; this file concatenates
them. Adding a family is one import and one entry in ``_FAMILIES``. ``op_db_exempt`` names
the public names that are not ops (``"Tensor.numpy"``, ``"tinytorch.manual_seed"``), each
with a one-line reason; the coverage rule (``tests/test_op_db.py``) fails for a public
``Tensor`` method, ``tinytorch.*`` function or ``nn.functional`` name in neither.
"""

from __future__ import annotations

from ..opinfo import ErrorInput, OpInfo
from . import conv, core, creation, linalg, math, nn, nn_layers, reshaping, scatter, selection
from .exempt import op_db_exempt

_FAMILIES = [core, nn, selection, scatter, reshaping, nn_layers, conv, math, linalg, creation]

op_db: list[OpInfo] = [row for family in _FAMILIES for row in family.op_db]

__all__ = ["op_db", "op_db_exempt", "OpInfo", "ErrorInput"]
