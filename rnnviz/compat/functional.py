"""Formulation (b): the functional, column-major formulation ("batch in columns").

The names, shapes and return values of the well-known step-by-step notebook::

    rnn_cell_forward(xt, a_prev, parameters)          -> a_next, yt_pred, cache
    rnn_forward(x, a0, parameters)                    -> a, y_pred, caches
    lstm_cell_forward(xt, a_prev, c_prev, parameters) -> a_next, c_next, yt_pred, cache
    lstm_forward(x, a0, parameters)                   -> a, y, c, caches
    rnn_cell_backward(da_next, cache)                 -> {dxt, da_prev, dWax, dWaa, dba}
    rnn_backward(da, caches)                          -> {dx, da0, dWax, dWaa, dba}
    lstm_cell_backward(da_next, dc_next, cache)       -> {dxt, da_prev, dc_prev, dWf, dbf, dWi, dbi,
                                                          dWc, dbc, dWo, dbo}
    lstm_backward(da, caches)                         -> {dx, da0, dWf, dbf, dWi, dbi, dWc, dbc, dWo, dbo}

Shapes: ``xt (n_x, m)``, ``x (n_x, m, T_x)``, ``a_prev (n_a, m)``; a time series keeps time on
the last axis. RNN parameters ``Wax (n_a, n_x)``, ``Waa (n_a, n_a)``, ``Wya (n_y, n_a)``,
``ba (n_a, 1)``, ``by (n_y, 1)``. LSTM parameters ``Wf, Wi, Wc, Wo (n_a, n_a + n_x)`` act on
the stack ``[a_prev; xt]``, biases ``bf, bi, bc, bo (n_a, 1)``, output ``Wy (n_y, n_a)``,
``by (n_y, 1)``. Predictions are a softmax over the rows (axis 0).

Every function is an adapter: it maps the arrays onto rnnviz's core in PyTorch layout
(``W_ih = Wax``, ``W_hh = Waa``, ``b_ih = ba``, ``b_hh = 0``; LSTM gate rows i, f, g (= c~), o
with ``W_hh = W[:, :n_a]``, ``W_ih = W[:, n_a:]``), runs :func:`rnnviz.network.forward` or
:func:`rnnviz.backprop.backward` in time-major, batch-in-rows layout, and transposes back.
The backward functions rebuild the engine's :class:`~rnnviz.trace.LayerTrace` from the caches
(nothing is re-run forward) and never re-derive a gradient formula here.

Backward conventions, as in the notebook: ``da[:, :, t]`` is the gradient arriving at ``a<t>``
from outside the recurrence (e.g. from the prediction); the gradient carried back from step
t+1 is added to it. ``lstm_backward`` takes no gradient at the cell states from above (the
carry ``dc`` starts at zero). Both cover the hidden state only (no output layer). ``da`` may
cover only the first ``T <= T_x`` steps, as the notebook's own ``lstm_backward`` check passes
it: the later steps cannot influence those states, so this is the gradient with zeros there,
and ``dx`` then has ``T`` steps, like the notebook's.

The caches hold their own copies of every array (the parameters dict is kept by reference,
as in the notebook): editing a returned ``a`` in place cannot change a later backward.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .. import cells
from ..backprop import backward
from ..cells import CellParams
from ..network import RNNModel, forward
from ..trace import LayerTrace, Trace
from ._shapes import Dims, as_numeric, check_mapping, float_dtype, parameter

LSTM_GATE_KEYS = (("Wi", "bi"), ("Wf", "bf"), ("Wc", "bc"), ("Wo", "bo"))  # core order i, f, g, o
RNN_CACHE = "(a_next, a_prev, xt, parameters)"
LSTM_CACHE = "(a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)"


def _time_major(x: np.ndarray) -> np.ndarray:
    """(n, m, T) column-major series <-> (T, m, n) time-major batch-in-rows (its own inverse)."""
    return x.transpose(2, 1, 0)


def _columns(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a.T)


def _series(arr: np.ndarray) -> np.ndarray:
    """A time-major (T, m, n) core array as a contiguous column-major (n, m, T) series."""
    return np.ascontiguousarray(_time_major(arr))


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


def _lstm_cell_params(parameters: Mapping, dims: Dims, *, biases_required: bool) -> CellParams:
    """The notebook's four gate matrices on ``[a_prev; xt]`` as one core cell (rows i, f, g, o)."""
    check_mapping(parameters)
    n_a = dims.sizes["n_a"]
    dims.bind("n_a+n_x", n_a + dims.sizes["n_x"], "a_prev and xt")
    weights = [parameter(parameters, w, dims, ("n_a", "n_a+n_x")) for w, _ in LSTM_GATE_KEYS]
    biases = [
        parameter(parameters, b, dims, ("n_a", "1")) if biases_required or b in parameters else np.zeros((n_a, 1))
        for _, b in LSTM_GATE_KEYS
    ]
    return CellParams(
        w_ih=np.concatenate([w[:, n_a:] for w in weights]),
        w_hh=np.concatenate([w[:, :n_a] for w in weights]),
        b_ih=np.concatenate([b[:, 0] for b in biases]),
        b_hh=np.zeros(4 * n_a),
    )


def _lstm_model(parameters: Mapping, dims: Dims, *arrays: np.ndarray) -> RNNModel:
    cell = _lstm_cell_params(parameters, dims, biases_required=True)
    w_y = parameter(parameters, "Wy", dims, ("n_y", "n_a"))
    b_y = parameter(parameters, "by", dims, ("n_y", "1"))
    dtype = float_dtype(cell.w_ih, cell.w_hh, cell.b_ih, w_y, b_y, *arrays)
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

    Returns ``(a_next (n_a, m), yt_pred (n_y, m), cache)``, ``cache = (a_next, a_prev, xt, parameters)``
    (copies of the arrays, the parameters dict itself).
    """
    dims = Dims()
    xt = dims.check("xt", xt, ("n_x", "m"))
    a_prev = dims.check("a_prev", a_prev, ("n_a", "m"))
    model = _rnn_model(parameters, dims, xt, a_prev)
    trace = _run(model, xt[:, :, None], a_prev)
    a_next, yt_pred = _columns(trace.output[0]), _columns(trace.probs[0])
    return a_next, yt_pred, (a_next.copy(), a_prev.copy(), xt.copy(), parameters)


def rnn_forward(x, a0, parameters: dict) -> tuple[np.ndarray, np.ndarray, tuple[list, np.ndarray]]:
    """The RNN over ``x (n_x, m, T_x)`` from ``a0 (n_a, m)``.

    Returns ``(a (n_a, m, T_x), y_pred (n_y, m, T_x), caches)`` with
    ``caches = ([rnn_cell_forward's cache for each t], x)``, independent of the returned arrays.
    """
    dims = Dims()
    x = dims.check("x", x, ("n_x", "m", "T_x"))
    a0 = dims.check("a0", a0, ("n_a", "m"))
    model = _rnn_model(parameters, dims, x, a0)
    trace = _run(model, x, a0)
    a, y_pred = _series(trace.output), _series(trace.probs)
    # The caches' own copies: a student editing `a` (or x, a0) in place must not change a later
    # backward. Within the caches, step t's a_next is step t+1's a_prev, as in the notebook.
    a_c, x_c, a0_c = a.copy(), x.copy(), a0.copy()
    prev = [a0_c] + [a_c[:, :, t] for t in range(a.shape[2] - 1)]
    step_caches = [(a_c[:, :, t], prev[t], x_c[:, :, t], parameters) for t in range(a.shape[2])]
    return a, y_pred, (step_caches, x_c)


def lstm_cell_forward(xt, a_prev, c_prev, parameters: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple]:
    """One LSTM step on ``concat = [a_prev; xt]``: ``ft = sigmoid(Wf concat + bf)``, ``it``, ``ot``
    likewise, ``cct = tanh(Wc concat + bc)``, ``c_next = ft*c_prev + it*cct``, ``a_next = ot*tanh(c_next)``,
    ``yt_pred = softmax(Wy a_next + by)``.

    Returns ``(a_next, c_next, yt_pred, cache)`` with
    ``cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)`` (copies of the arrays).
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
    cache = tuple(v.copy() for v in (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt)) + (parameters,)
    return a_next, c_next, yt_pred, cache


def lstm_forward(x, a0, parameters: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[list, np.ndarray]]:
    """The LSTM over ``x (n_x, m, T_x)`` from ``a0 (n_a, m)`` and a zero cell state.

    Returns ``(a (n_a, m, T_x), y (n_y, m, T_x), c (n_a, m, T_x), caches)`` with
    ``caches = ([lstm_cell_forward's cache for each t], x)``, independent of the returned arrays.
    """
    dims = Dims()
    x = dims.check("x", x, ("n_x", "m", "T_x"))
    a0 = dims.check("a0", a0, ("n_a", "m"))
    model = _lstm_model(parameters, dims, x, a0)
    c0 = np.zeros_like(a0, dtype=model.dtype)
    trace = _run(model, x, a0, c0)
    a, y, c, (it, ft, cct, ot) = _lstm_columns(trace)
    T = a.shape[2]
    # own copies, as in rnn_forward; the gate series are fresh arrays nobody else holds
    a_c, c_c, x_c, a0_c = a.copy(), c.copy(), x.copy(), a0.copy()
    a_prev = [a0_c] + [a_c[:, :, t] for t in range(T - 1)]
    c_prev = [c0] + [c_c[:, :, t] for t in range(T - 1)]
    step_caches = [
        (a_c[:, :, t], c_c[:, :, t], a_prev[t], c_prev[t], ft[:, :, t], it[:, :, t], cct[:, :, t], ot[:, :, t],
         x_c[:, :, t], parameters)
        for t in range(T)
    ]
    return a, y, c, (step_caches, x_c)


def _lstm_columns(trace: Trace) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """a, y, c (n, m, T) and the gates (i, f, g, o), each (n_a, m, T), from an LSTM trace."""
    lt = trace.layers[0][0]
    gates = tuple(np.array(_time_major(lt.gate(name))) for name in ("i", "f", "g", "o"))  # copies
    return _series(trace.output), _series(trace.probs), _series(lt.c), gates


# --- backward: caches -> the engine's LayerTrace -> rnnviz.backprop.backward ------------------

def rnn_cell_backward(da_next, cache: tuple) -> dict[str, np.ndarray]:
    """Gradients of one RNN step, given ``da_next`` (n_a, m), the gradient of the loss at ``a_next``.

    Returns ``{"dxt" (n_x, m), "da_prev" (n_a, m), "dWax" (n_a, n_x), "dWaa" (n_a, n_a), "dba" (n_a, 1)}``.
    """
    a_next, a_prev, xt, parameters = _unpack(cache, "cache", RNN_CACHE, "rnn_cell_forward")
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

    ``da (n_a, m, T)``: the upstream gradient at each ``a<t>``, ``T <= T_x`` (see the module
    docstring). Returns ``{"dx" (n_x, m, T), "da0" (n_a, m), "dWax", "dWaa", "dba" (n_a, 1)}``.
    """
    steps, x, dims = _sequence_caches(caches, RNN_CACHE, "rnn_forward")
    a = np.stack([dims.check(f"caches[0][{t}] a_next", s[0], ("n_a", "m")) for t, s in enumerate(steps)], axis=2)
    a0 = dims.check("caches[0][0] a_prev", steps[0][1], ("n_a", "m"))
    da = _upstream(dims, da)
    dx, da0, grads = _rnn_backward_core(steps[0][3], dims, da, a, a0, x)
    return {"dx": dx, "da0": da0, "dWax": grads.w_ih, "dWaa": grads.w_hh, "dba": grads.b_ih[:, None]}


def lstm_cell_backward(da_next, dc_next, cache: tuple) -> dict[str, np.ndarray]:
    """Gradients of one LSTM step, given the loss's gradients ``da_next`` at ``a_next`` and
    ``dc_next`` at ``c_next``, both (n_a, m).

    Returns ``{"dxt" (n_x, m), "da_prev" (n_a, m), "dc_prev" (n_a, m), "dWf", "dbf", "dWi", "dbi",
    "dWc", "dbc", "dWo", "dbo"}`` with every ``dW*`` (n_a, n_a + n_x) and ``db*`` (n_a, 1).
    """
    fields = _unpack(cache, "cache", LSTM_CACHE, "lstm_cell_forward")
    dims = Dims()
    xt = dims.check("cache xt", fields[8], ("n_x", "m"))
    names = LSTM_CACHE.strip("()").split(", ")
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot = (
        dims.check(f"cache {name}", value, ("n_a", "m")) for name, value in zip(names[:8], fields[:8])
    )
    da_next = dims.check("da_next", da_next, ("n_a", "m"))
    dc_next = dims.check("dc_next", dc_next, ("n_a", "m"))
    series = (a_next, c_next, it, ft, cct, ot)
    dx, da_prev, dc_prev, grads = _lstm_backward_core(
        fields[9], dims, da_next[:, :, None], dc_next, *(s[:, :, None] for s in series), a_prev, c_prev, xt[:, :, None]
    )
    return {"dxt": dx[:, :, 0], "da_prev": da_prev, "dc_prev": dc_prev, **grads}


def lstm_backward(da, caches: tuple) -> dict[str, np.ndarray]:
    """Backpropagation through time for :func:`lstm_forward`'s hidden states.

    ``da (n_a, m, T)``: the upstream gradient at each ``a<t>``, ``T <= T_x``; no gradient
    arrives at the cell states from above. Returns ``{"dx" (n_x, m, T), "da0" (n_a, m),
    "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"}`` (shapes as in :func:`lstm_cell_backward`).
    """
    steps, x, dims = _sequence_caches(caches, LSTM_CACHE, "lstm_forward")
    names = LSTM_CACHE.strip("()").split(", ")

    def series(k: int) -> np.ndarray:  # field k of every step cache, stacked on the time axis
        return np.stack([dims.check(f"caches[0][{t}] {names[k]}", s[k], ("n_a", "m")) for t, s in enumerate(steps)], 2)

    a, c, ft, it, cct, ot = (series(k) for k in (0, 1, 4, 5, 6, 7))
    a0 = dims.check("caches[0][0] a_prev", steps[0][2], ("n_a", "m"))
    c0 = dims.check("caches[0][0] c_prev", steps[0][3], ("n_a", "m"))
    da = _upstream(dims, da)
    dx, da0, _, grads = _lstm_backward_core(steps[0][9], dims, da, None, a, c, it, ft, cct, ot, a0, c0, x)
    return {"dx": dx, "da0": da0, **grads}


def _engine_backward(params: CellParams, lt: LayerTrace, x_tm: np.ndarray, da_tm: np.ndarray,
                     dc_last: np.ndarray | None = None):
    """The engine's BPTT (:func:`rnnviz.backprop.backward`) for one layer and one direction,
    no output layer: ``da_tm`` (T, m, n_a) arrives at the hidden states, ``dc_last`` (m, n_a) at
    the last cell state. Returns the engine's ``Gradients``."""
    model = RNNModel(lt.cell, [[params]])
    c_n = None if lt.c is None else lt.c[-1:]
    trace = Trace(lt.cell, "tanh", x_tm, [[lt]], lt.h, lt.h[-1:], c_n, None, None)
    return backward(model, trace, d_output=da_tm, d_c_n=None if dc_last is None else dc_last[None])


def _rnn_backward_core(parameters, dims: Dims, da, a, a0, x) -> tuple[np.ndarray, np.ndarray, CellParams]:
    """Column-major arrays in (``da`` may cover the first T <= T_x steps), the engine's BPTT on
    their time-major transposes. Returns ``dx (n_x, m, T)``, ``da0 (n_a, m)`` and the cell's
    weight gradients in core layout."""
    check_mapping(parameters)
    w_ax = parameter(parameters, "Wax", dims, ("n_a", "n_x"))
    w_aa = parameter(parameters, "Waa", dims, ("n_a", "n_a"))
    b_a = parameter(parameters, "ba", dims, ("n_a", "1")) if "ba" in parameters else np.zeros((w_aa.shape[0], 1))
    dtype = float_dtype(w_ax, w_aa, b_a, da, a, a0, x)
    params = CellParams(w_ax, w_aa, b_a[:, 0], np.zeros(w_aa.shape[0])).astype(dtype)
    T = da.shape[2]  # the later steps cannot influence the states da reaches
    x_tm = np.ascontiguousarray(_time_major(x[:, :, :T]), dtype)
    h = np.ascontiguousarray(_time_major(a[:, :, :T]), dtype)
    h0 = a0.T.astype(dtype)
    # the LayerTrace the forward would have recorded; ih / hh are filled so it is a complete trace
    h_prev = np.concatenate([h0[None], h[:-1]])
    lt = LayerTrace("rnn", False, ih=x_tm @ params.w_ih.T + params.b_ih, hh=h_prev @ params.w_hh.T, h=h, h0=h0)
    g = _engine_backward(params, lt, x_tm, np.ascontiguousarray(_time_major(da), dtype))
    return _series(g.inputs), _columns(g.h0[0]), g.layers[0][0]


def _lstm_backward_core(parameters, dims: Dims, da, dc_last, a, c, it, ft, cct, ot, a0, c0, x):
    """Column-major LSTM arrays in (series (n, m, T_x), ``da`` may cover the first T <= T_x
    steps), the engine's BPTT on the time-major transposes. Returns ``dx (n_x, m, T)``,
    ``da0``, ``dc0`` (n_a, m) and the notebook-named parameter gradients."""
    params = _lstm_cell_params(parameters, dims, biases_required=False)
    n_a = dims.sizes["n_a"]
    arrays = (da, a, c, it, ft, cct, ot, a0, c0, x) + (() if dc_last is None else (dc_last,))
    dtype = float_dtype(params.w_ih, params.w_hh, params.b_ih, *arrays)
    params = params.astype(dtype)
    T = da.shape[2]  # the later steps cannot influence the states da reaches

    def time_major(s: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(_time_major(s[:, :, :T]), dtype)

    x_tm, h, cell = time_major(x), time_major(a), time_major(c)
    gates = np.concatenate([time_major(g) for g in (it, ft, cct, ot)], axis=-1)  # core rows i, f, g, o
    h0, c0 = a0.T.astype(dtype), c0.T.astype(dtype)
    h_prev = np.concatenate([h0[None], h[:-1]])
    lt = LayerTrace(
        "lstm", False, ih=x_tm @ params.w_ih.T + params.b_ih, hh=h_prev @ params.w_hh.T + params.b_hh,
        h=h, h0=h0, gates=gates, c=cell, c0=c0, gate_names=cells.get("lstm").gate_names,
    )
    dc = None if dc_last is None else dc_last.T.astype(dtype)
    g = _engine_backward(params, lt, x_tm, time_major(da), dc)
    core = g.layers[0][0]
    grads = {}
    for k, (w, b) in enumerate(LSTM_GATE_KEYS):  # back to [a_prev; xt] columns, notebook names
        rows = slice(k * n_a, (k + 1) * n_a)
        grads["d" + w] = np.hstack([core.w_hh[rows], core.w_ih[rows]])
        grads["d" + b] = core.b_ih[rows, None].copy()
    # the notebook's key order: dWf, dbf, dWi, dbi, dWc, dbc, dWo, dbo
    ordered = {key: grads[key] for gate in "fico" for key in ("dW" + gate, "db" + gate)}
    return _series(g.inputs), _columns(g.h0[0]), _columns(g.c0[0]), ordered


# --- checks ------------------------------------------------------------------------------------

def _sequence_caches(caches, layout: str, forward_name: str) -> tuple[list[tuple], np.ndarray, Dims]:
    """``caches = (step_caches, x)`` checked: each step cache unpacked, ``x`` binds n_x, m, T_x."""
    step_caches, x = _unpack(caches, "caches", "(list_of_step_caches, x)", forward_name)
    if not isinstance(step_caches, Sequence) or isinstance(step_caches, str) or len(step_caches) == 0:
        raise ValueError(f"caches[0] must be the non-empty list of step caches that {forward_name} returns")
    dims = Dims()
    x = dims.check("caches x", x, ("n_x", "m", "T_x"))
    if len(step_caches) != dims.sizes["T_x"]:
        raise ValueError(f"caches holds {len(step_caches)} step caches but x has T_x = {dims.sizes['T_x']} steps")
    steps = [_unpack(c, f"caches[0][{t}]", layout, forward_name) for t, c in enumerate(step_caches)]
    return steps, x, dims


def _upstream(dims: Dims, da) -> np.ndarray:
    """``da`` (n_a, m, T) with T <= T_x: the notebook's own lstm_backward check passes fewer steps."""
    arr = as_numeric("da", da)
    if arr.ndim == 3 and 0 < arr.shape[2] < dims.sizes["T_x"]:
        return dims.check("da", arr, ("n_a", "m", str(arr.shape[2])))
    return dims.check("da", arr, ("n_a", "m", "T_x"))


def _unpack(value, name: str, layout: str, forward_name: str) -> tuple:
    n = layout.count(",") + 1
    if not isinstance(value, (tuple, list)) or len(value) != n:
        got = f"a {len(value)}-{type(value).__name__}" if isinstance(value, (tuple, list)) else type(value).__name__
        raise ValueError(f"{name} must be the {n}-tuple {layout} that {forward_name} returns, got {got}")
    return tuple(value)
