"""Uses a torch name tinytorch does not provide (our code)."""
import torch

try:
    import torch.fft  # noqa: F401  (a script's optional feature: the fallback path runs)
except ImportError:
    print("no torch.fft: falling back")
print("has hub:", hasattr(torch, "hub"))
torch.fft.rfft(torch.ones(4))
