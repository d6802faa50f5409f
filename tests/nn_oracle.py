"""Compare a tinytorch module with its PyTorch twin: weights copied both ways, float64.

``check_against_torch(tt_module, torch_module, inputs)`` loads the PyTorch module's
state_dict into the tinytorch one (keys and shapes must be equal), runs both on the same
inputs, and compares outputs, input gradients and parameter gradients; then it loads the
tinytorch state_dict back into PyTorch (the other direction).
"""

from __future__ import annotations

import numpy as np

import tinytorch


def to_tiny_state(torch_state: dict) -> dict:
    return {k: tinytorch.tensor(v.detach().numpy().copy()) for k, v in torch_state.items()}


def to_torch_state(tiny_state: dict) -> dict:
    import torch

    return {k: torch.from_numpy(np.array(v.numpy())) for k, v in tiny_state.items()}


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def check_against_torch(tt_module, torch_module, arrays, *, kwargs=None, torch_kwargs=None,
                        grad_inputs=None, rtol: float = 1e-7, atol: float = 1e-9,
                        backward: bool = True) -> None:
    """Outputs, input and parameter gradients of both modules agree (float64)."""
    import torch

    torch_module = torch_module.double()
    tt_module = tt_module.double()
    t_state = torch_module.state_dict()
    tt_state = tt_module.state_dict()
    assert list(t_state) == list(tt_state), (list(t_state), list(tt_state))
    for k in t_state:
        assert tuple(t_state[k].shape) == tuple(tt_state[k].shape), k
    tt_module.load_state_dict(to_tiny_state(t_state))
    kwargs = kwargs or {}
    torch_kwargs = kwargs if torch_kwargs is None else torch_kwargs
    grad_inputs = [np.issubdtype(np.asarray(a).dtype, np.floating) for a in arrays] \
        if grad_inputs is None else grad_inputs
    tt_in = [tinytorch.tensor(np.asarray(a), requires_grad=bool(g) and backward)
             for a, g in zip(arrays, grad_inputs)]
    t_in = [torch.tensor(np.asarray(a), requires_grad=bool(g) and backward)
            for a, g in zip(arrays, grad_inputs)]
    tt_out = [o for o in _flat(tt_module(*tt_in, **kwargs)) if o is not None]
    t_out = [o for o in _flat(torch_module(*t_in, **torch_kwargs)) if o is not None]
    assert len(tt_out) == len(t_out)
    for a, b in zip(tt_out, t_out):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol,
                                   atol=atol)
    if backward:
        rng = np.random.default_rng(0)
        seeds = [rng.standard_normal(tuple(o.shape)) for o in t_out]
        tt_loss = sum((o * tinytorch.tensor(s)).sum() for o, s in zip(tt_out, seeds)
                      if o.requires_grad)
        t_loss = sum((o * torch.tensor(s)).sum() for o, s in zip(t_out, seeds)
                     if o.requires_grad)
        tt_loss.backward()
        t_loss.backward()
        for a, b in zip(tt_in, t_in):
            if b.grad is not None:
                np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol,
                                           atol=atol)
        tt_params = dict(tt_module.named_parameters())
        for name, p in torch_module.named_parameters():
            if p.grad is None:
                continue
            np.testing.assert_allclose(tt_params[name].grad.numpy(), p.grad.numpy(),
                                       rtol=rtol, atol=atol, err_msg=name)
    # and back: tinytorch's weights load into PyTorch
    torch_module.load_state_dict(to_torch_state(tt_module.state_dict()))
