"""Touches every infrastructure name of issue 13 the way real PyTorch scripts do (our code)."""
import multiprocessing as std_mp
import sys
import warnings

import torch
import torch.backends.cudnn as cudnn
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.utils.checkpoint
from packaging import version
from torch.nn.parallel import DataParallel, DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset

assert sys.argv[1:] == ["--flag", "value"], sys.argv
assert __name__ == "__main__"
major_minor = tuple(map(int, torch.__version__.split(".")[:2]))
assert version.parse(torch.__version__) >= version.parse("0.0.1")

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
assert device == "cpu" and device.type == "cpu" and str(device) == "cpu"
assert device.index is None and torch.device("cuda:1").index == 1
assert not torch.cuda.is_available() and torch.cuda.device_count() == 0
torch.cuda.manual_seed(0)
torch.cuda.manual_seed_all(0)
torch.cuda.empty_cache()
assert torch.cuda.memory_allocated() == 0 and torch.cuda.max_memory_allocated() == 0
torch.cuda.reset_peak_memory_stats()
assert torch.cuda.is_bf16_supported() is False
for needs_gpu in (torch.cuda.synchronize, torch.cuda.get_device_name, torch.cuda.current_device):
    try:
        needs_gpu()
    except RuntimeError as e:
        assert "CUDA is not available" in str(e)
    else:
        raise AssertionError(f"{needs_gpu.__name__} without a GPU should raise")

torch.backends.cuda.matmul.allow_tf32 = True
cudnn.allow_tf32 = True
cudnn.benchmark = True
cudnn.deterministic = True
assert torch.backends.cudnn.enabled and torch.backends.cudnn.benchmark
assert torch.backends.mps.is_available() is False

model = nn.Linear(3, 2)
x = torch.randn(4, 3)
with torch.amp.autocast(device_type="cpu", dtype=torch.float32):
    assert model(x).dtype == torch.float32
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with torch.autocast("cpu", dtype=torch.float16):
        y = model(x)
    with torch.autocast("cpu", dtype=torch.float16):
        pass
assert y.dtype == torch.float32
assert sum("no mixed-precision" in str(w.message) for w in caught) == 1, caught
with torch.cuda.amp.autocast(enabled=False):
    pass

opt = torch.optim.SGD(model.parameters(), lr=0.1)
scaler = torch.amp.GradScaler(enabled=False)
loss = model(x).sum()
assert scaler.scale(loss) is loss
scaler.scale(loss).backward()
scaler.unscale_(opt)
scaler.step(opt)
scaler.update()
assert scaler.state_dict() == {} and scaler.get_scale() == 1.0
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    assert not torch.cuda.amp.GradScaler().is_enabled()
assert "CUDA is not available" in str(caught[0].message)
cpu_scaler = torch.amp.GradScaler("cpu", init_scale=8.0, growth_interval=1)
cpu_scaler.scale(model(x).sum()).backward()
cpu_scaler.step(opt)
cpu_scaler.update()
assert cpu_scaler.get_scale() == 16.0
cpu_scaler.load_state_dict(cpu_scaler.state_dict())

compiled = torch.compile(model)
assert compiled is model


@torch.compile
def double(t):
    return 2 * t


@torch.compile(mode="reduce-overhead", fullgraph=True)
def triple(t):
    return 3 * t


assert double(torch.ones(1)).item() == 2 and triple(torch.ones(1)).item() == 3
assert torch.jit.script(model) is model and torch.jit.trace(model, x) is model
assert torch.jit.ignore(double) is double and torch.jit.unused(double) is double

assert not dist.is_available() and not dist.is_initialized()
try:
    dist.init_process_group("gloo")
except RuntimeError as e:
    assert "single process" in str(e)
for call in (dist.get_rank, dist.get_world_size, lambda: DistributedDataParallel(model)):
    try:
        call()
    except ValueError as e:
        assert "init_process_group" in str(e)
    else:
        raise AssertionError("needs a process group")
wrapped = DataParallel(model)
assert torch.equal(wrapped(x), model(x))
assert list(wrapped.state_dict()) == ["module.weight", "module.bias"]
assert nn.DataParallel is DataParallel
assert mp.Process is std_mp.Process
mp.set_start_method("spawn", force=True)

torch.set_float32_matmul_precision("high")
assert torch.get_float32_matmul_precision() == "high"
torch.set_num_threads(1)
assert torch.get_num_threads() == 1
torch.set_num_interop_threads(1)
torch.use_deterministic_algorithms(True)
assert torch.are_deterministic_algorithms_enabled()


@torch.inference_mode()
def infer(t):
    return model(t)


assert not infer(x).requires_grad
with torch.inference_mode():
    assert not model(x).requires_grad
with torch.set_grad_enabled(False):
    assert not model(x).requires_grad
torch.set_grad_enabled(True)
with torch.no_grad():
    with torch.enable_grad():
        assert model(x).requires_grad


@torch.no_grad()
def evaluate(t):
    return model(t)


assert not evaluate(x).requires_grad
batch = torch.ones(2, 3).pin_memory()
assert not batch.is_pinned()
assert batch.to(device, non_blocking=True).device == device

size = torch.ones(2, 3, 4).shape
assert isinstance(size + (5,), torch.Size) and isinstance(size[1:], torch.Size)
assert size[1:] == (3, 4) and size.numel() == 24 and (1,) + size == (1, 2, 3, 4)
assert torch.finfo(torch.float32).eps == 2.0 ** -23
assert torch.finfo(torch.float16).max == 65504.0 and torch.finfo().bits == 32
assert torch.iinfo(torch.int64).max == 2 ** 63 - 1 and torch.iinfo(torch.int32).min == -2 ** 31
assert torch.finfo(torch.float32).tiny > 0 and torch.finfo(torch.float64).resolution == 1e-15
torch.manual_seed(0)
out = torch.utils.checkpoint.checkpoint(model, x, use_reentrant=False)
assert torch.equal(out, model(x))
loader = DataLoader(TensorDataset(torch.randn(5, 3), torch.arange(5)), batch_size=2,
                    shuffle=True, num_workers=2, pin_memory=True)
assert [len(yb) for _, yb in loader] == [2, 2, 1]
assert not hasattr(torch, "hub")
print("INFRASTRUCTURE OK")
