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
from ..tex import num, term, texttt
from ..trace import LayerTrace, previous
from ..workspace import Workspace, scratch
from .base import (CellParams, CellType, Gate, backward_steps, exp_scaling, gate_views, gated_buffers,
                   scaled_transpose, time_buffer, time_order)

GATES = (
    Gate("i", "sigmoid", "input gate (how much of g to write)"),
    Gate("f", "sigmoid", "forget gate (how much of c to keep)"),
    Gate("g", "tanh", "candidate values"),
    Gate("o", "sigmoid", "output gate (how much of tanh(c) to show)"),
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


def equation(p: CellParams, lt: LayerTrace, *, t: int, b: int, j: int, symbols=None, nonlinearity: str = "tanh",
             input_label: str | None = None) -> list[str]:
    """The LSTM's equations, then unit ``j``'s numbers at step ``t`` (PyTorch's names)."""
    H = lt.hidden_size
    onehot = f"\\;(x_t = \\text{{one-hot}}(\\texttt{{{texttt(input_label)}}}))" if input_label else ""
    pre = {k: lt.ih[t, b, n * H + j] + lt.hh[t, b, n * H + j] for n, k in enumerate(GATE_NAMES)}
    gate = {k: lt.gates[t, b, n * H + j] for n, k in enumerate(GATE_NAMES)}
    c_prev, c, h = lt.c_prev[t, b, j], lt.c[t, b, j], lt.h[t, b, j]
    # The reverse direction runs from the end: the state it starts step t from is the one of step t+1.
    hp, cp = ("h_{t+1}", "c_{t+1}") if lt.reverse else ("h_{t-1}", "c_{t-1}")
    lines = [
        f"i,f,o = \\sigma(W_{{i\\ast}} x_t + b_{{i\\ast}} + W_{{h\\ast}} {hp} + b_{{h\\ast}}),\\; g = \\tanh(\\cdots),\\; "
        f"c_t = f \\odot {cp} + i \\odot g,\\; h_t = o \\odot \\tanh(c_t)" + onehot
    ]
    for n, k in enumerate(GATE_NAMES):
        fn = "\\tanh" if GATES[n].kind == "tanh" else "\\sigma"
        x_term = term(lt.ih[t, b, n * H + j], f"x\\ part + b_{{i{k}}}")
        h_term = term(lt.hh[t, b, n * H + j], f"h\\ part + b_{{h{k}}}")
        lines.append(f"{k}_{{t,{j}}} = {fn}\\big({x_term} + {h_term}\\big) = {fn}({num(pre[k])}) = {num(gate[k])}")
    lines.append(
        f"c_{{t,{j}}} = {num(gate['f'])} \\cdot {term(c_prev, cp)} + {num(gate['i'])} \\cdot {num(gate['g'])} = {num(c)}"
    )
    lines.append(f"h_{{t,{j}}} = {num(gate['o'])} \\cdot \\tanh({num(c)}) = \\mathbf{{{num(h)}}}")
    return lines


CELL = CellType("lstm", "LSTM", GATES, forward, backward, equation, has_cell_state=True)
