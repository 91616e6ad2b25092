"""A sequence model: inputs -> 1..3 stacked recurrent layers (optionally bidirectional)
-> linear output layer -> softmax. Batched, NumPy only.

Inputs are either token ids, an int array ``(T, B)`` (one-hot is never materialised: the
input projection gathers columns of W_ih), or dense vectors ``(T, B, I)``. ``batch_first=True``
means ``(B, T)`` / ``(B, T, I)``. A 1-D id sequence / 2-D float array is one unbatched
sequence (B = 1). Traces are always time-major ``(T, B, ...)``.

Speed: the input projection of all steps is one matmul (or gather) per layer and direction;
per step only W_hh h_{t-1} and elementwise ops run, written in place into preallocated trace
arrays. Details and measurements next to the time loops below and in docs/benchmarks.md.
``forward_states`` runs the same loops without keeping the per-step parts (what torch returns).
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
    x, tokens, h0, c0 = _prepare(model, inputs, batch_first, h0, c0)
    layer_traces = _run_layers(model, x, tokens, h0, c0, record=True)
    output = _concat_directions([tr.h for tr in layer_traces[-1]])
    h_n = np.stack([_final(tr.h, tr.reverse) for layer in layer_traces for tr in layer])
    c_n = None
    if model.cell == "lstm":
        c_n = np.stack([_final(tr.c, tr.reverse) for layer in layer_traces for tr in layer])
    logits = probs = None
    if model.w_out is not None:
        logits = output @ model.w_out.T
        logits += model.b_out
        probs = softmax(logits)
    return Trace(model.cell, model.nonlinearity, x, layer_traces, output, h_n, c_n, logits, probs)


def forward_states(
    model: RNNModel,
    inputs: np.ndarray,
    *,
    batch_first: bool = False,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """What ``torch.nn.RNN/LSTM/GRU`` return, time-major: ``(output (T, B, D*H), h_n, c_n)``.

    Same arithmetic as :func:`forward`, but nothing per step is kept apart from the states
    (``c_n`` is None unless LSTM); the output layer is not applied. Used to measure what
    recording the trace costs (bench/engine.py).
    """
    x, tokens, h0, c0 = _prepare(model, inputs, batch_first, h0, c0)
    layers = _run_layers(model, x, tokens, h0, c0, record=False)
    output = _concat_directions([h for h, _, _ in layers[-1]])
    h_n = np.stack([_final(h, reverse) for layer in layers for h, _, reverse in layer])
    c_n = np.stack([c for layer in layers for _, c, _ in layer]) if model.cell == "lstm" else None
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
    c0 = _initial_state(c0, L * D, B, H, dtype, "c0") if model.cell == "lstm" else None
    return x, tokens, h0, c0


def _run_layers(model, x, tokens, h0, c0, *, record):
    """layers[l][d]: a LayerTrace when ``record``, else (h (T, B, H), final c or None, reverse)."""
    D = model.num_directions
    results = []
    layer_in = x
    for l, layer in enumerate(model.layers):
        outs = []
        for d, params in enumerate(layer):
            k = l * D + d
            ih = _input_projection(params, layer_in, tokens=(tokens and l == 0))
            c0_k = None if c0 is None else c0[k]
            outs.append(_run_direction(model.cell, model.nonlinearity, params, ih, h0[k], c0_k, d == 1, record))
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


# ---------------------------------------------------------------------------------------------
# The time loops.
#
# Speed notes (measured with bench/engine.py; see docs/benchmarks.md):
# - Per step only W_hh h_{t-1} and elementwise ops run, written in place (``out=``) into
#   preallocated trace arrays; everything that does not depend on h_{t-1} (the input projection,
#   b_hh, scalings) is done for all steps at once before the loop, and the trace's fix-ups after.
# - NumPy's tanh is slow here (float64 ~15-19 ns/element, float32 ~4), exp is about twice as
#   fast, so gates use sigmoid(x) = 1/(1 + exp(-x)) and tanh(x) = 2 sigmoid(2x) - 1. The factors
#   -1 and -2 are folded into W_hh's rows and the precomputed input part ("k-scaling"): exact, as
#   they are powers of two, and undone after the loop so the trace holds PyTorch's values.
#   exp(-x) overflows to inf for x < ~-709 (float64) / -88 (float32); 1/(1 + inf) = 0 is then the
#   exact limit, so the loops of the bounded cells (tanh RNN, LSTM, GRU: |h| <= 1, |c| grows by at
#   most 1 per step) run under np.errstate(over="ignore", under="ignore"). The ReLU loop does
#   not: a ReLU state that really overflows warns as NumPy always does.
# - Measured and kept: np.dot on a C-contiguous (H, G*H) weight (less call overhead than matmul,
#   faster gemv at B = 1); per-gate (T, B, H) views made once, positional out= arguments and
#   local names for the ufuncs (-15-25% at B = 1, where a step is mostly call overhead); the
#   step-independent pre-activation written into the gates array itself (less fresh memory).
# - Measured and dropped: np.exp2 (no faster than exp for float64, slower for float32); a
#   float64 tanh through exp on small blocks (the extra calls cost more than they save).
# ---------------------------------------------------------------------------------------------

_QUIET_EXP = {"over": "ignore", "under": "ignore"}  # exp(-x) -> inf / 0 are the exact limits here


def _time_buffer(T: int, shape: tuple[int, ...], dtype: np.dtype, record: bool) -> np.ndarray:
    """(T, *shape) storage per step, or, when not recording, one block that every step reuses
    (a stride-0 view over time: the loops run unchanged, memory stays the size of one step)."""
    if record:
        return np.empty((T, *shape), dtype)
    block = np.empty(shape, dtype)
    return np.lib.stride_tricks.as_strided(block, (T, *shape), (0, *block.strides))


def _run_direction(cell, nonlinearity, p, ih, h0, c0, reverse, record):
    T, B, GH = ih.shape
    H = p.hidden_size
    order = range(T - 1, -1, -1) if reverse else range(T)
    h = np.empty((T, B, H), ih.dtype)
    hh = _time_buffer(T, (B, GH), ih.dtype, record)
    if cell == "rnn":
        _rnn_loop(p, ih, hh, h, h0, order, nonlinearity, record)
        return LayerTrace(cell, reverse, ih, hh, h, h0) if record else (h, None, reverse)
    gates = _time_buffer(T, (B, GH), ih.dtype, record)
    # The step-independent part of the pre-activation, for all steps at once. When recording it is
    # written into ``gates`` itself, each step then activates it in place: one big array less to
    # allocate (fresh memory costs a page fault per 4 KiB, ~0.7 ms per MB here).
    pre = gates if record else np.empty_like(ih)
    with np.errstate(**_QUIET_EXP):
        if cell == "lstm":
            c = _time_buffer(T, (B, H), ih.dtype, record)
            _lstm_loop(p, ih, pre, hh, gates, h, c, h0, c0, order, record)
            if record:
                return LayerTrace(cell, reverse, ih, hh, h, h0, gates, c, c0)
            return h, c[0].copy(), reverse  # every step wrote the same block: the final c
        _gru_loop(p, ih, pre, hh, gates, h, h0, order, record)
    return LayerTrace(cell, reverse, ih, hh, h, h0, gates) if record else (h, None, reverse)


def _rnn_loop(p, ih, hh, h, h0, order, nonlinearity, record) -> None:
    w_hh_t = p.w_hh.T
    np.add(ih, p.b_hh, out=h)  # step-independent part, for all steps at once, in place of h
    act = _tanh_for(h0) if nonlinearity == "tanh" else _relu
    dot, add = np.dot, np.add
    prev = h0
    # exp may overflow inside the tanh (exact limit); a ReLU state that really overflows must warn.
    with np.errstate(**(_QUIET_EXP if nonlinearity == "tanh" else {})):
        for t in order:  # positional out= arguments: the keyword costs measurable time per call
            ht, hht = h[t], hh[t]
            dot(prev, w_hh_t, hht)
            add(ht, hht, ht)
            act(ht, ht)
            prev = ht
    if record:
        hh += p.b_hh  # folded into h above; the trace keeps W_hh h + b_hh


def _tanh_for(block: np.ndarray):
    """The tanh to use on per-step blocks like ``block``: in float64 on >= 1024 elements
    2 / (1 + exp(-2x)) - 1, since NumPy's float64 tanh is ~2.5x slower than its exp here, which
    pays for the extra calls; np.tanh otherwise (float32 tanh is fast enough, and on small
    blocks the per-call overhead dominates). Both are called as f(x, out)."""
    return _tanh_via_exp if block.dtype == np.float64 and block.size >= 1024 else np.tanh


def _tanh_via_exp(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """tanh(x) = 2 / (1 + exp(-2x)) - 1, within ~4e-16 of np.tanh. Call under _QUIET_EXP."""
    np.multiply(x, -2.0, out)
    np.exp(out, out)
    np.add(out, 1.0, out)
    np.divide(2.0, out, out)
    np.add(out, -1.0, out)
    return out


def _relu(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0, out=out)  # (positional out is deprecated for np.maximum)


def _k_scaling(cell: str, H: int, dtype: np.dtype) -> np.ndarray:
    """Per gate row: -1 where the gate is a sigmoid, -2 where it is a tanh (LSTM's g, GRU's n).

    With pre-activation x scaled by k, exp(k x) + 1 followed by 1/. gives sigmoid(x) on sigmoid
    rows and sigmoid(2x) on tanh rows, and tanh(x) = 2 sigmoid(2x) - 1."""
    k = np.full(num_gates(cell) * H, -1.0, dtype)
    k[2 * H : 3 * H] = -2.0  # the third gate is the tanh one in both: LSTM i,f,[g],o ; GRU r,z,[n]
    return k


def _scaled_transpose(w_hh: np.ndarray, k: np.ndarray) -> np.ndarray:
    """C-contiguous (H, G*H) copy of (k * W_hh).T: np.dot with it beats a transposed view
    (up to ~1.5x for a single sequence, B = 1) and it is a copy we make anyway."""
    out = np.empty(w_hh.T.shape, w_hh.dtype)
    return np.multiply(w_hh.T, k, out=out)


def _gate_views(gates: np.ndarray, count: int, H: int) -> list[np.ndarray]:
    """(T, B, H) views of each gate block, made once: indexing them by t in the loop is cheaper
    than slicing every step (at B = 1 a step is mostly per-call overhead)."""
    return [gates[..., j * H : (j + 1) * H] for j in range(count)]


def _lstm_loop(p, ih, pre, hh, gates, h, c, h0, c0, order, record) -> None:
    H = p.hidden_size
    k = _k_scaling("lstm", H, ih.dtype)
    w_hh_t = _scaled_transpose(p.w_hh, k)  # hh[t] = k * (W_hh h_{t-1})
    np.add(ih, p.b_hh, out=pre)  # k * (W_ih x_t + b_ih + b_hh)
    pre *= k
    i_, f_, g_, o_ = _gate_views(gates, 4, H)
    tmp = np.empty_like(h0)
    tanh = _tanh_for(tmp)
    dot, add, multiply, exp, divide = np.dot, np.add, np.multiply, np.exp, np.divide
    prev_h, prev_c = h0, c0
    for t in order:  # positional out= arguments: the keyword costs measurable time per call
        z, hht, ct, ht, g = gates[t], hh[t], c[t], h[t], g_[t]
        dot(prev_h, w_hh_t, hht)
        add(hht, pre[t], z)  # k * pre-activation
        exp(z, z)
        add(z, 1.0, z)
        divide(1.0, z, z)  # sigmoid(i), sigmoid(f), sigmoid(2g), sigmoid(o)
        multiply(g, 2.0, g)
        add(g, -1.0, g)  # tanh(g)
        multiply(f_[t], prev_c, ct)
        multiply(i_[t], g, tmp)
        add(ct, tmp, ct)
        tanh(ct, tmp)
        multiply(o_[t], tmp, ht)
        prev_h, prev_c = ht, ct
    if record:  # hh holds -(W_hh h), -2 (W_hg h) on the g rows: back to W_hh h + b_hh
        hh[..., 2 * H : 3 * H] *= 0.5
        np.subtract(p.b_hh, hh, out=hh)


def _gru_loop(p, ih, pre, hh, gates, h, h0, order, record) -> None:
    H = p.hidden_size
    # r, z rows scaled by -1 (sigmoid through exp); the n rows keep scale 1 and go through the
    # tanh of _tanh_for (one call in float32 and on small blocks, where call overhead dominates).
    k = _k_scaling("gru", H, ih.dtype)
    k[2 * H :] = 1.0
    w_hh_t = _scaled_transpose(p.w_hh, k)
    b_hh = p.b_hh * k
    np.multiply(ih, k, out=pre)
    rz_, r_, z_, n_ = gates[..., : 2 * H], *_gate_views(gates, 3, H)
    hh_rz, hh_n = hh[..., : 2 * H], hh[..., 2 * H :]
    pre_rz, pre_n = pre[..., : 2 * H], pre[..., 2 * H :]
    tmp = np.empty_like(h0)
    tanh = _tanh_for(tmp)
    dot, add, subtract, multiply, exp, divide = np.dot, np.add, np.subtract, np.multiply, np.exp, np.divide
    prev = h0
    for t in order:  # positional out= arguments: the keyword costs measurable time per call
        hht, ht, rz, n = hh[t], h[t], rz_[t], n_[t]
        dot(prev, w_hh_t, hht)
        add(hht, b_hh, hht)  # k * (W_hh h_{t-1} + b_hh): r multiplies the whole n block, bias included
        add(hh_rz[t], pre_rz[t], rz)
        exp(rz, rz)
        add(rz, 1.0, rz)
        divide(1.0, rz, rz)  # sigmoid(r), sigmoid(z)
        multiply(r_[t], hh_n[t], tmp)
        add(pre_n[t], tmp, n)  # W_in x + b_in + r * (W_hn h + b_hn)
        tanh(n, n)
        subtract(prev, n, ht)  # h = n + z * (h_prev - n)
        multiply(ht, z_[t], ht)
        add(ht, n, ht)
        prev = ht
    if record:  # hh holds -(W_hh h + b_hh) on the r, z rows
        np.negative(hh_rz, out=hh_rz)
