"""Neural-network building blocks with PyTorch's names and parameter layouts."""

from . import functional, init, utils
from .activation import GELU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .attention import MultiheadAttention
from .container import ModuleDict, ModuleList, Sequential
from .dropout import Dropout
from .embedding import Embedding
from .linear import Identity, Linear
from .loss import CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module
from .normalization import LayerNorm
from .parameter import Parameter

__all__ = ["Parameter", "Module", "Sequential", "ModuleList", "ModuleDict", "Linear",
           "Identity", "Embedding", "LayerNorm", "Dropout", "ReLU", "GELU", "Tanh", "Sigmoid",
           "Softmax", "LogSoftmax", "MultiheadAttention", "CrossEntropyLoss", "NLLLoss",
           "MSELoss", "functional", "init", "utils"]

# ----------------------------------------------------------------------------- issue 12 part B
from .conv import (  # noqa: E402
           Conv1d,
           Conv2d,
           ConvTranspose1d,
           ConvTranspose2d,
           Fold,
           PixelShuffle,
           PixelUnshuffle,
           Unfold,
)
from .pooling import (  # noqa: E402
           AdaptiveAvgPool1d,
           AdaptiveAvgPool2d,
           AdaptiveMaxPool1d,
           AdaptiveMaxPool2d,
           AvgPool1d,
           AvgPool2d,
           MaxPool1d,
           MaxPool2d,
           Upsample,
           UpsamplingBilinear2d,
           UpsamplingNearest2d,
)

__all__ += ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "Fold", "Unfold",
            "PixelShuffle", "PixelUnshuffle", "MaxPool1d", "MaxPool2d", "AvgPool1d",
            "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d",
            "AdaptiveMaxPool2d", "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase  # noqa: E402

__all__ += ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]
