"""Neural-network building blocks with PyTorch's names and parameter layouts."""

from . import functional, init, parallel, utils
from .activation import (  # issue 12 part A
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmax2d,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from .attention import MultiheadAttention
from .channelshuffle import ChannelShuffle
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .distance import CosineSimilarity, PairwiseDistance
from .dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout
from .embedding import Embedding, EmbeddingBag
from .flatten import Flatten, Unflatten
from .linear import Bilinear, Identity, Linear
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    NLLLoss,
    PoissonNLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
    TripletMarginLoss,
)
from .module import Module
from .normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    LayerNorm,
    LocalResponseNorm,
    RMSNorm,
)
from .parallel import DataParallel
from .parameter import Parameter
from .transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

__all__ = ["Parameter", "Module", "Sequential", "ModuleList", "ModuleDict", "Linear",
           "Identity", "Embedding", "LayerNorm", "Dropout", "ReLU", "GELU", "Tanh", "Sigmoid",
           "Softmax", "LogSoftmax", "MultiheadAttention", "CrossEntropyLoss", "NLLLoss",
           "MSELoss", "functional", "init", "utils"]
__all__ += ["SiLU", "Mish", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "Softplus",
            "Softsign", "Hardtanh", "ReLU6", "Hardswish", "Hardsigmoid", "LogSigmoid",
            "Tanhshrink", "Softshrink", "Hardshrink", "Threshold", "GLU", "Softmin",
            "Softmax2d"]
__all__ += ["L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
            "KLDivLoss", "MarginRankingLoss", "HingeEmbeddingLoss", "CosineEmbeddingLoss",
            "TripletMarginLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss",
            "MultiMarginLoss", "PoissonNLLLoss", "GaussianNLLLoss", "MultiLabelMarginLoss"]
__all__ += ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "GroupNorm", "InstanceNorm1d",
            "InstanceNorm2d", "InstanceNorm3d", "RMSNorm", "LocalResponseNorm"]
__all__ += ["ChannelShuffle", "CosineSimilarity", "PairwiseDistance", "Flatten", "Unflatten",
            "AlphaDropout", "FeatureAlphaDropout", "Dropout1d", "Dropout2d", "Dropout3d",
            "EmbeddingBag", "Bilinear", "ParameterList", "ParameterDict"]
__all__ += ["Transformer", "TransformerEncoder", "TransformerDecoder",
            "TransformerEncoderLayer", "TransformerDecoderLayer"]

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
__all__ += ["DataParallel", "parallel"]
from . import padding  # noqa: E402
from .padding import *  # noqa: E402

__all__ += padding.__all__
from . import modules  # noqa: E402  (PyTorch's torch.nn.modules.<file> paths)
