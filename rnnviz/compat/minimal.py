"""Formulation (a): the minimal character-level RNN class, column vectors and dicts keyed by time.

    rnn = MinimalRNN(input_size, hidden_size, output_size, seed=0)
    xs, hs, ys, ps = rnn.forward([3, 1, 4])   # xs[t] one-hot (I, 1), hs[t] (H, 1), hs[-1] zeros
                                              # ys[t] logits (O, 1), ps[t] softmax(ys[t]) (O, 1)
    rnn.forward([])                           # ({}, {-1: zeros (H, 1)}, {}, {}), like the textbook loop

with ``hs[t] = tanh(Wxh xs[t] + Whh hs[t-1] + bh)``, ``ys[t] = Why hs[t] + by``. The attributes
are plain arrays that training code updates in place (``self.Wxh -= lr * dWxh``); every call
maps the *current* arrays onto rnnviz's core (``W_ih = Wxh``, ``W_hh = Whh``, ``b_ih = bh``,
``b_hh = 0``, output layer ``Why``, ``by``) and runs :func:`rnnviz.network.forward`.
"""
from __future__ import annotations

import numpy as np

from ..cells import CellParams
from ..network import RNNModel, forward
from ..trace import Trace
from ._shapes import Dims, float_dtype, from_tensor


class MinimalRNN:
    """Weights ``randn * 0.01`` drawn in the order Wxh, Whh, Why; biases zero.

    ``seed`` given: drawn from ``np.random.RandomState(seed)``, which equals running
    ``np.random.seed(seed)`` before the textbook's ``np.random.randn(...) * 0.01`` lines.
    ``seed=None``: drawn from NumPy's global random state, exactly like that code.
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int, seed: int | None = None) -> None:
        for name, size in (("input_size", input_size), ("hidden_size", hidden_size), ("output_size", output_size)):
            if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
                raise ValueError(f"{name} must be a positive integer, got {size!r}")
        randn = np.random.randn if seed is None else np.random.RandomState(seed).randn
        self.Wxh = randn(hidden_size, input_size) * 0.01
        self.Whh = randn(hidden_size, hidden_size) * 0.01
        self.Why = randn(output_size, hidden_size) * 0.01
        self.bh = np.zeros((hidden_size, 1))
        self.by = np.zeros((output_size, 1))

    @property
    def input_size(self) -> int:
        return np.shape(self.Wxh)[1]

    @property
    def hidden_size(self) -> int:
        return np.shape(self.Whh)[0]

    @property
    def output_size(self) -> int:
        return np.shape(self.Why)[0]

    def model(self) -> RNNModel:
        """The core model built from the current attribute arrays (shared, not copied)."""
        dims = Dims()
        w_xh = dims.check("Wxh", self.Wxh, ("H", "I"))
        w_hh = dims.check("Whh", self.Whh, ("H", "H"))
        w_hy = dims.check("Why", self.Why, ("O", "H"))
        b_h = dims.check("bh", self.bh, ("H", "1"))
        b_y = dims.check("by", self.by, ("O", "1"))
        dtype = float_dtype(w_xh, w_hh, w_hy, b_h, b_y)
        cell = CellParams(w_xh, w_hh, b_h[:, 0], np.zeros(w_hh.shape[0], dtype))
        return RNNModel("rnn", [[cell]], w_hy, b_y[:, 0]).astype(dtype)

    def trace(self, inputs: list[int], h_prev: np.ndarray | None = None) -> Trace:
        """The core's full trace of one forward pass (batch of 1), for the app to display."""
        model = self.model()
        ids = _token_ids(inputs, model.input_size)
        if ids.size == 0:
            raise ValueError("inputs must hold at least one token id to make a trace, got an empty sequence")
        return forward(model, ids, h0=self._h0(model, h_prev))

    def forward(self, inputs: list[int], h_prev: np.ndarray | None = None) -> tuple[dict, dict, dict, dict]:
        """``(xs, hs, ys, ps)``, dicts keyed by time step, every value a column vector.

        ``hs[-1]`` is the initial state: a copy of ``h_prev`` (H, 1) if given, else zeros. Empty
        ``inputs`` give ``({}, {-1: h0}, {}, {})``, as the min-char-rnn loop does.
        """
        model = self.model()
        ids = _token_ids(inputs, model.input_size)
        if ids.size == 0:  # nothing to run: the textbook loop only sets hs[-1]
            h0 = self._h0(model, h_prev)
            return {}, {-1: np.zeros((model.hidden_size, 1), model.dtype) if h0 is None else h0[0].T.copy()}, {}, {}
        trace = forward(model, ids, h0=self._h0(model, h_prev))
        dtype = trace.output.dtype
        hs = {-1: np.array(trace.layers[0][0].h0.T, dtype)}
        xs, ys, ps = {}, {}, {}
        for t, token in enumerate(trace.inputs[:, 0]):
            xs[t] = np.zeros((self.input_size, 1), dtype)
            xs[t][token] = 1.0
            hs[t] = trace.output[t].T.copy()
            ys[t] = trace.logits[t].T.copy()
            ps[t] = trace.probs[t].T.copy()
        return xs, hs, ys, ps

    @staticmethod
    def _h0(model: RNNModel, h_prev) -> np.ndarray | None:
        """``h_prev`` (H, 1) as the core's ``h0`` (1, 1, H) in the model's dtype, or None (zeros)."""
        if h_prev is None:
            return None
        return Dims(H=model.hidden_size).check("h_prev", h_prev, ("H", "1")).T[None].astype(model.dtype)


def _token_ids(inputs, input_size: int) -> np.ndarray:
    """``inputs`` as a 1-D int array of ids in [0, input_size) (possibly empty), or a clear ValueError."""
    ids = np.asarray(from_tensor("inputs", inputs))
    if ids.ndim != 1:
        raise ValueError(f"inputs must be a list of token ids (1-D), got shape {ids.shape}")
    if ids.size == 0:
        return ids.astype(int)
    if ids.dtype == bool or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"inputs must be integer token ids, got dtype {ids.dtype}")
    if ids.min() < 0 or ids.max() >= input_size:
        raise ValueError(f"token ids must lie in [0, {input_size - 1}] (input_size = {input_size}), got {ids.tolist()}")
    return ids
