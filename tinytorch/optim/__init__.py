"""Optimizers (SGD, Adam, AdamW) and learning-rate schedulers (``optim.lr_scheduler``)."""

from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "lr_scheduler"]

# ----------------------------------------------------------------------------- issue 12 part B
from .adadelta import Adadelta  # noqa: E402
from .adagrad import Adagrad  # noqa: E402
from .adamax import Adamax  # noqa: E402
from .nadam import NAdam  # noqa: E402
from .radam import RAdam  # noqa: E402
from .rmsprop import RMSprop  # noqa: E402

__all__ += ["RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam"]

# ----------------------------------------------------------------------------- session 4
from .asgd import ASGD  # noqa: E402
from .lbfgs import LBFGS  # noqa: E402
from .rprop import Rprop  # noqa: E402

__all__ += ["LBFGS", "Rprop", "ASGD"]
