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

from ..cells import CellParams, check_cell, num_gates
from ..network import RNNModel, forward

_PARTS = (("weight_ih", "w_ih"), ("weight_hh", "w_hh"), ("bias_ih", "b_ih"), ("bias_hh", "b_hh"))
OUT_WEIGHT, OUT_BIAS = "out.weight", "out.bias"


def _suffix(layer: int, direction: int) -> str:
    return f"_l{layer}" + ("_reverse" if direction else "")


def to_torch_state_dict(model: RNNModel) -> dict[str, np.ndarray]:
    """The model's parameters under PyTorch's names (copies, so callers may keep them)."""
    sd: dict[str, np.ndarray] = {}
    for l, layer in enumerate(model.layers):
        for d, params in enumerate(layer):
            for torch_name, attr in _PARTS:
                sd[torch_name + _suffix(l, d)] = np.array(getattr(params, attr))
    if model.w_out is not None:
        sd[OUT_WEIGHT] = np.array(model.w_out)
        sd[OUT_BIAS] = np.array(model.b_out)
    return sd


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
    check_cell(cell, nonlinearity)
    D = 2 if bidirectional else 1
    G = num_gates(cell)
    layers = []
    H = None
    for l in range(num_layers):
        row = []
        for d in range(D):
            arrays = {}
            for torch_name, attr in _PARTS:
                key = torch_name + _suffix(l, d)
                if key not in state_dict:
                    raise ValueError(f"missing key {key!r}")
                arrays[attr] = _as_array(state_dict[key], key)
            w_hh = arrays["w_hh"]
            if H is None:
                if w_hh.ndim != 2 or w_hh.shape[0] != G * w_hh.shape[1]:
                    raise ValueError(f"{'weight_hh' + _suffix(l, d)!r} must have shape ({G}*H, H), got {w_hh.shape}")
                H = w_hh.shape[1]
            in_size = arrays["w_ih"].shape[1] if l == 0 and arrays["w_ih"].ndim == 2 else D * H
            expected = {"w_ih": (G * H, in_size), "w_hh": (G * H, H), "b_ih": (G * H,), "b_hh": (G * H,)}
            for torch_name, attr in _PARTS:
                if arrays[attr].shape != expected[attr]:
                    key = torch_name + _suffix(l, d)
                    raise ValueError(f"{key!r} must have shape {expected[attr]}, got {arrays[attr].shape}")
            row.append(CellParams(**arrays))
        layers.append(row)
    w_out = b_out = None
    if OUT_BIAS in state_dict and OUT_WEIGHT not in state_dict:
        raise ValueError(f"missing key {OUT_WEIGHT!r} (shape (O, {D * H})) to go with {OUT_BIAS!r}")
    if OUT_WEIGHT in state_dict:
        w_out = _as_array(state_dict[OUT_WEIGHT], OUT_WEIGHT)
        if w_out.ndim != 2 or w_out.shape[1] != D * H:
            raise ValueError(f"{OUT_WEIGHT!r} must have shape (O, {D * H}), got {w_out.shape}")
        if OUT_BIAS not in state_dict:
            raise ValueError(f"missing key {OUT_BIAS!r}")
        b_out = _as_array(state_dict[OUT_BIAS], OUT_BIAS)
        if b_out.shape != (w_out.shape[0],):
            raise ValueError(
                f"{OUT_BIAS!r} must have shape ({w_out.shape[0]},) to match {OUT_WEIGHT!r} {w_out.shape}, "
                f"got {b_out.shape}"
            )
    dtype = np.result_type(*(a for row in layers for p in row for a in (p.w_ih, p.w_hh, p.b_ih, p.b_hh)))
    model = RNNModel(cell, layers, w_out, b_out, nonlinearity)
    return model.astype(dtype)


def _as_array(value, key: str) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    arr = np.asarray(value)
    if not np.issubdtype(arr.dtype, np.floating):
        raise ValueError(f"{key!r} must hold floating-point numbers, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{key!r} contains NaN or infinity")
    return arr


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
    if cell == "lstm" and h0 is not None:
        h0, c0 = h0
    trace = forward(model, x, batch_first=batch_first, h0=h0, c0=c0)
    output, h_n, c_n = trace.output, trace.h_n, trace.c_n
    if unbatched:
        output, h_n = output[:, 0], h_n[:, 0]
        c_n = None if c_n is None else c_n[:, 0]
    elif batch_first:
        output = output.swapaxes(0, 1)
    if cell == "lstm":
        return output, (h_n, c_n)
    return output, h_n
