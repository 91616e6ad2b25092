"""The GRU cell, PyTorch's gate order r, z, n:
``n = tanh(W_in x + b_in + r*(W_hn h + b_hn))``, ``h' = (1-z)*n + z*h`` (r, z sigmoid).

Forward loop, backward loop and equation, side by side. Backward, per step with
``dh = dL/dh_t``: ``dn = dh (1-z)(1-n^2)``; ``dA_ih = [dn hh_n r(1-r), dh (h_prev-n) z(1-z), dn]``;
``dA_hh`` = ``dA_ih`` with the n block times r; ``dh_prev = dh * z + dA_hh @ W_hh``.
"""
from __future__ import annotations

import numpy as np

from ..activations import QUIET_EXP, tanh_for
from ..trace import LayerTrace, previous
from ..workspace import Workspace, scratch
from .base import (CellParams, CellType, Equation, Gate, backward_steps, exp_scaling, gate_rows, gate_values,
                   gate_views, gated_buffers, previous_symbols, scaled_transpose, time_order)

GATES = (
    Gate("r", "sigmoid", "reset gate", "how much of the previous state the candidate sees"),
    Gate("z", "sigmoid", "update gate", "1 = keep the previous state"),
    Gate("n", "tanh", "candidate", "the new state it may move to"),
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


def equation(s=None, *, nonlinearity: str = "tanh", reverse: bool = False, onehot: bool = False,
             row: int = 0) -> Equation:
    """r, z, then ``n = tanh(W_in x + b_in + r (W_hn h_prev + b_hn))`` and ``h = (1 - z) n + z h_prev``."""
    prev, prev_j = previous_symbols(reverse)
    slots, rows = gate_rows(GATES, prev)
    n_xw, n_bi, n_hw, n_bh = (f"\\under{{\\slot{{n_{k}}}}}{{{label}}}" for k, label in (
        ("xw", "(W_{in}x_t)_{\\J}"), ("bi", "(b_{in})_{\\J}"), ("hw", f"(W_{{hn}}{prev})_{{\\J}}"), ("bh", "(b_{hn})_{\\J}")))
    rows[2] = ("n", f"n_t = \\tanh(W_{{in}} x_t + b_{{in}} + r_t \\odot (W_{{hn}} {prev} + b_{{hn}}))",
               f"n_{{t,\\J}} = \\tanh({n_xw} + {n_bi} + \\slot{{r}} \\cdot ({n_hw} + {n_bh})) "
               "= \\tanh(\\slot{n_pre}) = \\res{n}")
    if onehot:
        rows[0] = (rows[0][0], rows[0][1] + " \\quad x_t = \\text{one-hot}(\\input)", rows[0][2])
    slots += ["h_prev", "h"]
    rows.append(("h", f"h_t = (1 - z_t) \\odot n_t + z_t \\odot {prev}",
                 f"h_{{t,\\J}} = (1 - \\slot{{z}}) \\cdot \\slot{{n}} + \\slot{{z}} \\cdot "
                 f"\\under{{\\slot{{h_prev}}}}{{{prev_j}}} = \\fin{{h}}"))
    return Equation(tuple(slots), tuple(rows))


def equation_values(p: CellParams, lt: LayerTrace, sample: int, s=None) -> np.ndarray:
    """(T, H, slots) in the order of :func:`equation`; n's pre-activation is W_in x + b_in + r (W_hn h + b_hn)."""
    H = lt.hidden_size
    cols = gate_values(p, lt, sample)
    r = lt.gates[:, sample, :H]
    cols[equation().slots.index("n_pre")] = lt.ih[:, sample, 2 * H :] + r * lt.hh[:, sample, 2 * H :]
    cols += [lt.h_prev[:, sample], lt.h[:, sample]]
    return np.stack(cols, axis=-1)

CELL = CellType("gru", "GRU", GATES, forward, backward, equation, equation_values)
