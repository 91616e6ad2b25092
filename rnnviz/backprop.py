"""Backpropagation through time for every cell, from a forward :class:`~rnnviz.trace.Trace`.

The forward pass already recorded every gate and state, so the backward pass never re-runs
the forward. Each cell module (rnnviz/cells/) holds its own backward loop beside its forward:
its local derivatives (``1 - h^2``, ``i (1 - i)`` ...) are computed for all steps at once,
vectorised over the whole sequence; the loop over time then only chains them: a few in-place
multiply-adds and one ``dA_t @ W_hh`` per step, into preallocated arrays. This module drives
them over layers and directions, and turns the pre-activation gradients of all steps into
weight gradients with one matrix product (``dW_hh = sum_t dA_t^T h_{t-1}``). That split is
what makes NumPy BPTT fast.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import cells
from .activations import softmax
from .cells import CellParams
from .network import RNNModel
from .trace import LayerTrace, Trace, previous
from .workspace import Workspace, scratch

# one-hot @ dA beats np.add.at by ~10x while the one-hot matrix stays small
_ONE_HOT_MAX_VOCAB = 2048


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
    d_logits = scratch(workspace, "d_logits", (n, O), logits.dtype)
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
    dtype = lt.h.dtype
    carry_h = np.zeros(lt.h.shape[1:], dtype) if d_h_last is None else np.array(d_h_last, dtype=dtype)
    d_ih = scratch(workspace, key + "d_ih", lt.ih.shape, dtype)
    d_hh, carry_c = cells.get(lt.cell).backward(
        params, lt, d_h, carry_h, d_ih, d_c_last=d_c_last, state_grads=state_grads, workspace=workspace, key=key,
        nonlinearity=nonlinearity,
    )
    return d_ih, d_hh, carry_h, carry_c


def token_gradient_rows(
    ids: np.ndarray, d_rows: np.ndarray, vocab_size: int, workspace: Workspace | None = None
) -> np.ndarray:
    """``one_hot(ids)^T @ d_rows`` (vocab_size, K) without materialising a large one-hot."""
    ids = ids.reshape(-1)
    if vocab_size <= _ONE_HOT_MAX_VOCAB:
        one_hot = scratch(workspace, "one_hot", (vocab_size, ids.size), d_rows.dtype)
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
            from_logits = np.matmul(flat, model.w_out, out=scratch(workspace, "d_out", (T * B, D * H), dtype))
            from_logits = from_logits.reshape(T, B, D * H)
            d_out = from_logits if d_out is None else d_out + from_logits
    if d_out is None:
        d_out = np.zeros((T, B, D * H), dtype)
    d_h0 = np.zeros((L * D, B, H), dtype)
    d_c0 = np.zeros((L * D, B, H), dtype) if cells.get(model.cell).has_cell_state else None
    grads: list[list[CellParams]] = [[None] * D for _ in range(L)]  # type: ignore[list-item]
    states = [[np.empty((T, B, H), dtype) for _ in range(D)] for _ in range(L)] if keep_state_grads else None
    d_inputs = None
    for l in reversed(range(L)):
        tokens = l == 0 and trace.tokens
        x = trace.inputs if l == 0 else trace.layer_input(l)
        d_x = None
        if not tokens:  # the returned input gradient (layer 0) is fresh; the others are scratch
            d_x = np.zeros(x.shape, dtype) if l == 0 else scratch(workspace, f"d_x{l}", x.shape, dtype)
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
            h_prev = previous(lt.h, lt.h0, lt.reverse, scratch(workspace, key + "h_prev", lt.h.shape, dtype))
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
