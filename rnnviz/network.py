"""A sequence model: inputs -> 1..3 stacked recurrent layers (optionally bidirectional)
-> linear output layer -> softmax. Batched, NumPy only.

Inputs are either token ids, an int array ``(T, B)`` (one-hot is never materialised: the
input projection gathers columns of W_ih), or dense vectors ``(T, B, I)``. ``batch_first=True``
means ``(B, T)`` / ``(B, T, I)``. A 1-D id sequence / 2-D float array is one unbatched
sequence (B = 1). Traces are always time-major ``(T, B, ...)``.

Speed notes: the input projection of all steps is one matmul (or gather) per layer and
direction; per step only W_hh h_{t-1} and elementwise ops run, written in place into
preallocated trace arrays. Sigmoid gates use sigmoid(x) = 0.5*tanh(x/2) + 0.5, with the
factor 1/2 folded into their weight rows (exact: a power of two), so one ``tanh`` call
activates every gate of a step.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .cells import CellParams, check_cell, draw_weights, init_cell, num_gates, softmax
from .trace import LayerTrace, Trace


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
        check_cell(self.cell, self.nonlinearity)

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
    check_cell(cell, nonlinearity)
    if not 1 <= num_layers:
        raise ValueError("num_layers must be >= 1")
    rng = np.random.default_rng(seed)
    D = 2 if bidirectional else 1
    layers = []
    for layer in range(num_layers):
        in_size = input_size if layer == 0 else D * hidden_size
        layers.append(
            [
                init_cell(rng, cell, in_size, hidden_size, init=init, scale=scale, zero_bias=zero_bias, dtype=dtype)
                for _ in range(D)
            ]
        )
    w_out = b_out = None
    if output_size:
        fan_in = D * hidden_size
        out_scale = scale if scale is not None else (1.0 / np.sqrt(fan_in) if init == "uniform" else 0.01)
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
    c0 = _initial_state(c0, L * D, B, H, dtype, "c0") if model.cell == "lstm" else None

    layer_traces: list[list[LayerTrace]] = []
    layer_in = x
    for l, layer in enumerate(model.layers):
        traces = []
        for d, params in enumerate(layer):
            k = l * D + d
            ih = _input_projection(params, layer_in, tokens=(tokens and l == 0))
            traces.append(
                _run_direction(model.cell, model.nonlinearity, params, ih, h0[k], None if c0 is None else c0[k], d == 1)
            )
        layer_traces.append(traces)
        layer_in = traces[0].h if D == 1 else np.concatenate([t.h for t in traces], axis=-1)

    output = layer_in
    h_n = np.stack([tr.h[-1] if not tr.reverse else tr.h[0] for layer in layer_traces for tr in layer])
    c_n = None
    if model.cell == "lstm":
        c_n = np.stack([tr.c[-1] if not tr.reverse else tr.c[0] for layer in layer_traces for tr in layer])
    logits = probs = None
    if model.w_out is not None:
        logits = output @ model.w_out.T
        logits += model.b_out
        probs = softmax(logits)
    return Trace(model.cell, model.nonlinearity, x, layer_traces, output, h_n, c_n, logits, probs)


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


def _run_direction(
    cell: str,
    nonlinearity: str,
    p: CellParams,
    ih: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray | None,
    reverse: bool,
) -> LayerTrace:
    T, B, _ = ih.shape
    H = p.hidden_size
    order = range(T - 1, -1, -1) if reverse else range(T)
    h = np.empty((T, B, H), ih.dtype)
    hh = np.empty_like(ih)
    if cell == "rnn":
        _rnn_loop(p, ih, hh, h, h0, order, nonlinearity)
        return LayerTrace(cell, reverse, ih, hh, h, h0)
    gates = np.empty_like(ih)
    if cell == "lstm":
        c = np.empty((T, B, H), ih.dtype)
        _lstm_loop(p, ih, hh, gates, h, c, h0, c0, order)
        return LayerTrace(cell, reverse, ih, hh, h, h0, gates, c, c0)
    _gru_loop(p, ih, hh, gates, h, h0, order)
    return LayerTrace(cell, reverse, ih, hh, h, h0, gates)


def _rnn_loop(p, ih, hh, h, h0, order, nonlinearity) -> None:
    w_hh_t = p.w_hh.T
    ihb = ih + p.b_hh  # b_hh folded in once; hh gets it back after the loop
    act = np.tanh if nonlinearity == "tanh" else _relu
    prev = h0
    for t in order:
        np.matmul(prev, w_hh_t, out=hh[t])
        np.add(hh[t], ihb[t], out=h[t])
        act(h[t], out=h[t])
        prev = h[t]
    hh += p.b_hh


def _relu(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0, out=out)


def _sigmoid_row_scale(cell: str, H: int, dtype: np.dtype) -> np.ndarray:
    """0.5 on sigmoid-gate rows, 1 on tanh rows (LSTM's g, GRU's n)."""
    s = np.full(num_gates(cell) * H, 0.5, dtype)
    if cell == "lstm":
        s[2 * H : 3 * H] = 1.0
    else:
        s[2 * H :] = 1.0
    return s


def _lstm_loop(p, ih, hh, gates, h, c, h0, c0, order) -> None:
    H = p.hidden_size
    s = _sigmoid_row_scale("lstm", H, ih.dtype)
    w_hh_t = (p.w_hh * s[:, None]).T
    pre = (ih + p.b_hh) * s
    tmp = np.empty_like(h0)
    prev_h, prev_c = h0, c0
    for t in order:
        g = gates[t]
        np.matmul(prev_h, w_hh_t, out=hh[t])
        np.add(hh[t], pre[t], out=g)
        np.tanh(g, out=g)
        i_f, gg, o = g[:, : 2 * H], g[:, 2 * H : 3 * H], g[:, 3 * H :]
        i_f *= 0.5
        i_f += 0.5
        o *= 0.5
        o += 0.5
        ct = c[t]
        np.multiply(g[:, H : 2 * H], prev_c, out=ct)
        np.multiply(g[:, :H], gg, out=tmp)
        ct += tmp
        np.tanh(ct, out=tmp)
        np.multiply(o, tmp, out=h[t])
        prev_h, prev_c = h[t], ct
    hh /= s  # undo the exact 1/2 scaling of sigmoid rows
    hh += p.b_hh


def _gru_loop(p, ih, hh, gates, h, h0, order) -> None:
    H = p.hidden_size
    s = _sigmoid_row_scale("gru", H, ih.dtype)
    w_hh_t = (p.w_hh * s[:, None]).T
    b_hh = p.b_hh * s
    pre_rz = ih[..., : 2 * H] * 0.5
    prev = h0
    for t in order:
        g, hht, ht = gates[t], hh[t], h[t]
        np.matmul(prev, w_hh_t, out=hht)
        hht += b_hh
        rz = g[:, : 2 * H]
        np.add(hht[:, : 2 * H], pre_rz[t], out=rz)
        np.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5
        n = g[:, 2 * H :]
        np.multiply(g[:, :H], hht[:, 2 * H :], out=n)
        n += ih[t, :, 2 * H :]
        np.tanh(n, out=n)
        np.subtract(prev, n, out=ht)  # h = n + z * (h_prev - n)
        ht *= g[:, H : 2 * H]
        ht += n
        prev = ht
    hh[..., : 2 * H] *= 2.0
