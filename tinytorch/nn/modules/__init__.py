"""``tinytorch.nn.modules.<file>.<Layer>``: PyTorch's module paths for the layers.

PyTorch defines each layer in a file of ``torch/nn/modules/`` and programs sometimes name
them by that path (``torch.nn.modules.linear.Linear``, ``torch.nn.modules.activation.
MultiheadAttention`` in ``torch.serialization.safe_globals([...])`` lists, ``isinstance``
checks). tinytorch's layers live elsewhere (``tinytorch/nn/*.py``); this table gives each
PyTorch path a module holding the same classes, so ``import torch.nn.modules.rnn`` and
``torch.nn.modules.sparse.Embedding`` work. The classes are the very ones of
``tinytorch.nn``: nothing is defined twice.
"""

from __future__ import annotations

import sys
import types

from .. import attention as _attention
from .. import padding as _padding

_nn = sys.modules[__name__.rpartition(".")[0]]

# PyTorch's file under torch/nn/modules/ -> the tinytorch.nn names defined there
LAYOUT = {
    "module": ["Module"],
    "activation": ["Threshold", "ReLU", "Hardtanh", "ReLU6", "Sigmoid", "Hardsigmoid", "Tanh",
                   "SiLU", "Mish", "Hardswish", "ELU", "CELU", "SELU", "GLU", "GELU",
                   "Hardshrink", "LeakyReLU", "LogSigmoid", "Softplus", "Softshrink",
                   "MultiheadAttention", "PReLU", "Softsign", "Tanhshrink", "Softmin",
                   "Softmax", "Softmax2d", "LogSoftmax"],
    "batchnorm": ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"],
    "channelshuffle": ["ChannelShuffle"],
    "container": ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"],
    "conv": ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"],
    "distance": ["PairwiseDistance", "CosineSimilarity"],
    "dropout": ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                "FeatureAlphaDropout"],
    "flatten": ["Flatten", "Unflatten"],
    "fold": ["Fold", "Unfold"],
    "instancenorm": ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"],
    "linear": ["Identity", "Linear", "Bilinear"],
    "loss": ["L1Loss", "NLLLoss", "PoissonNLLLoss", "GaussianNLLLoss", "KLDivLoss", "MSELoss",
             "BCELoss", "BCEWithLogitsLoss", "HingeEmbeddingLoss", "MultiLabelMarginLoss",
             "SmoothL1Loss", "HuberLoss", "SoftMarginLoss", "CrossEntropyLoss",
             "MultiLabelSoftMarginLoss", "CosineEmbeddingLoss", "MarginRankingLoss",
             "MultiMarginLoss", "TripletMarginLoss"],
    "normalization": ["LocalResponseNorm", "LayerNorm", "GroupNorm", "RMSNorm"],
    "padding": _padding.__all__,
    "pixelshuffle": ["PixelShuffle", "PixelUnshuffle"],
    "pooling": ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveMaxPool1d",
                "AdaptiveMaxPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d"],
    "rnn": ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"],
    "sparse": ["Embedding", "EmbeddingBag"],
    "transformer": ["Transformer", "TransformerEncoder", "TransformerDecoder",
                    "TransformerEncoderLayer", "TransformerDecoderLayer"],
    "upsampling": ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"],
}
# not exported by torch.nn itself, but found at these paths
EXTRA = {"linear": {"NonDynamicallyQuantizableLinear":
                    _attention.NonDynamicallyQuantizableLinear}}


def _layout_module(file: str) -> types.ModuleType:
    name = f"{__name__}.{file}"
    module = types.ModuleType(name, f"PyTorch's torch.nn.modules.{file}: the same classes "
                                    f"as tinytorch.nn")
    for layer in LAYOUT[file]:
        setattr(module, layer, getattr(_nn, layer) if hasattr(_nn, layer)
                else getattr(_padding, layer))
    for layer, cls in EXTRA.get(file, {}).items():
        setattr(module, layer, cls)
    module.__all__ = LAYOUT[file] + list(EXTRA.get(file, {}))
    sys.modules[name] = module
    return module


for _file in LAYOUT:
    globals()[_file] = _layout_module(_file)
    for _layer in LAYOUT[_file]:  # torch.nn.modules.Linear, as PyTorch's package exports
        globals()[_layer] = getattr(globals()[_file], _layer)
del _file, _layer
