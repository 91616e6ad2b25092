"""Formulation (b): the functional, column-major formulation ("batch in columns").

The names, shapes and return values of the well-known step-by-step notebook::

    rnn_cell_forward(xt, a_prev, parameters)        -> a_next, yt_pred, cache
    rnn_forward(x, a0, parameters)                  -> a, y_pred, caches
    lstm_cell_forward(xt, a_prev, c_prev, parameters) -> a_next, c_next, yt_pred, cache
    lstm_forward(x, a0, parameters)                 -> a, y, c, caches
    rnn_cell_backward(da_next, cache)               -> {dxt, da_prev, dWax, dWaa, dba}
    rnn_backward(da, caches)                        -> {dx, da0, dWax, dWaa, dba}

Shapes: ``xt (n_x, m)``, ``x (n_x, m, T_x)``, ``a_prev (n_a, m)``; a time series keeps time on
the last axis. RNN parameters ``Wax (n_a, n_x)``, ``Waa (n_a, n_a)``, ``Wya (n_y, n_a)``,
``ba (n_a, 1)``, ``by (n_y, 1)``. LSTM parameters ``Wf, Wi, Wc, Wo (n_a, n_a + n_x)`` act on
the stack ``[a_prev; xt]``, biases ``bf, bi, bc, bo (n_a, 1)``, output ``Wy (n_y, n_a)``,
``by (n_y, 1)``. Predictions are a softmax over the rows (axis 0).

Every function is an adapter: it maps the arrays onto rnnviz's core in PyTorch layout
(``W_ih = Wax``, ``W_hh = Waa``, ``b_ih = ba``, ``b_hh = 0``; LSTM gate rows i, f, g (= c~), o
with ``W_hh = W[:, :n_a]``, ``W_ih = W[:, n_a:]``), runs :func:`rnnviz.network.forward` or the
backward math of :mod:`rnnviz.backprop` in time-major, batch-in-rows layout, and transposes
back. ``rnn_backward`` follows the notebook's convention: ``da[:, :, t]`` is the gradient
arriving at ``a<t>`` from outside the recurrence (e.g. from the prediction), and the gradient
carried back from step t+1 is added to it. Like the notebook, it covers the hidden state only
(no output layer).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..backprop import direction_backward, weight_grads
from ..cells import CellParams
from ..network import RNNModel, forward
from ..trace import LayerTrace, Trace
from ._shapes import Dims, check_mapping, float_dtype, parameter

LSTM_GATE_KEYS = (("Wi", "bi"), ("Wf", "bf"), ("Wc", "bc"), ("Wo", "bo"))  # core order i, f, g, o


def _time_major(x: np.ndarray) -> np.ndarray:
    """(n, m, T) column-major series <-> (T, m, n) time-major batch-in-rows (its own inverse)."""
    return x.transpose(2, 1, 0)


def _columns(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a.T)


# --- forward: parameters -> core model -------------------------------------------------------

def _rnn_model(parameters: Mapping, dims: Dims, *arrays: np.ndarray) -> RNNModel:
    check_mapping(parameters)
    w_ax = parameter(parameters, "Wax", dims, ("n_a", "n_x"))
    w_aa = parameter(parameters, "Waa", dims, ("n_a", "n_a"))
    w_ya = parameter(parameters, "Wya", dims, ("n_y", "n_a"))
    b_a = parameter(parameters, "ba", dims, ("n_a", "1"))
    b_y = parameter(parameters, "by", dims, ("n_y", "1"))
    dtype = float_dtype(w_ax, w_aa, w_ya, b_a, b_y, *arrays)
    cell = CellParams(w_ax, w_aa, b_a[:, 0], np.zeros(w_aa.shape[0]))
    return RNNModel("rnn", [[cell]], w_ya, b_y[:, 0]).astype(dtype)


def _lstm_model(parameters: Mapping, dims: Dims, *arrays: np.ndarray) -> RNNModel:
    check_mapping(parameters)
    n_a = dims.sizes["n_a"]
    dims.bind("n_a+n_x", n_a + dims.sizes["n_x"], "a_prev and xt")
    weights = [parameter(parameters, w, dims, ("n_a", "n_a+n_x")) for w, _ in LSTM_GATE_KEYS]
    biases = [parameter(parameters, b, dims, ("n_a", "1")) for _, b in LSTM_GATE_KEYS]
    w_y = parameter(parameters, "Wy", dims, ("n_y", "n_a"))
    b_y = parameter(parameters, "by", dims, ("n_y", "1"))
    dtype = float_dtype(*weights, *biases, w_y, b_y, *arrays)
    cell = CellParams(
        w_ih=np.concatenate([w[:, n_a:] for w in weights]),
        w_hh=np.concatenate([w[:, :n_a] for w in weights]),
        b_ih=np.concatenate([b[:, 0] for b in biases]),
        b_hh=np.zeros(4 * n_a),
    )
    return RNNModel("lstm", [[cell]], w_y, b_y[:, 0]).astype(dtype)


def _run(model: RNNModel, x: np.ndarray, a0: np.ndarray, c0: np.ndarray | None = None) -> Trace:
    """Core forward over column-major ``x (n_x, m, T)`` from ``a0`` / ``c0`` ``(n_a, m)``."""
    dtype = model.dtype
    h0 = a0.T[None].astype(dtype)  # (n_a, m) -> (layers*directions = 1, m, n_a)
    c0 = None if c0 is None else c0.T[None].astype(dtype)
    # cast first: integer arrays would otherwise be read as token ids
    return forward(model, _time_major(x).astype(dtype), h0=h0, c0=c0)


# --- forward: the public formulation ---------------------------------------------------------

def rnn_cell_forward(xt, a_prev, parameters: dict) -> tuple[np.ndarray, np.ndarray, tuple]:
    """One RNN step: ``a_next = tanh(Wax xt + Waa a_prev + ba)``, ``yt_pred = softmax(Wya a_next + by)``.

    Returns ``(a_next (n_a, m), yt_pred (n_y, m), cache)``, ``cache = (a_next, a_prev, xt, parameters)``.
    """
    dims = Dims()
    xt = dims.check("xt", xt, ("n_x", "m"))
    a_prev = dims.check("a_prev", a_prev, ("n_a", "m"))
    model = _rnn_model(parameters, dims, xt, a_prev)
    trace = _run(model, xt[:, :, None], a_prev)
    a_next, yt_pred = _columns(trace.output[0]), _columns(trace.probs[0])
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)


def rnn_forward(x, a0, parameters: dict) -> tuple[np.ndarray, np.ndarray, tuple[list, np.ndarray]]:
    """The RNN over ``x (n_x, m, T_x)`` from ``a0 (n_a, m)``.

    Returns ``(a (n_a, m, T_x), y_pred (n_y, m, T_x), caches)`` with
    ``caches = ([rnn_cell_forward's cache for each t], x)``.
    """
    dims = Dims()
    x = dims.check("x", x, ("n_x", "m", "T_x"))
    a0 = dims.check("a0", a0, ("n_a", "m"))
    model = _rnn_model(parameters, dims, x, a0)
    trace = _run(model, x, a0)
    a, y_pred = _series(trace.output), _series(trace.probs)
    prev = [a0] + [a[:, :, t] for t in range(a.shape[2] - 1)]
    step_caches = [(a[:, :, t], prev[t], x[:, :, t], parameters) for t in range(a.shape[2])]
    return a, y_pred, (step_caches, x)


def lstm_cell_forward(xt, a_prev, c_prev, parameters: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple]:
    """One LSTM step on ``concat = [a_prev; xt]``: ``ft = sigmoid(Wf concat + bf)``, ``it``, ``ot``
    likewise, ``cct = tanh(Wc concat + bc)``, ``c_next = ft*c_prev + it*cct``, ``a_next = ot*tanh(c_next)``,
    ``yt_pred = softmax(Wy a_next + by)``.

    Returns ``(a_next, c_next, yt_pred, cache)`` with
    ``cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)``.
    """
    dims = Dims()
    xt = dims.check("xt", xt, ("n_x", "m"))
    a_prev = dims.check("a_prev", a_prev, ("n_a", "m"))
    c_prev = dims.check("c_prev", c_prev, ("n_a", "m"))
    model = _lstm_model(parameters, dims, xt, a_prev, c_prev)
    trace = _run(model, xt[:, :, None], a_prev, c_prev)
    a, y, c, gates = _lstm_columns(trace)
    a_next, c_next, yt_pred = a[:, :, 0], c[:, :, 0], y[:, :, 0]
    it, ft, cct, ot = (g[:, :, 0] for g in gates)
    return a_next, c_next, yt_pred, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)


def lstm_forward(x, a0, parameters: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[list, np.ndarray]]:
    """The LSTM over ``x (n_x, m, T_x)`` from ``a0 (n_a, m)`` and a zero cell state.

    Returns ``(a (n_a, m, T_x), y (n_y, m, T_x), c (n_a, m, T_x), caches)`` with
    ``caches = ([lstm_cell_forward's cache for each t], x)``.
    """
    dims = Dims()
    x = dims.check("x", x, ("n_x", "m", "T_x"))
    a0 = dims.check("a0", a0, ("n_a", "m"))
    model = _lstm_model(parameters, dims, x, a0)
    c0 = np.zeros_like(a0, dtype=model.dtype)
    trace = _run(model, x, a0, c0)
    a, y, c, (it, ft, cct, ot) = _lstm_columns(trace)
    T = a.shape[2]
    a_prev = [a0] + [a[:, :, t] for t in range(T - 1)]
    c_prev = [c0] + [c[:, :, t] for t in range(T - 1)]
    step_caches = [
        (a[:, :, t], c[:, :, t], a_prev[t], c_prev[t], ft[:, :, t], it[:, :, t], cct[:, :, t], ot[:, :, t],
         x[:, :, t], parameters)
        for t in range(T)
    ]
    return a, y, c, (step_caches, x)


def _lstm_columns(trace: Trace) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """a, y, c (n, m, T) and the gates (i, f, g, o), each (n_a, m, T), from an LSTM trace."""
    lt = trace.layers[0][0]
    gates = tuple(_series(lt.gate(name)) for name in ("i", "f", "g", "o"))
    return _series(trace.output), _series(trace.probs), _series(lt.c), gates


def _series(arr: np.ndarray) -> np.ndarray:
    """A time-major (T, m, n) core array as a contiguous column-major (n, m, T) series."""
    return np.ascontiguousarray(_time_major(arr))


# --- backward ----------------------------------------------------------------------------------

def rnn_cell_backward(da_next, cache: tuple) -> dict[str, np.ndarray]:
    """Gradients of one RNN step, given ``da_next`` (n_a, m), the gradient of the loss at ``a_next``.

    Returns ``{"dxt" (n_x, m), "da_prev" (n_a, m), "dWax" (n_a, n_x), "dWaa" (n_a, n_a), "dba" (n_a, 1)}``.
    """
    a_next, a_prev, xt, parameters = _unpack(cache, "cache", "(a_next, a_prev, xt, parameters)")
    dims = Dims()
    xt = dims.check("cache xt", xt, ("n_x", "m"))
    a_prev = dims.check("cache a_prev", a_prev, ("n_a", "m"))
    a_next = dims.check("cache a_next", a_next, ("n_a", "m"))
    da_next = dims.check("da_next", da_next, ("n_a", "m"))
    dx, da0, grads = _rnn_backward_core(
        parameters, dims, da_next[:, :, None], a_next[:, :, None], a_prev, xt[:, :, None]
    )
    return {"dxt": dx[:, :, 0], "da_prev": da0, "dWax": grads.w_ih, "dWaa": grads.w_hh, "dba": grads.b_ih[:, None]}


def rnn_backward(da, caches: tuple) -> dict[str, np.ndarray]:
    """Backpropagation through time for :func:`rnn_forward`'s hidden states.

    ``da (n_a, m, T_x)``: the upstream gradient at each ``a<t>``. Returns
    ``{"dx" (n_x, m, T_x), "da0" (n_a, m), "dWax", "dWaa", "dba" (n_a, 1)}``.
    """
    step_caches, x = _unpack(caches, "caches", "(list_of_step_caches, x)")
    if not isinstance(step_caches, Sequence) or len(step_caches) == 0:
        raise ValueError("caches[0] must be the non-empty list of step caches that rnn_forward returns")
    dims = Dims()
    x = dims.check("caches x", x, ("n_x", "m", "T_x"))
    if len(step_caches) != dims.sizes["T_x"]:
        raise ValueError(f"caches holds {len(step_caches)} step caches but x has T_x = {dims.sizes['T_x']} steps")
    steps = [_unpack(c, f"caches[0][{t}]", "(a_next, a_prev, xt, parameters)") for t, c in enumerate(step_caches)]
    a = np.stack([dims.check(f"caches[0][{t}] a_next", s[0], ("n_a", "m")) for t, s in enumerate(steps)], axis=2)
    a0 = dims.check("caches[0][0] a_prev", steps[0][1], ("n_a", "m"))
    da = dims.check("da", da, ("n_a", "m", "T_x"))
    dx, da0, grads = _rnn_backward_core(steps[0][3], dims, da, a, a0, x)
    return {"dx": dx, "da0": da0, "dWax": grads.w_ih, "dWaa": grads.w_hh, "dba": grads.b_ih[:, None]}


def _rnn_backward_core(parameters, dims: Dims, da, a, a0, x) -> tuple[np.ndarray, np.ndarray, CellParams]:
    """Column-major arrays in, the core's BPTT (rnnviz.backprop) on their time-major transposes.

    Returns ``dx (n_x, m, T)``, ``da0 (n_a, m)`` and the weight gradients in core layout.
    """
    check_mapping(parameters)
    w_ax = parameter(parameters, "Wax", dims, ("n_a", "n_x"))
    w_aa = parameter(parameters, "Waa", dims, ("n_a", "n_a"))
    dtype = float_dtype(w_ax, w_aa, da, a, a0, x)
    w_ax, w_aa = w_ax.astype(dtype), w_aa.astype(dtype)
    b_a = parameter(parameters, "ba", dims, ("n_a", "1")) if "ba" in parameters else np.zeros((w_aa.shape[0], 1))
    b_a = b_a[:, 0].astype(dtype)
    params = CellParams(w_ax, w_aa, b_a, np.zeros_like(b_a))
    x_tm = np.ascontiguousarray(_time_major(x), dtype)
    h = np.ascontiguousarray(_time_major(a), dtype)
    h0 = a0.T.astype(dtype)
    # the LayerTrace the core's backward reads; ih / hh are filled so it is a complete trace
    h_prev = np.concatenate([h0[None], h[:-1]])
    lt = LayerTrace("rnn", False, ih=x_tm @ w_ax.T + b_a, hh=h_prev @ w_aa.T, h=h, h0=h0)
    d_ih, d_hh, d_h0, _ = direction_backward(params, lt, np.ascontiguousarray(_time_major(da), dtype))
    grads = weight_grads(d_ih, d_hh, lt.h_prev, x_tm, tokens=False, input_size=w_ax.shape[1])
    dx = _series(d_ih @ w_ax)
    return dx, _columns(d_h0), grads


def _unpack(value, name: str, layout: str) -> tuple:
    n = layout.count(",") + 1
    if not isinstance(value, (tuple, list)) or len(value) != n:
        raise ValueError(f"{name} must be the {n}-tuple {layout} that the forward function returns")
    return tuple(value)
