"""A sequence model: inputs -> 1..3 stacked recurrent layers (optionally bidirectional)
-> linear output layer -> softmax. Batched, NumPy only.

Inputs are either token ids, an int array ``(T, B)`` (one-hot is never materialised: the
input projection gathers columns of W_ih), or dense vectors ``(T, B, I)``. ``batch_first=True``
means ``(B, T)`` / ``(B, T, I)``. A 1-D id sequence / 2-D float array is one unbatched
sequence (B = 1). Traces are always time-major ``(T, B, ...)``.

Speed: the input projection of all steps is one matmul (or gather) per layer and direction;
per step only W_hh h_{t-1} and elementwise ops run, written in place into preallocated trace
arrays. The time loops live with their cells (rnnviz/cells/); speed notes in cells/base.py and
docs/benchmarks.md.
``forward_states`` runs the same loops without keeping the per-step parts (what torch returns).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import cells
from .activations import softmax
from .cells import CellParams, default_scale, draw_weights, init_cell
from .trace import Trace


@dataclass
class RNNModel:
    """Parameters of the whole model. ``layers[l][d]``: layer l, direction d (0 fwd, 1 reverse)."""

    cell: str
    layers: list[list[CellParams]]
    w_out: np.ndarray | None = None  # (O, D*H)
    b_out: np.ndarray | None = None  # (O,)
    nonlinearity: str = "tanh"
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        cells.check(self.cell, self.nonlinearity)

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    @property
    def num_directions(self) -> int:
        return len(self.layers[0])

    @property
    def bidirectional(self) -> bool:
        return self.num_directions == 2

    @property
    def hidden_size(self) -> int:
        return self.layers[0][0].hidden_size

    @property
    def input_size(self) -> int:
        return self.layers[0][0].input_size

    @property
    def output_size(self) -> int | None:
        return None if self.w_out is None else self.w_out.shape[0]

    @property
    def dtype(self) -> np.dtype:
        return self.layers[0][0].w_hh.dtype

    def astype(self, dtype: np.dtype) -> "RNNModel":
        out = None if self.w_out is None else np.asarray(self.w_out, dtype)
        bout = None if self.b_out is None else np.asarray(self.b_out, dtype)
        layers = [[p.astype(dtype) for p in layer] for layer in self.layers]
        return RNNModel(self.cell, layers, out, bout, self.nonlinearity, dict(self.meta))


def init_model(
    cell: str,
    input_size: int,
    hidden_size: int,
    output_size: int | None = None,
    *,
    num_layers: int = 1,
    bidirectional: bool = False,
    nonlinearity: str = "tanh",
    init: str = "uniform",
    scale: float | None = None,
    zero_bias: bool = False,
    seed: int | None = 0,
    dtype: np.dtype = np.float64,
) -> RNNModel:
    """Seeded initialisation with ``numpy.random.default_rng(seed)``.

    Draw order: for each layer, for each direction, w_ih, w_hh, b_ih, b_hh; then w_out, b_out.
    ``init="uniform"`` with ``scale=None`` is PyTorch's default U(±1/sqrt(H)) (the output layer,
    like ``nn.Linear``, uses U(±1/sqrt(fan_in))); ``init="normal"`` draws randn*scale
    (default scale 0.01). ``zero_bias=True`` sets every bias to zero.
    """
    num_gates = cells.check(cell, nonlinearity).num_gates
    if not 1 <= num_layers:
        raise ValueError("num_layers must be >= 1")
    rng = np.random.default_rng(seed)
    D = 2 if bidirectional else 1
    layers = []
    for layer in range(num_layers):
        in_size = input_size if layer == 0 else D * hidden_size
        layers.append(
            [
                init_cell(rng, num_gates, in_size, hidden_size, init=init, scale=scale, zero_bias=zero_bias, dtype=dtype)
                for _ in range(D)
            ]
        )
    w_out = b_out = None
    if output_size:
        fan_in = D * hidden_size
        out_scale = scale if scale is not None else default_scale(init, fan_in)
        w_out = draw_weights(rng, (output_size, fan_in), init=init, scale=out_scale, dtype=dtype)
        b_out = (
            np.zeros(output_size, dtype)
            if zero_bias
            else draw_weights(rng, (output_size,), init=init, scale=out_scale, dtype=dtype)
        )
    return RNNModel(cell, layers, w_out, b_out, nonlinearity)


def as_time_major(x: np.ndarray, *, batch_first: bool, tokens: bool) -> np.ndarray:
    """Return inputs as (T, B) ids or (T, B, I) vectors; an unbatched sequence gets B = 1."""
    unbatched_ndim = 1 if tokens else 2
    if x.ndim == unbatched_ndim:
        return x[:, None]
    if x.ndim != unbatched_ndim + 1:
        kind = "token ids" if tokens else "dense inputs"
        raise ValueError(f"{kind} must have {unbatched_ndim} or {unbatched_ndim + 1} dims, got shape {x.shape}")
    return x.swapaxes(0, 1) if batch_first else x


def forward(
    model: RNNModel,
    inputs: np.ndarray,
    *,
    batch_first: bool = False,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
) -> Trace:
    """Run the model over a batch of sequences and record everything in a :class:`Trace`.

    ``inputs``: int token ids ``(T, B)`` or float vectors ``(T, B, I)`` (``(B, T, ...)`` when
    ``batch_first``). ``h0`` / ``c0``: ``(num_layers * D, B, H)`` like PyTorch (zeros if None).
    """
    x, tokens, h0, c0 = _prepare(model, inputs, batch_first, h0, c0)
    layer_traces = _run_layers(model, x, tokens, h0, c0, record=True)
    output = _concat_directions([tr.h for tr in layer_traces[-1]])
    h_n = np.stack([_final(tr.h, tr.reverse) for layer in layer_traces for tr in layer])
    c_n = None
    if cells.get(model.cell).has_cell_state:
        c_n = np.stack([_final(tr.c, tr.reverse) for layer in layer_traces for tr in layer])
    logits = probs = None
    if model.w_out is not None:
        logits = output @ model.w_out.T
        logits += model.b_out
        probs = softmax(logits)
    return Trace(model.cell, model.nonlinearity, x, layer_traces, output, h_n, c_n, logits, probs)


def forward_states(model: RNNModel, inputs: np.ndarray, *, batch_first: bool = False, h0: np.ndarray | None = None,
                   c0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """What ``torch.nn.RNN/LSTM/GRU`` return, time-major: ``(output (T, B, D*H), h_n, c_n)``.

    Same arithmetic as :func:`forward`, but nothing per step is kept apart from the states
    (``c_n`` is None unless LSTM); the output layer is not applied. Used to measure what
    recording the trace costs (bench/engine.py).
    """
    x, tokens, h0, c0 = _prepare(model, inputs, batch_first, h0, c0)
    layers = _run_layers(model, x, tokens, h0, c0, record=False)
    output = _concat_directions([h for h, _, _ in layers[-1]])
    h_n = np.stack([_final(h, reverse) for layer in layers for h, _, reverse in layer])
    c_n = np.stack([c for layer in layers for _, c, _ in layer]) if cells.get(model.cell).has_cell_state else None
    return output, h_n, c_n


def _prepare(model, inputs, batch_first, h0, c0):
    """Validate inputs and initial states; return time-major x, whether it is token ids, h0, c0."""
    inputs = np.asarray(inputs)
    tokens = np.issubdtype(inputs.dtype, np.integer)
    x = as_time_major(inputs, batch_first=batch_first, tokens=tokens)
    dtype = model.dtype
    if tokens:
        if x.size and (x.min() < 0 or x.max() >= model.input_size):
            raise ValueError(f"token ids must lie in [0, {model.input_size - 1}]")
    else:
        x = np.ascontiguousarray(x, dtype=dtype)
        if x.shape[-1] != model.input_size:
            raise ValueError(f"input feature size {x.shape[-1]} != model input_size {model.input_size}")
    T, B = x.shape[:2]
    if T < 1:
        raise ValueError("sequence length must be at least 1")
    L, D, H = model.num_layers, model.num_directions, model.hidden_size
    h0 = _initial_state(h0, L * D, B, H, dtype, "h0")
    c0 = _initial_state(c0, L * D, B, H, dtype, "c0") if cells.get(model.cell).has_cell_state else None
    return x, tokens, h0, c0


def _run_layers(model, x, tokens, h0, c0, *, record):
    """layers[l][d]: a LayerTrace when ``record``, else (h (T, B, H), final c or None, reverse)."""
    D = model.num_directions
    cell = cells.get(model.cell)
    results = []
    layer_in = x
    for l, layer in enumerate(model.layers):
        outs = []
        for d, params in enumerate(layer):
            k = l * D + d
            ih = _input_projection(params, layer_in, tokens=(tokens and l == 0))
            c0_k = None if c0 is None else c0[k]
            reverse = d == 1
            out = cell.forward(params, ih, h0[k], c0_k, reverse=reverse, record=record, nonlinearity=model.nonlinearity)
            outs.append(out if record else (*out, reverse))
        results.append(outs)
        layer_in = _concat_directions([o.h if record else o[0] for o in outs])
    return results


def _concat_directions(hs: list[np.ndarray]) -> np.ndarray:
    return hs[0] if len(hs) == 1 else np.concatenate(hs, axis=-1)


def _final(states: np.ndarray, reverse: bool) -> np.ndarray:
    """The state after the last step a direction processed (t = 0 for the reverse direction)."""
    return states[0] if reverse else states[-1]


def _initial_state(s: np.ndarray | None, n: int, B: int, H: int, dtype: np.dtype, name: str) -> np.ndarray:
    if s is None:
        return np.zeros((n, B, H), dtype)
    s = np.asarray(s, dtype=dtype)
    if s.ndim == 2:  # unbatched, like torch
        s = s[:, None]
    if s.shape != (n, B, H):
        raise ValueError(f"{name} must have shape {(n, B, H)}, got {s.shape}")
    return s


def _input_projection(params: CellParams, x: np.ndarray, *, tokens: bool) -> np.ndarray:
    """W_ih x_t + b_ih for every step at once: (T, B, G*H)."""
    if tokens:  # one-hot(x) @ W_ih.T == columns of W_ih: a gather, no one-hot matrix
        ih = params.w_ih.T[x]
    else:
        T, B, I = x.shape
        ih = (x.reshape(T * B, I) @ params.w_ih.T).reshape(T, B, -1)
    ih += params.b_ih
    return ih
