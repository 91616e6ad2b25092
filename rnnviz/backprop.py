"""Backpropagation through time for every cell, from a forward :class:`~rnnviz.trace.Trace`.

The forward pass already recorded every gate and state, so the backward pass never re-runs
the forward. Each cell's local derivatives (``1 - h^2``, ``i (1 - i)`` ...) are computed for
all steps at once, vectorised over the whole sequence (``*_local_derivatives``); the loop over
time then only chains them: a few in-place multiply-adds and one ``dA_t @ W_hh`` per step,
into preallocated arrays. The weight gradients are one matrix product over all steps at once
(``dW_hh = sum_t dA_t^T h_{t-1}``). That split is what makes NumPy BPTT fast.

Per step, with ``dh = dL/dh_t`` (from above plus the carry from step t+1):
    rnn:  dA = dh * act'(pre)
    lstm: dc = dc_next + dh * o (1 - tanh(c)^2);  dA = [dc g i(1-i), dc c_prev f(1-f),
          dc i (1-g^2), dh tanh(c) o(1-o)];  dc_prev = dc * f
    gru:  dn = dh (1-z)(1-n^2);  dA_ih = [dn hh_n r(1-r), dh (h_prev-n) z(1-z), dn];
          dA_hh = dA_ih with the n block times r;  dh_prev = dh * z + dA_hh W_hh
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cells import CellParams, softmax
from .network import RNNModel
from .trace import LayerTrace, Trace

# one-hot @ dA beats np.add.at by ~10x while the one-hot matrix stays small
_ONE_HOT_MAX_VOCAB = 2048


class Workspace:
    """Scratch arrays reused across calls, by name (one workspace per thread, e.g. per Trainer).

    Fresh large arrays cost a page fault per 4 KiB when first written (~1 ms per MB here: for
    B=32, T=100, H=128 the backward's intermediates took half its time); reused ones do not.
    Only intermediates live here; returned gradients are always fresh arrays.
    """

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """An uninitialised array of ``shape``, the same memory as last time when it fits."""
        a = self._arrays.get(name)
        if a is None or a.shape != tuple(shape) or a.dtype != dtype:
            a = self._arrays[name] = np.empty(shape, dtype)
        return a


def _scratch(ws: Workspace | None, name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    return np.empty(shape, dtype) if ws is None else ws.get(name, shape, dtype)


def _previous(states: np.ndarray, initial: np.ndarray, reverse: bool, out: np.ndarray) -> np.ndarray:
    """The state each step started from (like ``LayerTrace.h_prev``), written into ``out``."""
    if reverse:
        out[:-1] = states[1:]
        out[-1] = initial
    else:
        out[0] = initial
        out[1:] = states[:-1]
    return out


@dataclass
class Gradients:
    """Gradients with the model's structure: ``layers[l][d]`` holds dW_ih, dW_hh, db_ih, db_hh."""

    layers: list[list[CellParams]]
    w_out: np.ndarray | None
    b_out: np.ndarray | None
    inputs: np.ndarray | None  # (T, B, I) for dense inputs; None for token ids
    h0: np.ndarray  # (L*D, B, H)
    c0: np.ndarray | None  # (L*D, B, H) for LSTM
    # (T, B, H) total dL/dh_t per layer and direction, when backward(keep_state_grads=True)
    states: list[list[np.ndarray]] | None = None

    def arrays(self) -> list[np.ndarray]:
        """Every parameter gradient, in the order of :func:`parameter_arrays`."""
        out = [a for layer in self.layers for g in layer for a in (g.w_ih, g.w_hh, g.b_ih, g.b_hh)]
        if self.w_out is not None:
            out += [self.w_out, self.b_out]
        return out


def parameter_arrays(model: RNNModel) -> list[np.ndarray]:
    """The model's parameter arrays (views, not copies) in a fixed order matching Gradients.arrays."""
    out = [a for layer in model.layers for p in layer for a in (p.w_ih, p.w_hh, p.b_ih, p.b_hh)]
    if model.w_out is not None:
        out += [model.w_out, model.b_out]
    return out


def softmax_cross_entropy(
    logits: np.ndarray,
    targets: np.ndarray,
    probs: np.ndarray | None = None,
    *,
    workspace: Workspace | None = None,
) -> tuple[float, np.ndarray]:
    """Mean cross-entropy over every (t, b) and its gradient with respect to the logits.

    ``probs``: ``softmax(logits)`` if already known (the forward trace has it), saving a softmax.
    The loss is ``-log p[target]``; rows where that probability underflows are recomputed
    exactly as ``logsumexp(logits) - logits[target]``. With a ``workspace`` the returned
    gradient lives in it (valid until the workspace's next use).
    """
    O = logits.shape[-1]
    flat_t = np.asarray(targets).reshape(-1)
    n = flat_t.size
    if flat_t.size and (flat_t.min() < 0 or flat_t.max() >= O):
        raise ValueError(f"targets must lie in [0, {O - 1}]")
    d_logits = _scratch(workspace, "d_logits", (n, O), logits.dtype)
    np.copyto(d_logits, (softmax(logits) if probs is None else probs).reshape(n, O))
    rows = np.arange(n)
    p_target = d_logits[rows, flat_t].astype(np.float64)
    tiny = np.finfo(logits.dtype).tiny * 1e6
    nll = -np.log(np.maximum(p_target, tiny))
    under = p_target < tiny
    if under.any():
        flat_logits = logits.reshape(n, O)[under].astype(np.float64)
        top = flat_logits.max(-1)
        lse = top + np.log(np.exp(flat_logits - top[:, None]).sum(-1))
        nll[under] = lse - flat_logits[np.arange(len(top)), flat_t[under]]
    d_logits[rows, flat_t] -= 1.0
    d_logits *= 1.0 / n
    return float(nll.mean()), d_logits.reshape(logits.shape)


# --- local derivatives of each cell, for every step at once ------------------------------------

def rnn_local_derivatives(h: np.ndarray, nonlinearity: str = "tanh", out: np.ndarray | None = None) -> np.ndarray:
    """act'(pre) from the output h: ``1 - h^2`` for tanh, ``h > 0`` for relu."""
    if nonlinearity == "tanh":
        out = np.multiply(h, h, out=out)
        np.subtract(1.0, out, out=out)
        return out
    return np.greater(h, 0, out=out if out is not None else np.empty_like(h), casting="unsafe")


def lstm_local_derivatives(
    gates: np.ndarray, c: np.ndarray, c_prev: np.ndarray, workspace: Workspace | None = None, key: str = ""
) -> tuple[np.ndarray, ...]:
    """Returns (k_ifg (..., 3H), k_dc (..., H), k_o (..., H)) such that, per step,
    ``dc = dc_next + dh * k_dc``, ``dA[i,f,g] = dc * k_ifg`` (blockwise), ``dA[o] = dh * k_o``."""
    H = c.shape[-1]
    i, f, g, o = (gates[..., k * H : (k + 1) * H] for k in range(4))
    scratch = lambda name, last: _scratch(workspace, key + name, c.shape[:-1] + (last,), c.dtype)  # noqa: E731
    slope = scratch("slope", 4 * H)  # s (1 - s) on every block; used for i, f, o
    np.subtract(1.0, gates, out=slope)
    slope *= gates
    k_ifg = scratch("k_ifg", 3 * H)
    np.multiply(g, slope[..., :H], out=k_ifg[..., :H])
    np.multiply(c_prev, slope[..., H : 2 * H], out=k_ifg[..., H : 2 * H])
    k_g = k_ifg[..., 2 * H :]
    np.multiply(g, g, out=k_g)
    np.subtract(1.0, k_g, out=k_g)
    k_g *= i
    tc = np.tanh(c, out=scratch("tanh_c", H))
    k_o = np.multiply(tc, slope[..., 3 * H :], out=scratch("k_o", H))
    k_dc = np.multiply(tc, tc, out=scratch("k_dc", H))
    np.subtract(1.0, k_dc, out=k_dc)
    k_dc *= o
    return k_ifg, k_dc, k_o


def gru_local_derivatives(
    gates: np.ndarray, hh: np.ndarray, h_prev: np.ndarray, workspace: Workspace | None = None, key: str = ""
) -> tuple[np.ndarray, ...]:
    """Returns (k_n, k_r, k_z) with ``dn = dh * k_n``, ``dA[r] = dn * k_r``, ``dA[z] = dh * k_z``."""
    H = h_prev.shape[-1]
    r, z, n = gates[..., :H], gates[..., H : 2 * H], gates[..., 2 * H :]
    scratch = lambda name: _scratch(workspace, key + name, h_prev.shape, h_prev.dtype)  # noqa: E731
    tmp = scratch("tmp")
    k_n = np.subtract(1.0, z, out=scratch("k_n"))
    np.multiply(n, n, out=tmp)
    np.subtract(1.0, tmp, out=tmp)
    k_n *= tmp
    k_r = np.subtract(1.0, r, out=scratch("k_r"))
    k_r *= r
    k_r *= hh[..., 2 * H :]
    k_z = np.subtract(1.0, z, out=scratch("k_z"))
    k_z *= z
    np.subtract(h_prev, n, out=tmp)
    k_z *= tmp
    return k_n, k_r, k_z


# --- one direction of one layer over the whole sequence ---------------------------------------

def direction_backward(
    params: CellParams,
    lt: LayerTrace,
    d_h: np.ndarray,
    *,
    nonlinearity: str = "tanh",
    d_h_last: np.ndarray | None = None,
    d_c_last: np.ndarray | None = None,
    state_grads: np.ndarray | None = None,
    workspace: Workspace | None = None,
    key: str = "",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Backward through one direction.

    ``d_h`` (T, B, H): gradient arriving at each h_t from above (outputs / next layer).
    ``d_h_last`` / ``d_c_last``: gradient at the final state (h_n / c_n).
    ``state_grads``: optional (T, B, H) array that receives the total dL/dh_t of every step.
    ``workspace`` / ``key``: reuse scratch memory (names prefixed by ``key``); dA_* then live
    in the workspace.
    Returns (dA_ih, dA_hh, dh0, dc0) where dA_* are (T, B, G*H) pre-activation gradients
    (the same array for RNN and LSTM; for GRU they differ in the n block).
    """
    T, B, H = lt.h.shape
    dtype = lt.h.dtype
    carry_h = np.zeros((B, H), dtype) if d_h_last is None else np.array(d_h_last, dtype=dtype)
    dh = np.empty((B, H), dtype)
    d_ih = _scratch(workspace, key + "d_ih", lt.ih.shape, dtype)
    d_hh = d_ih
    w_hh = params.w_hh
    order = reversed(lt.time_order())
    carry_c = None
    if lt.cell == "rnn":
        k = rnn_local_derivatives(lt.h, nonlinearity, out=_scratch(workspace, key + "k", lt.h.shape, dtype))
        for t in order:
            np.add(d_h[t], carry_h, out=dh)
            if state_grads is not None:
                state_grads[t] = dh
            np.multiply(dh, k[t], out=d_ih[t])
            np.matmul(d_ih[t], w_hh, out=carry_h)
    elif lt.cell == "lstm":
        carry_c = np.zeros((B, H), dtype) if d_c_last is None else np.array(d_c_last, dtype=dtype)
        c_prev = _previous(lt.c, lt.c0, lt.reverse, _scratch(workspace, key + "c_prev", lt.c.shape, dtype))
        k_ifg, k_dc, k_o = lstm_local_derivatives(lt.gates, lt.c, c_prev, workspace, key)
        f = lt.gates[..., H : 2 * H]
        k_ifg = k_ifg.reshape(T, B, 3, H)
        d_blocks = d_ih.reshape(T, B, 4, H)  # a view: gate blocks as an axis
        dc = np.empty((B, H), dtype)
        for t in order:
            np.add(d_h[t], carry_h, out=dh)
            if state_grads is not None:
                state_grads[t] = dh
            np.multiply(dh, k_dc[t], out=dc)
            dc += carry_c
            np.multiply(k_ifg[t], dc[:, None, :], out=d_blocks[t, :, :3])
            np.multiply(dh, k_o[t], out=d_ih[t, :, 3 * H :])
            np.multiply(dc, f[t], out=carry_c)
            np.matmul(d_ih[t], w_hh, out=carry_h)
    else:
        h_prev = _previous(lt.h, lt.h0, lt.reverse, _scratch(workspace, key + "h_prev", lt.h.shape, dtype))
        k_n, k_r, k_z = gru_local_derivatives(lt.gates, lt.hh, h_prev, workspace, key)
        r, z = lt.gates[..., :H], lt.gates[..., H : 2 * H]
        d_hh = _scratch(workspace, key + "d_hh", d_ih.shape, dtype)
        tmp = np.empty((B, H), dtype)
        for t in order:
            np.add(d_h[t], carry_h, out=dh)
            if state_grads is not None:
                state_grads[t] = dh
            dn = d_ih[t, :, 2 * H :]
            np.multiply(dh, k_n[t], out=dn)
            np.multiply(dn, k_r[t], out=d_ih[t, :, :H])
            np.multiply(dh, k_z[t], out=d_ih[t, :, H : 2 * H])
            d_hh[t, :, : 2 * H] = d_ih[t, :, : 2 * H]
            np.multiply(dn, r[t], out=d_hh[t, :, 2 * H :])
            np.matmul(d_hh[t], w_hh, out=carry_h)
            np.multiply(dh, z[t], out=tmp)
            carry_h += tmp
    return d_ih, d_hh, carry_h, carry_c


def token_gradient_rows(
    ids: np.ndarray, d_rows: np.ndarray, vocab_size: int, workspace: Workspace | None = None
) -> np.ndarray:
    """``one_hot(ids)^T @ d_rows`` (vocab_size, K) without materialising a large one-hot."""
    ids = ids.reshape(-1)
    if vocab_size <= _ONE_HOT_MAX_VOCAB:
        one_hot = _scratch(workspace, "one_hot", (vocab_size, ids.size), d_rows.dtype)
        one_hot.fill(0.0)
        one_hot[ids, np.arange(ids.size)] = 1.0
        return one_hot @ d_rows
    out = np.zeros((vocab_size, d_rows.shape[-1]), d_rows.dtype)
    np.add.at(out, ids, d_rows)
    return out


def weight_grads(
    d_ih: np.ndarray,
    d_hh: np.ndarray,
    h_prev: np.ndarray,
    x: np.ndarray,
    *,
    tokens: bool,
    input_size: int,
    workspace: Workspace | None = None,
) -> CellParams:
    """Weight and bias gradients from the pre-activation gradients of all steps at once."""
    G_H = d_ih.shape[-1]
    flat_ih = d_ih.reshape(-1, G_H)
    flat_hh = d_hh.reshape(-1, G_H)
    d_w_hh = flat_hh.T @ h_prev.reshape(-1, h_prev.shape[-1])
    if tokens:  # one-hot(x)^T dA without a one-hot input
        d_w_ih = np.ascontiguousarray(token_gradient_rows(x, flat_ih, input_size, workspace).T)
    else:
        d_w_ih = flat_ih.T @ x.reshape(-1, x.shape[-1])
    d_b_ih = _column_sums(flat_ih)
    d_b_hh = d_b_ih.copy() if d_hh is d_ih else _column_sums(flat_hh)  # separate arrays: updated in place
    return CellParams(d_w_ih, d_w_hh, d_b_ih, d_b_hh)


def _column_sums(rows: np.ndarray) -> np.ndarray:
    """``rows.sum(0)`` as one BLAS matrix-vector product (several times faster for tall arrays)."""
    return np.ones(rows.shape[0], rows.dtype) @ rows


def backward(
    model: RNNModel,
    trace: Trace,
    *,
    d_logits: np.ndarray | None = None,
    d_output: np.ndarray | None = None,
    d_h_n: np.ndarray | None = None,
    d_c_n: np.ndarray | None = None,
    keep_state_grads: bool = False,
    workspace: Workspace | None = None,
) -> Gradients:
    """Gradients of a scalar loss given its gradient at the logits, the outputs and/or h_n, c_n.

    ``keep_state_grads=True`` also returns the total dL/dh_t of every layer and direction
    (``Gradients.states``), e.g. for gradient-flow views. ``workspace``: reuse the memory of
    the intermediates across calls (training loops); the returned gradients are fresh arrays.
    """
    L, D, H = model.num_layers, model.num_directions, model.hidden_size
    T, B = trace.seq_len, trace.batch_size
    dtype = model.dtype
    d_out = None if d_output is None else np.array(d_output, dtype=dtype)
    d_w_out = d_b_out = None
    if model.w_out is not None:
        d_w_out = np.zeros_like(model.w_out)
        d_b_out = np.zeros_like(model.b_out)
        if d_logits is not None:
            flat = d_logits.reshape(-1, d_logits.shape[-1])
            d_w_out = flat.T @ trace.output.reshape(-1, D * H)
            d_b_out = _column_sums(flat)
            from_logits = np.matmul(flat, model.w_out, out=_scratch(workspace, "d_out", (T * B, D * H), dtype))
            from_logits = from_logits.reshape(T, B, D * H)
            d_out = from_logits if d_out is None else d_out + from_logits
    if d_out is None:
        d_out = np.zeros((T, B, D * H), dtype)
    d_h0 = np.zeros((L * D, B, H), dtype)
    d_c0 = np.zeros((L * D, B, H), dtype) if model.cell == "lstm" else None
    grads: list[list[CellParams]] = [[None] * D for _ in range(L)]  # type: ignore[list-item]
    states = [[np.empty((T, B, H), dtype) for _ in range(D)] for _ in range(L)] if keep_state_grads else None
    d_inputs = None
    for l in reversed(range(L)):
        tokens = l == 0 and trace.tokens
        x = trace.inputs if l == 0 else trace.layer_input(l)
        d_x = None
        if not tokens:  # the returned input gradient (layer 0) is fresh; the others are scratch
            d_x = np.zeros(x.shape, dtype) if l == 0 else _scratch(workspace, f"d_x{l}", x.shape, dtype)
            d_x.fill(0.0)
        for d in range(D):
            k = l * D + d
            key = f"{l}.{d}."
            lt, params = trace.layers[l][d], model.layers[l][d]
            d_ih, d_hh, d_h0[k], c0_grad = direction_backward(
                params,
                lt,
                d_out[..., d * H : (d + 1) * H],
                nonlinearity=model.nonlinearity,
                d_h_last=None if d_h_n is None else d_h_n[k],
                d_c_last=None if d_c_n is None else d_c_n[k],
                state_grads=None if states is None else states[l][d],
                workspace=workspace,
                key=key,
            )
            if d_c0 is not None:
                d_c0[k] = c0_grad
            h_prev = _previous(lt.h, lt.h0, lt.reverse, _scratch(workspace, key + "h_prev", lt.h.shape, dtype))
            grads[l][d] = weight_grads(
                d_ih, d_hh, h_prev, x, tokens=tokens, input_size=params.input_size, workspace=workspace
            )
            if d_x is not None:
                d_x += d_ih @ params.w_ih
        if l == 0:
            d_inputs = d_x
        else:
            d_out = d_x
    return Gradients(grads, d_w_out, d_b_out, d_inputs, d_h0, d_c0, states)
