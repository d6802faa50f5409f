"""Neural-network building blocks with PyTorch's names and parameter layouts."""

from .parameter import Parameter
