"""Recurrent cells with PyTorch's conventions, so parameters map 1:1 to ``torch.nn``.

Every cell of one layer and one direction owns four arrays (G = gates per cell):

    w_ih (G*H, I)   w_hh (G*H, H)   b_ih (G*H,)   b_hh (G*H,)

Gate rows are stacked in PyTorch's order:
    rnn:  h' = act(W_ih x + b_ih + W_hh h + b_hh)                act = tanh | relu
    lstm: i, f, g, o;  c' = f*c + i*g;  h' = o*tanh(c')         (i, f, o sigmoid; g tanh)
    gru:  r, z, n;     n = tanh(W_in x + b_in + r*(W_hn h + b_hn));  h' = (1-z)*n + z*h

This module holds the math that is shared by the forward pass (network.py) and
backpropagation (backprop.py): numerically stable activations and initialisation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CELLS = ("rnn", "lstm", "gru")
NONLINEARITIES = ("tanh", "relu")
GATE_NAMES: dict[str, tuple[str, ...]] = {"rnn": ("h",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
INIT_SCHEMES = ("uniform", "normal")


def num_gates(cell: str) -> int:
    """Number of stacked gate blocks in W_ih / W_hh (1, 4 or 3)."""
    check_cell(cell)
    return len(GATE_NAMES[cell])


def check_cell(cell: str, nonlinearity: str = "tanh") -> None:
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic sigmoid as 0.5*tanh(x/2)+0.5: never overflows, never warns, no NaN at any scale."""
    out = np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``, shifted by the max so exp never overflows."""
    shifted = logits - logits.max(axis=axis, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=axis, keepdims=True)
    return shifted


def log_softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = logits - logits.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


@dataclass
class CellParams:
    """Parameters of one layer in one direction, in PyTorch's layout."""

    w_ih: np.ndarray  # (G*H, I)
    w_hh: np.ndarray  # (G*H, H)
    b_ih: np.ndarray  # (G*H,)
    b_hh: np.ndarray  # (G*H,)

    @property
    def hidden_size(self) -> int:
        return self.w_hh.shape[1]

    @property
    def input_size(self) -> int:
        return self.w_ih.shape[1]

    def arrays(self) -> dict[str, np.ndarray]:
        return {"weight_ih": self.w_ih, "weight_hh": self.w_hh, "bias_ih": self.b_ih, "bias_hh": self.b_hh}

    def astype(self, dtype: np.dtype) -> "CellParams":
        return CellParams(*(np.asarray(a, dtype=dtype) for a in (self.w_ih, self.w_hh, self.b_ih, self.b_hh)))


def draw_weights(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    *,
    init: str,
    scale: float,
    dtype: np.dtype,
) -> np.ndarray:
    """One parameter array: ``uniform`` draws U(-scale, scale), ``normal`` draws randn*scale."""
    if init == "uniform":
        return rng.uniform(-scale, scale, size=shape).astype(dtype)
    if init == "normal":
        return (rng.standard_normal(shape) * scale).astype(dtype)
    raise ValueError(f"init must be one of {INIT_SCHEMES}, got {init!r}")


def init_cell(
    rng: np.random.Generator,
    cell: str,
    input_size: int,
    hidden_size: int,
    *,
    init: str = "uniform",
    scale: float | None = None,
    zero_bias: bool = False,
    dtype: np.dtype = np.float64,
) -> CellParams:
    """Draw one cell's parameters in the order w_ih, w_hh, b_ih, b_hh.

    ``scale=None`` means PyTorch's default: U(-1/sqrt(H), 1/sqrt(H)) for uniform, 0.01 for normal.
    """
    rows = num_gates(cell) * hidden_size
    if scale is None:
        scale = 1.0 / np.sqrt(hidden_size) if init == "uniform" else 0.01
    w_ih = draw_weights(rng, (rows, input_size), init=init, scale=scale, dtype=dtype)
    w_hh = draw_weights(rng, (rows, hidden_size), init=init, scale=scale, dtype=dtype)
    if zero_bias:
        b_ih, b_hh = np.zeros(rows, dtype), np.zeros(rows, dtype)
    else:
        b_ih = draw_weights(rng, (rows,), init=init, scale=scale, dtype=dtype)
        b_hh = draw_weights(rng, (rows,), init=init, scale=scale, dtype=dtype)
    return CellParams(w_ih, w_hh, b_ih, b_hh)
