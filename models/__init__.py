"""The repository's ``models`` folder: the models themselves ship inside the package as
``tinytorch.models`` (so installing tinytorch claims no site-wide name ``models``); this
shim keeps ``import models`` and ``from models.gpt import GPT`` working from a checkout."""

from tinytorch.models import *  # noqa: F403
from tinytorch.models import __all__  # noqa: F401
