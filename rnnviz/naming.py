"""PyTorch's parameter names, the engine's canonical file format.

``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (+ ``_reverse`` for the
second direction), exactly as ``torch.nn.RNN/LSTM/GRU.state_dict()`` names them. The output layer,
when the model has one, is an ``nn.Linear`` named ``out``: ``out.weight`` (O, D*H), ``out.bias`` (O,).
The engine's own layout *is* PyTorch's, so this is naming only: no transposes, no reordering.
"""
from __future__ import annotations

import re

import numpy as np

from . import cells
from .cells import CellParams
from .network import RNNModel

PARTS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")  # CellParams.arrays() order
OUT_WEIGHT, OUT_BIAS = "out.weight", "out.bias"
_KEY = re.compile(r"^(weight|bias)_(ih|hh)_l(\d+)(_reverse)?$")


def suffix(layer: int, direction: int) -> str:
    """``_l{layer}``, plus ``_reverse`` for the second direction."""
    return f"_l{layer}" + ("_reverse" if direction else "")


def parse_key(key: str) -> tuple[str, int, int] | None:
    """``"weight_hh_l1_reverse"`` -> ``("weight_hh", 1, 1)``; None for any other name."""
    match = _KEY.match(key)
    if not match:
        return None
    return f"{match.group(1)}_{match.group(2)}", int(match.group(3)), 1 if match.group(4) else 0


def state_dict(model: RNNModel) -> dict[str, np.ndarray]:
    """The model's parameters under PyTorch's names (copies, so callers may keep them)."""
    sd: dict[str, np.ndarray] = {}
    for l, layer in enumerate(model.layers):
        for d, params in enumerate(layer):
            for name, array in params.arrays().items():
                sd[name + suffix(l, d)] = np.array(array)
    if model.w_out is not None:
        sd[OUT_WEIGHT] = np.array(model.w_out)
        sd[OUT_BIAS] = np.array(model.b_out)
    return sd


def model_from_state_dict(
    state_dict: dict,
    *,
    cell: str,
    num_layers: int = 1,
    bidirectional: bool = False,
    nonlinearity: str = "tanh",
) -> RNNModel:
    """A model from PyTorch-named arrays; a ``ValueError`` naming the key and the expected shape
    when anything is missing or off. Values are read with ``np.asarray`` (tensors are converted
    by the caller: rnnviz.compat)."""
    D = 2 if bidirectional else 1
    G = cells.check(cell, nonlinearity).num_gates
    layers = []
    H = None
    for l in range(num_layers):
        row = []
        for d in range(D):
            arrays = {}
            for name in PARTS:
                key = name + suffix(l, d)
                if key not in state_dict:
                    raise ValueError(f"missing key {key!r}")
                arrays[name] = _float_array(state_dict[key], key)
            w_hh = arrays["weight_hh"]
            if H is None:
                if w_hh.ndim != 2 or w_hh.shape[0] != G * w_hh.shape[1]:
                    raise ValueError(f"{'weight_hh' + suffix(l, d)!r} must have shape ({G}*H, H), got {w_hh.shape}")
                H = w_hh.shape[1]
            w_ih = arrays["weight_ih"]
            in_size = w_ih.shape[1] if l == 0 and w_ih.ndim == 2 else D * H
            expected = {"weight_ih": (G * H, in_size), "weight_hh": (G * H, H), "bias_ih": (G * H,), "bias_hh": (G * H,)}
            for name in PARTS:
                if arrays[name].shape != expected[name]:
                    raise ValueError(f"{name + suffix(l, d)!r} must have shape {expected[name]}, got {arrays[name].shape}")
            row.append(CellParams(*(arrays[name] for name in PARTS)))
        layers.append(row)
    w_out = b_out = None
    if OUT_BIAS in state_dict and OUT_WEIGHT not in state_dict:
        raise ValueError(f"missing key {OUT_WEIGHT!r} (shape (O, {D * H})) to go with {OUT_BIAS!r}")
    if OUT_WEIGHT in state_dict:
        w_out = _float_array(state_dict[OUT_WEIGHT], OUT_WEIGHT)
        if w_out.ndim != 2 or w_out.shape[1] != D * H:
            raise ValueError(f"{OUT_WEIGHT!r} must have shape (O, {D * H}), got {w_out.shape}")
        if OUT_BIAS not in state_dict:
            raise ValueError(f"missing key {OUT_BIAS!r}")
        b_out = _float_array(state_dict[OUT_BIAS], OUT_BIAS)
        if b_out.shape != (w_out.shape[0],):
            raise ValueError(
                f"{OUT_BIAS!r} must have shape ({w_out.shape[0]},) to match {OUT_WEIGHT!r} {w_out.shape}, "
                f"got {b_out.shape}"
            )
    dtype = np.result_type(*(a for row in layers for p in row for a in p.arrays().values()))
    return RNNModel(cell, layers, w_out, b_out, nonlinearity).astype(dtype)


def _float_array(value, key: str) -> np.ndarray:
    arr = np.asarray(value)
    if not np.issubdtype(arr.dtype, np.floating):
        raise ValueError(f"{key!r} must hold floating-point numbers, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{key!r} contains NaN or infinity")
    return arr
