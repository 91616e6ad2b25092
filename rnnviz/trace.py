"""What one forward pass recorded. Stepping through time indexes these arrays; nothing is recomputed.

Layout: every array is **time-major**, ``(T, B, ...)``, whatever layout the input had.
A reverse-direction layer is stored aligned to the *original* time index, as PyTorch aligns
its outputs: ``h[t]`` of the reverse direction is its state after reading ``x[T-1], ..., x[t]``,
and its "previous" state is ``h[t+1]`` (or h0 at ``t = T-1``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class LayerTrace:
    """One layer in one direction, every time step."""

    cell: str
    reverse: bool
    ih: np.ndarray  # (T, B, G*H)  W_ih x_t + b_ih
    hh: np.ndarray  # (T, B, G*H)  W_hh h_{t-1} + b_hh
    h: np.ndarray  # (T, B, H)
    h0: np.ndarray  # (B, H) the state before the first step this direction processed
    gates: np.ndarray | None = None  # (T, B, G*H) activated gates (LSTM i,f,g,o; GRU r,z,n)
    c: np.ndarray | None = None  # (T, B, H) LSTM cell state
    c0: np.ndarray | None = None  # (B, H)
    gate_names: tuple[str, ...] = ()  # names of the blocks of ``gates``, in order (the cell's)

    @property
    def hidden_size(self) -> int:
        return self.h.shape[-1]

    @property
    def h_prev(self) -> np.ndarray:
        """(T, B, H): the state each step started from, aligned with ``h``."""
        return previous(self.h, self.h0, self.reverse)

    @property
    def c_prev(self) -> np.ndarray | None:
        if self.c is None:
            return None
        return previous(self.c, self.c0, self.reverse)

    @property
    def preactivation(self) -> np.ndarray:
        """(T, B, G*H): ih + hh, the argument of the nonlinearity (for GRU's n gate see ``gate``)."""
        return self.ih + self.hh

    def gate(self, name: str) -> np.ndarray:
        """(T, B, H) one activated gate by name, e.g. ``gate("f")``."""
        names = self.gate_names if self.gates is not None else ()
        if name not in names:
            raise KeyError(f"{self.cell} has gates {names}, not {name!r}")
        k, H = names.index(name), self.hidden_size
        return self.gates[..., k * H : (k + 1) * H]

    def time_order(self) -> range:
        """Time indices in the order this direction processed them."""
        T = self.h.shape[0]
        return range(T - 1, -1, -1) if self.reverse else range(T)


def previous(states: np.ndarray, initial: np.ndarray, reverse: bool, out: np.ndarray | None = None) -> np.ndarray:
    """(T, ...) the state each step started from: ``states`` shifted by one step in the order the
    direction ran, with ``initial`` where it started (t = 0 forward, t = T-1 reverse)."""
    if out is None:
        out = np.empty_like(states)
    if reverse:
        out[:-1] = states[1:]
        out[-1] = initial
    else:
        out[0] = initial
        out[1:] = states[:-1]
    return out


@dataclass
class Trace:
    """Everything one forward pass of a :class:`~rnnviz.network.RNNModel` produced.

    ``layers[l][d]`` is layer ``l`` (0 = nearest the input) in direction ``d`` (0 forward, 1 reverse).
    ``output`` is the last layer's states, forward and reverse concatenated on the last axis,
    exactly PyTorch's ``output``; ``h_n`` / ``c_n`` are stacked ``(num_layers * D, B, H)`` like PyTorch's.
    """

    cell: str
    nonlinearity: str
    inputs: np.ndarray  # token ids (T, B) int, or dense vectors (T, B, I)
    layers: list[list[LayerTrace]]
    output: np.ndarray  # (T, B, D*H)
    h_n: np.ndarray  # (L*D, B, H)
    c_n: np.ndarray | None  # (L*D, B, H) for LSTM
    logits: np.ndarray | None  # (T, B, O) when the model has an output layer
    probs: np.ndarray | None  # (T, B, O)

    @property
    def tokens(self) -> bool:
        """True when the inputs are token ids (one-hot never materialised)."""
        return self.inputs.ndim == 2

    @property
    def seq_len(self) -> int:
        """T, whatever layout the inputs had (the trace is time-major)."""
        return self.output.shape[0]

    @property
    def batch_size(self) -> int:
        return self.output.shape[1]

    def layer_input(self, layer: int) -> np.ndarray:
        """(T, B, I_l) dense input of ``layer``; for token ids at layer 0 use ``inputs``."""
        if layer == 0:
            if self.tokens:
                raise ValueError("layer 0 reads token ids; use trace.inputs (one-hot is not materialised)")
            return self.inputs
        return np.concatenate([d.h for d in self.layers[layer - 1]], axis=-1)
