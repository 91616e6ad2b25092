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
    output_keys: tuple[str, str] | None = (OUT_WEIGHT, OUT_BIAS),
) -> RNNModel:
    """A model from PyTorch-named arrays; a ``ValueError`` naming the key and the expected shape
    when anything is missing or off. Values are read with ``np.asarray`` (tensors are converted
    by the caller: rnnviz.compat). ``output_keys``: where the output layer's weight and bias are
    (None: no output layer is read)."""
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
    w_out, b_out = _output_layer(state_dict, output_keys, D * H)
    dtype = np.result_type(*(a for row in layers for p in row for a in p.arrays().values()))
    return RNNModel(cell, layers, w_out, b_out, nonlinearity).astype(dtype)


def _output_layer(state_dict: dict, keys: tuple[str, str] | None, fan_in: int):
    """``(w_out, b_out)`` read from ``keys``, or ``(None, None)`` when there is no output layer."""
    if keys is None:
        return None, None
    wk, bk = keys
    if bk in state_dict and wk not in state_dict:
        raise ValueError(f"state_dict is missing {wk!r} (expected shape (O, {fan_in})) to go with {bk!r}")
    if wk not in state_dict:
        return None, None
    w_out = _float_array(state_dict[wk], wk)
    if w_out.ndim != 2 or w_out.shape[1] != fan_in:
        raise ValueError(f"{wk!r} must have shape (O, D*H) = (O, {fan_in}), got {w_out.shape}")
    if bk not in state_dict:
        raise ValueError(f"state_dict is missing {bk!r} (expected shape (O,) = ({w_out.shape[0]},))")
    b_out = _float_array(state_dict[bk], bk)
    if b_out.shape != (w_out.shape[0],):
        raise ValueError(
            f"{bk!r} must have shape (O,) = ({w_out.shape[0]},) to match {wk!r} {w_out.shape}, got {b_out.shape}"
        )
    return w_out, b_out


def _float_array(value, key: str) -> np.ndarray:
    arr = np.asarray(value)
    if not np.issubdtype(arr.dtype, np.floating):
        raise ValueError(f"{key!r} must hold floating-point numbers, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{key!r} contains NaN or infinity")
    return arr
