"""Backpropagation through time for every cell, from a forward :class:`~rnnviz.trace.Trace`.

The forward pass already recorded every gate and state, so the backward pass never re-runs
the forward. Per step it only computes the gradient at the pre-activations (``dA``) and the
carry into step t-1; the weight gradients are then one matrix product over all steps at once
(``dW_hh = sum_t dA_t^T h_{t-1}``), which is what makes NumPy BPTT fast.

Each cell's step gradient is a small public function (``rnn_step_grad`` ...) so that adapters
(e.g. the functional formulation in ``rnnviz.compat``) reuse exactly this math.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cells import CellParams, log_softmax, softmax
from .network import RNNModel
from .trace import LayerTrace, Trace


@dataclass
class Gradients:
    """Gradients with the model's structure: ``layers[l][d]`` holds dW_ih, dW_hh, db_ih, db_hh."""

    layers: list[list[CellParams]]
    w_out: np.ndarray | None
    b_out: np.ndarray | None
    inputs: np.ndarray | None  # (T, B, I) for dense inputs; None for token ids
    h0: np.ndarray  # (L*D, B, H)
    c0: np.ndarray | None  # (L*D, B, H) for LSTM

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


def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy over every (t, b) and its gradient with respect to the logits."""
    logp = log_softmax(logits)
    flat_logp = logp.reshape(-1, logp.shape[-1])
    flat_t = np.asarray(targets).reshape(-1)
    n = flat_t.size
    loss = -flat_logp[np.arange(n), flat_t].mean()
    d_logits = softmax(logits).reshape(-1, logits.shape[-1])
    d_logits[np.arange(n), flat_t] -= 1.0
    d_logits /= n
    return float(loss), d_logits.reshape(logits.shape)


# --- one step of each cell: gradient at the pre-activations -----------------------------------

def rnn_step_grad(dh: np.ndarray, h: np.ndarray, nonlinearity: str = "tanh") -> np.ndarray:
    """dL/d(pre-activation) of h = act(pre), given dL/dh and h."""
    if nonlinearity == "tanh":
        return dh * (1.0 - h * h)
    return dh * (h > 0)


def lstm_step_grad(
    dh: np.ndarray, dc: np.ndarray, gates: np.ndarray, c: np.ndarray, c_prev: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Returns dL/d(gate pre-activations) (B, 4H) in i, f, g, o order, and dL/dc_{t-1}.

    ``dc`` is the gradient arriving at c_t from step t+1; ``dh`` the total gradient at h_t.
    """
    H = c.shape[-1]
    i, f, g, o = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H : 3 * H], gates[:, 3 * H :]
    tc = np.tanh(c)
    dc = dc + dh * o * (1.0 - tc * tc)
    d_pre = np.empty_like(gates)
    d_pre[:, :H] = dc * g * i * (1.0 - i)
    d_pre[:, H : 2 * H] = dc * c_prev * f * (1.0 - f)
    d_pre[:, 2 * H : 3 * H] = dc * i * (1.0 - g * g)
    d_pre[:, 3 * H :] = dh * tc * o * (1.0 - o)
    return d_pre, dc * f


def gru_step_grad(
    dh: np.ndarray, gates: np.ndarray, hh: np.ndarray, h_prev: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns (d ih-part (B, 3H), d hh-part (B, 3H), direct dL/dh_{t-1} through z).

    The two parts differ only in the n block: n = tanh(ih_n + r * hh_n).
    """
    H = h_prev.shape[-1]
    r, z, n = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H :]
    dn = dh * (1.0 - z) * (1.0 - n * n)
    d_ih = np.empty_like(gates)
    d_ih[:, :H] = dn * hh[:, 2 * H :] * r * (1.0 - r)
    d_ih[:, H : 2 * H] = dh * (h_prev - n) * z * (1.0 - z)
    d_ih[:, 2 * H :] = dn
    d_hh = d_ih.copy()
    d_hh[:, 2 * H :] *= r
    return d_ih, d_hh, dh * z


# --- one direction of one layer over the whole sequence ---------------------------------------

def direction_backward(
    params: CellParams,
    lt: LayerTrace,
    d_h: np.ndarray,
    *,
    nonlinearity: str = "tanh",
    d_h_last: np.ndarray | None = None,
    d_c_last: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Backward through one direction.

    ``d_h`` (T, B, H): gradient arriving at each h_t from above (outputs / next layer).
    ``d_h_last`` / ``d_c_last``: gradient at the final state (h_n / c_n).
    Returns (dA_ih, dA_hh, dh0, dc0) where dA_* are (T, B, G*H) pre-activation gradients.
    """
    T, B, H = lt.h.shape
    carry_h = np.zeros((B, H), d_h.dtype) if d_h_last is None else d_h_last.astype(d_h.dtype, copy=True)
    carry_c = None
    if lt.cell == "lstm":
        carry_c = np.zeros((B, H), d_h.dtype) if d_c_last is None else d_c_last.astype(d_h.dtype, copy=True)
    d_ih = np.empty_like(lt.ih)
    d_hh = d_ih
    w_hh = params.w_hh
    h_prev = lt.h_prev
    if lt.cell == "lstm":
        c_prev = lt.c_prev
    if lt.cell == "gru":
        d_hh = np.empty_like(lt.ih)
    for t in reversed(lt.time_order()):
        dh = d_h[t] + carry_h
        if lt.cell == "rnn":
            d_ih[t] = rnn_step_grad(dh, lt.h[t], nonlinearity)
            carry_h = d_ih[t] @ w_hh
        elif lt.cell == "lstm":
            d_ih[t], carry_c = lstm_step_grad(dh, carry_c, lt.gates[t], lt.c[t], c_prev[t])
            carry_h = d_ih[t] @ w_hh
        else:
            d_ih[t], d_hh[t], direct = gru_step_grad(dh, lt.gates[t], lt.hh[t], h_prev[t])
            carry_h = direct + d_hh[t] @ w_hh
    return d_ih, d_hh, carry_h, carry_c


def weight_grads(
    d_ih: np.ndarray, d_hh: np.ndarray, h_prev: np.ndarray, x: np.ndarray, *, tokens: bool, input_size: int
) -> CellParams:
    """Weight and bias gradients from the pre-activation gradients of all steps at once."""
    G_H = d_ih.shape[-1]
    flat_ih = d_ih.reshape(-1, G_H)
    flat_hh = d_hh.reshape(-1, G_H)
    d_w_hh = flat_hh.T @ h_prev.reshape(-1, h_prev.shape[-1])
    if tokens:  # one-hot(x)^T dA without the one-hot: sum dA rows per token id
        d_w_ih_t = np.zeros((input_size, G_H), d_ih.dtype)
        np.add.at(d_w_ih_t, x.reshape(-1), flat_ih)
        d_w_ih = d_w_ih_t.T.copy()
    else:
        d_w_ih = flat_ih.T @ x.reshape(-1, x.shape[-1])
    return CellParams(d_w_ih, d_w_hh, flat_ih.sum(0), flat_hh.sum(0))


def backward(
    model: RNNModel,
    trace: Trace,
    *,
    d_logits: np.ndarray | None = None,
    d_output: np.ndarray | None = None,
    d_h_n: np.ndarray | None = None,
    d_c_n: np.ndarray | None = None,
) -> Gradients:
    """Gradients of a scalar loss given its gradient at the logits, the outputs and/or h_n, c_n."""
    L, D, H = model.num_layers, model.num_directions, model.hidden_size
    T, B = trace.seq_len, trace.batch_size
    dtype = model.dtype
    d_out = np.zeros((T, B, D * H), dtype) if d_output is None else np.array(d_output, dtype=dtype)
    d_w_out = d_b_out = None
    if model.w_out is not None:
        d_w_out = np.zeros_like(model.w_out)
        d_b_out = np.zeros_like(model.b_out)
        if d_logits is not None:
            flat = d_logits.reshape(-1, d_logits.shape[-1])
            d_w_out = flat.T @ trace.output.reshape(-1, D * H)
            d_b_out = flat.sum(0)
            d_out += d_logits @ model.w_out
    d_h0 = np.zeros((L * D, B, H), dtype)
    d_c0 = np.zeros((L * D, B, H), dtype) if model.cell == "lstm" else None
    grads: list[list[CellParams]] = [[None] * D for _ in range(L)]  # type: ignore[list-item]
    d_inputs = None
    for l in reversed(range(L)):
        tokens = l == 0 and trace.tokens
        x = trace.inputs if l == 0 else trace.layer_input(l)
        d_x = None if tokens else np.zeros(x.shape, dtype)
        for d in range(D):
            k = l * D + d
            lt, params = trace.layers[l][d], model.layers[l][d]
            d_ih, d_hh, d_h0[k], c0_grad = direction_backward(
                params,
                lt,
                d_out[..., d * H : (d + 1) * H],
                nonlinearity=model.nonlinearity,
                d_h_last=None if d_h_n is None else d_h_n[k],
                d_c_last=None if d_c_n is None else d_c_n[k],
            )
            if d_c0 is not None:
                d_c0[k] = c0_grad
            grads[l][d] = weight_grads(d_ih, d_hh, lt.h_prev, x, tokens=tokens, input_size=params.input_size)
            if d_x is not None:
                d_x += d_ih @ params.w_ih
        if l == 0:
            d_inputs = d_x
        else:
            d_out = d_x
    return Gradients(grads, d_w_out, d_b_out, d_inputs, d_h0, d_c0)
