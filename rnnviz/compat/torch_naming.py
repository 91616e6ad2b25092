"""Formulation (c): PyTorch's parameter names and return values.

``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (+ ``_reverse`` for
the second direction), exactly as ``torch.nn.RNN/LSTM/GRU.state_dict()`` names them. The
output layer, when the model has one, is stored as ``out.weight`` / ``out.bias`` (an
``nn.Linear`` named ``out``).

Bidirectional (formulation e) follows PyTorch: the reverse direction reads the sequence
backwards, but its outputs are re-aligned to the original time index before the forward and
reverse halves are concatenated (``output[t] = [h_fwd[t], h_rev[t]]``), and ``h_n`` stacks
``[forward, reverse]`` per layer. A common hand-written version forgets to re-reverse the
backward outputs; rnnviz does not.
"""
from __future__ import annotations

import numpy as np

from .. import cells
from ..naming import OUT_BIAS, OUT_WEIGHT, model_from_state_dict
from ..naming import state_dict as to_torch_state_dict
from ..network import RNNModel, forward

__all__ = ["OUT_BIAS", "OUT_WEIGHT", "from_torch_state_dict", "to_torch_state_dict", "torch_forward"]


def from_torch_state_dict(
    state_dict: dict,
    *,
    cell: str,
    num_layers: int = 1,
    bidirectional: bool = False,
    nonlinearity: str = "tanh",
) -> RNNModel:
    """Build a model from PyTorch-named arrays (NumPy arrays or torch tensors).

    Raises ``ValueError`` naming the key and the expected shape when anything is missing or off.
    """
    arrays = {key: _as_array(value) for key, value in state_dict.items()}
    return model_from_state_dict(arrays, cell=cell, num_layers=num_layers, bidirectional=bidirectional,
                                 nonlinearity=nonlinearity)


def _as_array(value):
    if hasattr(value, "detach"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    return value


def torch_forward(
    state_dict: dict,
    x: np.ndarray,
    *,
    cell: str,
    num_layers: int = 1,
    bidirectional: bool = False,
    batch_first: bool = False,
    nonlinearity: str = "tanh",
    h0=None,
):
    """What ``torch.nn.RNN/GRU(...)(x, h0)`` returns, ``(output, h_n)``, and for LSTM
    ``(output, (h_n, c_n))`` with ``h0`` given as a pair ``(h0, c0)``; NumPy arrays throughout.

    Unbatched input (2-D ``(T, I)``) gives unbatched results, as in PyTorch.
    """
    model = from_torch_state_dict(
        state_dict, cell=cell, num_layers=num_layers, bidirectional=bidirectional, nonlinearity=nonlinearity
    )
    x = np.asarray(x, dtype=model.dtype)
    unbatched = x.ndim == 2
    c0 = None
    if cells.get(cell).has_cell_state and h0 is not None:
        h0, c0 = h0
    trace = forward(model, x, batch_first=batch_first, h0=h0, c0=c0)
    output, h_n, c_n = trace.output, trace.h_n, trace.c_n
    if unbatched:
        output, h_n = output[:, 0], h_n[:, 0]
        c_n = None if c_n is None else c_n[:, 0]
    elif batch_first:
        output = output.swapaxes(0, 1)
    if cells.get(cell).has_cell_state:
        return output, (h_n, c_n)
    return output, h_n
