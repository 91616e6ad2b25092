"""The LSTM cell, PyTorch's gate order i, f, g, o:
``c' = f*c + i*g``, ``h' = o*tanh(c')`` (i, f, o sigmoid; g tanh).

Forward loop, backward loop and equation, side by side. Backward, per step with
``dh = dL/dh_t`` (from above plus the carry): ``dc = dc_next + dh * o (1 - tanh(c)^2)``;
``dA = [dc g i(1-i), dc c_prev f(1-f), dc i (1-g^2), dh tanh(c) o(1-o)]``; ``dc_prev = dc * f``;
``dh_prev = dA @ W_hh``. The local derivatives are computed for all steps at once first.
"""
from __future__ import annotations

import numpy as np

from ..activations import QUIET_EXP, tanh_for
from ..trace import LayerTrace, previous
from ..workspace import Workspace, scratch
from .base import (CellParams, CellType, Equation, Gate, backward_steps, exp_scaling, gate_rows, gate_values,
                   gate_views, gated_buffers, previous_symbols, scaled_transpose, time_buffer, time_order)

GATES = (
    Gate("i", "sigmoid", "input gate", "how much of g to write"),
    Gate("f", "sigmoid", "forget gate", "how much of c to keep"),
    Gate("g", "tanh", "candidate", "the values that may be written"),
    Gate("o", "sigmoid", "output gate", "how much of tanh(c) to show"),
)
GATE_NAMES = tuple(g.name for g in GATES)


def forward(p: CellParams, ih: np.ndarray, h0: np.ndarray, c0: np.ndarray, *, reverse: bool, record: bool,
            nonlinearity: str = "tanh"):
    T, B, _ = ih.shape
    H, dtype = p.hidden_size, ih.dtype
    h, hh, gates, pre = gated_buffers(ih, H, record)
    c = time_buffer(T, (B, H), dtype, record)
    k = exp_scaling(GATES, H, dtype)
    w_hh_t = scaled_transpose(p.w_hh, k)  # hh[t] = k * (W_hh h_{t-1})
    np.add(ih, p.b_hh, out=pre)  # k * (W_ih x_t + b_ih + b_hh)
    pre *= k
    i_, f_, g_, o_ = gate_views(gates, 4, H)
    tmp = np.empty_like(h0)
    tanh = tanh_for(tmp)
    dot, add, multiply, exp, divide = np.dot, np.add, np.multiply, np.exp, np.divide
    prev_h, prev_c = h0, c0
    with np.errstate(**QUIET_EXP):
        for t in time_order(T, reverse):  # positional out= arguments: the keyword costs measurable time per call
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
    if not record:
        return h, c[0].copy()  # every step wrote the same block: the final c
    # hh holds -(W_hh h), -2 (W_hg h) on the g rows: back to W_hh h + b_hh
    hh[..., 2 * H : 3 * H] *= 0.5
    np.subtract(p.b_hh, hh, out=hh)
    return LayerTrace("lstm", reverse, ih, hh, h, h0, gates, c, c0, gate_names=GATE_NAMES)


def local_derivatives(
    gates: np.ndarray, c: np.ndarray, c_prev: np.ndarray, workspace: Workspace | None = None, key: str = ""
) -> tuple[np.ndarray, ...]:
    """Returns (k_ifg (..., 3H), k_dc (..., H), k_o (..., H)) such that, per step,
    ``dc = dc_next + dh * k_dc``, ``dA[i,f,g] = dc * k_ifg`` (blockwise), ``dA[o] = dh * k_o``."""
    H = c.shape[-1]
    i, f, g, o = (gates[..., k * H : (k + 1) * H] for k in range(4))
    block = lambda name, last: scratch(workspace, key + name, c.shape[:-1] + (last,), c.dtype)  # noqa: E731
    slope = block("slope", 4 * H)  # s (1 - s) on every block; used for i, f, o
    np.subtract(1.0, gates, out=slope)
    slope *= gates
    k_ifg = block("k_ifg", 3 * H)
    np.multiply(g, slope[..., :H], out=k_ifg[..., :H])
    np.multiply(c_prev, slope[..., H : 2 * H], out=k_ifg[..., H : 2 * H])
    k_g = k_ifg[..., 2 * H :]
    np.multiply(g, g, out=k_g)
    np.subtract(1.0, k_g, out=k_g)
    k_g *= i
    tc = np.tanh(c, out=block("tanh_c", H))
    k_o = np.multiply(tc, slope[..., 3 * H :], out=block("k_o", H))
    k_dc = np.multiply(tc, tc, out=block("k_dc", H))
    np.subtract(1.0, k_dc, out=k_dc)
    k_dc *= o
    return k_ifg, k_dc, k_o


def backward(p: CellParams, lt: LayerTrace, d_h: np.ndarray, carry_h: np.ndarray, d_ih: np.ndarray, *,
             d_c_last: np.ndarray | None = None, state_grads: np.ndarray | None = None,
             workspace: Workspace | None = None, key: str = "", nonlinearity: str = "tanh"):
    T, B, H = lt.h.shape
    dtype = lt.h.dtype
    carry_c = np.zeros((B, H), dtype) if d_c_last is None else np.array(d_c_last, dtype=dtype)
    c_prev = previous(lt.c, lt.c0, lt.reverse, scratch(workspace, key + "c_prev", lt.c.shape, dtype))
    k_ifg, k_dc, k_o = local_derivatives(lt.gates, lt.c, c_prev, workspace, key)
    f = lt.gates[..., H : 2 * H]
    k_ifg = k_ifg.reshape(T, B, 3, H)
    d_blocks = d_ih.reshape(T, B, 4, H)  # a view: gate blocks as an axis
    dh, dc = np.empty((B, H), dtype), np.empty((B, H), dtype)
    w_hh = p.w_hh
    for t in backward_steps(lt, d_h, carry_h, dh, state_grads):
        np.multiply(dh, k_dc[t], out=dc)
        dc += carry_c
        np.multiply(k_ifg[t], dc[:, None, :], out=d_blocks[t, :, :3])
        np.multiply(dh, k_o[t], out=d_ih[t, :, 3 * H :])
        np.multiply(dc, f[t], out=carry_c)
        np.matmul(d_ih[t], w_hh, out=carry_h)
    return d_ih, carry_c


def equation(s=None, *, nonlinearity: str = "tanh", reverse: bool = False, onehot: bool = False,
             row: int = 0) -> Equation:
    """i, f, g, o, then ``c_t = f c_prev + i g`` and ``h_t = o tanh(c_t)`` (PyTorch's names)."""
    prev, _ = previous_symbols(reverse)
    prev_c, prev_c_j = ("c_{t+1}", "c_{t+1,\\J}") if reverse else ("c_{t-1}", "c_{t-1,\\J}")
    slots, rows = gate_rows(GATES, prev)
    if onehot:
        rows[0] = (rows[0][0], rows[0][1] + " \\quad x_t = \\text{one-hot}(\\input)", rows[0][2])
    slots += ["c_prev", "c", "tanh_c", "h"]
    rows.append(("c", f"c_t = f_t \\odot {prev_c} + i_t \\odot g_t",
                 f"c_{{t,\\J}} = \\slot{{f}} \\cdot \\under{{\\slot{{c_prev}}}}{{{prev_c_j}}} + \\slot{{i}} \\cdot "
                 "\\slot{g} = \\res{c}"))
    rows.append(("h", "h_t = o_t \\odot \\tanh(c_t)",
                 "h_{t,\\J} = \\slot{o} \\cdot \\tanh(\\slot{c}) = \\slot{o} \\cdot \\slot{tanh_c} = \\fin{h}"))
    return Equation(tuple(slots), tuple(rows))


def equation_values(p: CellParams, lt: LayerTrace, sample: int, s=None) -> np.ndarray:
    """(T, H, slots) in the order of :func:`equation`, from the trace."""
    c = lt.c[:, sample]
    cols = gate_values(p, lt, sample) + [lt.c_prev[:, sample], c, np.tanh(c), lt.h[:, sample]]
    return np.stack(cols, axis=-1)

CELL = CellType("lstm", "LSTM", GATES, forward, backward, equation, equation_values, has_cell_state=True)
