"""The GRU cell, PyTorch's gate order r, z, n:
``n = tanh(W_in x + b_in + r*(W_hn h + b_hn))``, ``h' = (1-z)*n + z*h`` (r, z sigmoid).

Forward loop, backward loop and equation, side by side. Backward, per step with
``dh = dL/dh_t``: ``dn = dh (1-z)(1-n^2)``; ``dA_ih = [dn hh_n r(1-r), dh (h_prev-n) z(1-z), dn]``;
``dA_hh`` = ``dA_ih`` with the n block times r; ``dh_prev = dh * z + dA_hh @ W_hh``.
"""
from __future__ import annotations

import numpy as np

from ..activations import QUIET_EXP, tanh_for
from ..tex import num, term, texttt
from ..trace import LayerTrace, previous
from ..workspace import Workspace, scratch
from .base import (CellParams, CellType, Gate, backward_steps, exp_scaling, gate_views, gated_buffers,
                   scaled_transpose, time_order)

GATES = (
    Gate("r", "sigmoid", "reset gate (how much of the previous state the candidate sees)"),
    Gate("z", "sigmoid", "update gate (1 = keep the previous state)"),
    Gate("n", "tanh", "candidate state"),
)
GATE_NAMES = tuple(g.name for g in GATES)


def forward(p: CellParams, ih: np.ndarray, h0: np.ndarray, c0: None, *, reverse: bool, record: bool,
            nonlinearity: str = "tanh"):
    T = ih.shape[0]
    H, dtype = p.hidden_size, ih.dtype
    h, hh, gates, pre = gated_buffers(ih, H, record)
    # r, z rows scaled by -1 (sigmoid through exp); the n rows keep scale 1 and go through the
    # tanh of tanh_for (one call in float32 and on small blocks, where call overhead dominates).
    k = exp_scaling(GATES, H, dtype)
    k[2 * H :] = 1.0
    w_hh_t = scaled_transpose(p.w_hh, k)
    b_hh = p.b_hh * k
    np.multiply(ih, k, out=pre)
    rz_, r_, z_, n_ = gates[..., : 2 * H], *gate_views(gates, 3, H)
    hh_rz, hh_n = hh[..., : 2 * H], hh[..., 2 * H :]
    pre_rz, pre_n = pre[..., : 2 * H], pre[..., 2 * H :]
    tmp = np.empty_like(h0)
    tanh = tanh_for(tmp)
    dot, add, subtract, multiply, exp, divide = np.dot, np.add, np.subtract, np.multiply, np.exp, np.divide
    prev = h0
    with np.errstate(**QUIET_EXP):
        for t in time_order(T, reverse):  # positional out= arguments: the keyword costs measurable time per call
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
    if not record:
        return h, None
    np.negative(hh_rz, out=hh_rz)  # hh held -(W_hh h + b_hh) on the r, z rows
    return LayerTrace("gru", reverse, ih, hh, h, h0, gates, gate_names=GATE_NAMES)


def local_derivatives(
    gates: np.ndarray, hh: np.ndarray, h_prev: np.ndarray, workspace: Workspace | None = None, key: str = ""
) -> tuple[np.ndarray, ...]:
    """Returns (k_n, k_r, k_z) with ``dn = dh * k_n``, ``dA[r] = dn * k_r``, ``dA[z] = dh * k_z``."""
    H = h_prev.shape[-1]
    r, z, n = gates[..., :H], gates[..., H : 2 * H], gates[..., 2 * H :]
    block = lambda name: scratch(workspace, key + name, h_prev.shape, h_prev.dtype)  # noqa: E731
    tmp = block("tmp")
    k_n = np.subtract(1.0, z, out=block("k_n"))
    np.multiply(n, n, out=tmp)
    np.subtract(1.0, tmp, out=tmp)
    k_n *= tmp
    k_r = np.subtract(1.0, r, out=block("k_r"))
    k_r *= r
    k_r *= hh[..., 2 * H :]
    k_z = np.subtract(1.0, z, out=block("k_z"))
    k_z *= z
    np.subtract(h_prev, n, out=tmp)
    k_z *= tmp
    return k_n, k_r, k_z


def backward(p: CellParams, lt: LayerTrace, d_h: np.ndarray, carry_h: np.ndarray, d_ih: np.ndarray, *,
             d_c_last=None, state_grads: np.ndarray | None = None, workspace: Workspace | None = None,
             key: str = "", nonlinearity: str = "tanh"):
    T, B, H = lt.h.shape
    dtype = lt.h.dtype
    h_prev = previous(lt.h, lt.h0, lt.reverse, scratch(workspace, key + "h_prev", lt.h.shape, dtype))
    k_n, k_r, k_z = local_derivatives(lt.gates, lt.hh, h_prev, workspace, key)
    r, z = lt.gates[..., :H], lt.gates[..., H : 2 * H]
    d_hh = scratch(workspace, key + "d_hh", d_ih.shape, dtype)
    dh, tmp = np.empty((B, H), dtype), np.empty((B, H), dtype)
    w_hh = p.w_hh
    for t in backward_steps(lt, d_h, carry_h, dh, state_grads):
        dn = d_ih[t, :, 2 * H :]
        np.multiply(dh, k_n[t], out=dn)
        np.multiply(dn, k_r[t], out=d_ih[t, :, :H])
        np.multiply(dh, k_z[t], out=d_ih[t, :, H : 2 * H])
        d_hh[t, :, : 2 * H] = d_ih[t, :, : 2 * H]
        np.multiply(dn, r[t], out=d_hh[t, :, 2 * H :])
        np.matmul(d_hh[t], w_hh, out=carry_h)
        np.multiply(dh, z[t], out=tmp)
        carry_h += tmp
    return d_hh, None


def equation(p: CellParams, lt: LayerTrace, *, t: int, b: int, j: int, symbols=None, nonlinearity: str = "tanh",
             input_label: str | None = None) -> list[str]:
    """The GRU's equations, then unit ``j``'s numbers at step ``t`` (PyTorch's names)."""
    H = lt.hidden_size
    onehot = f"\\;(x_t = \\text{{one-hot}}(\\texttt{{{texttt(input_label)}}}))" if input_label else ""
    r, z, n = (lt.gates[t, b, k * H + j] for k in range(3))
    h_prev, h = lt.h_prev[t, b, j], lt.h[t, b, j]
    hp = "h_{t+1}" if lt.reverse else "h_{t-1}"  # the reverse direction starts step t from step t+1's state
    return [
        f"r, z = \\sigma(W_{{i\\ast}} x_t + b_{{i\\ast}} + W_{{h\\ast}} {hp} + b_{{h\\ast}}),\\; "
        f"n = \\tanh(W_{{in}} x_t + b_{{in}} + r \\odot (W_{{hn}} {hp} + b_{{hn}})),\\; h_t = (1-z) \\odot n + z \\odot {hp}" + onehot,
        f"r_{{t,{j}}} = \\sigma({num(lt.ih[t, b, j])} + {num(lt.hh[t, b, j])}) = {num(r)}",
        f"z_{{t,{j}}} = \\sigma({num(lt.ih[t, b, H + j])} + {num(lt.hh[t, b, H + j])}) = {num(z)}",
        f"n_{{t,{j}}} = \\tanh\\big({term(lt.ih[t, b, 2 * H + j], 'W_{in}x_t + b_{in}')} + {num(r)} \\cdot "
        f"{term(lt.hh[t, b, 2 * H + j], 'W_{hn}' + hp + ' + b_{hn}')}\\big) = {num(n)}",
        f"h_{{t,{j}}} = (1 - {num(z)}) \\cdot {num(n)} + {num(z)} \\cdot {term(h_prev, hp)} = \\mathbf{{{num(h)}}}",
    ]


CELL = CellType("gru", "GRU", GATES, forward, backward, equation)
