"""The vanilla (Elman) RNN cell: ``h' = act(W_ih x + b_ih + W_hh h + b_hh)``, act = tanh | relu.

Forward loop, backward loop and equation, side by side. Backward, per step with
``dh = dL/dh_t`` (from above plus the carry from step t+1): ``dA = dh * act'(pre)`` with
``act'`` read off the output (``1 - h^2`` for tanh, ``h > 0`` for relu), then
``dh_prev = dA @ W_hh``.
"""
from __future__ import annotations

import numpy as np

from ..activations import QUIET_EXP, relu, tanh_for
from ..trace import LayerTrace
from ..workspace import Workspace, scratch
from .base import CellParams, CellType, Equation, Gate, backward_steps, time_buffer, time_order

GATES = (Gate("h", "tanh", "hidden state", "the new hidden state"),)


def forward(p: CellParams, ih: np.ndarray, h0: np.ndarray, c0: None, *, reverse: bool, record: bool,
            nonlinearity: str = "tanh"):
    T, B, GH = ih.shape
    h = np.empty((T, B, p.hidden_size), ih.dtype)
    hh = time_buffer(T, (B, GH), ih.dtype, record)
    w_hh_t = p.w_hh.T
    np.add(ih, p.b_hh, out=h)  # step-independent part, for all steps at once, in place of h
    act = tanh_for(h0) if nonlinearity == "tanh" else relu
    dot, add = np.dot, np.add
    prev = h0
    # exp may overflow inside the tanh (exact limit); a ReLU state that really overflows must warn.
    with np.errstate(**(QUIET_EXP if nonlinearity == "tanh" else {})):
        for t in time_order(T, reverse):  # positional out= arguments: the keyword costs measurable time per call
            ht, hht = h[t], hh[t]
            dot(prev, w_hh_t, hht)
            add(ht, hht, ht)
            act(ht, ht)
            prev = ht
    if not record:
        return h, None
    hh += p.b_hh  # folded into h above; the trace keeps W_hh h + b_hh
    return LayerTrace("rnn", reverse, ih, hh, h, h0, gate_names=())


def local_derivatives(h: np.ndarray, nonlinearity: str = "tanh", out: np.ndarray | None = None) -> np.ndarray:
    """act'(pre) from the output h: ``1 - h^2`` for tanh, ``h > 0`` for relu."""
    if nonlinearity == "tanh":
        out = np.multiply(h, h, out=out)
        np.subtract(1.0, out, out=out)
        return out
    return np.greater(h, 0, out=out if out is not None else np.empty_like(h), casting="unsafe")


def backward(p: CellParams, lt: LayerTrace, d_h: np.ndarray, carry_h: np.ndarray, d_ih: np.ndarray, *,
             d_c_last=None, state_grads: np.ndarray | None = None, workspace: Workspace | None = None,
             key: str = "", nonlinearity: str = "tanh"):
    dh = np.empty_like(carry_h)
    k = local_derivatives(lt.h, nonlinearity, out=scratch(workspace, key + "k", lt.h.shape, lt.h.dtype))
    w_hh = p.w_hh
    for t in backward_steps(lt, d_h, carry_h, dh, state_grads):
        np.multiply(dh, k[t], out=d_ih[t])
        np.matmul(d_ih[t], w_hh, out=carry_h)
    return d_ih, None


def equation(s, *, nonlinearity: str = "tanh", reverse: bool = False, onehot: bool = False,
             row: int = 0) -> Equation:
    """``h = act(W_ih x + b_ih + W_hh h_prev + b_hh)`` in the notation ``s`` (app/notation.py's
    Symbols: the column-vector formulations write W x, TensorFlow's row-major X W; one bias or two).
    ``row``: the instance shown; in the row-major notation unit j of instance b is row b, column j."""
    act = "\\tanh" if nonlinearity == "tanh" else "\\relu"
    prev = "h_{t+1}" if reverse else s.h_prev  # the reverse direction comes from the right
    h_j = f"{s.h[:-2]}_{{t,\\J}}" if s.h.endswith("_t") else f"{{{s.h}}}_{{\\J}}"
    if s.row_major:
        general = f"{s.h} = {act}({s.x} {s.w_ih} + {s.h_prev} {s.w_hh} + {s.b_ih})"
        xl, hl = f"({s.x}{s.w_ih})_{{{row},\\J}}", f"({s.h_prev}{s.w_hh})_{{{row},\\J}}"
        h_j = f"({s.h})_{{{row},\\J}}"
    else:
        xl, hl = f"({s.w_ih}{s.x})_{{\\J}}", f"({s.w_hh}{prev})_{{\\J}}"
        if s.b_hh:
            general = f"{s.h} = {act}({s.w_ih} {s.x} + {s.b_ih} + {s.w_hh} {prev} + {s.b_hh})"
        else:
            general = f"{s.h} = {act}({s.w_ih} {s.x} + {s.w_hh} {prev} + {s.b_ih})"
    if s.b_hh:
        slots = ("xw", "bih", "hw", "bhh", "pre", "h")
        terms = [f"\\under{{\\slot{{xw}}}}{{{xl}}}", f"\\under{{\\slot{{bih}}}}{{({s.b_ih})_{{\\J}}}}",
                 f"\\under{{\\slot{{hw}}}}{{{hl}}}", f"\\under{{\\slot{{bhh}}}}{{({s.b_hh})_{{\\J}}}}"]
    else:
        slots = ("xw", "hw", "b", "pre", "h")
        terms = [f"\\under{{\\slot{{xw}}}}{{{xl}}}", f"\\under{{\\slot{{hw}}}}{{{hl}}}",
                 f"\\under{{\\slot{{b}}}}{{({s.b_ih})_{{\\J}}}}"]
    if onehot:
        general += f" \\quad {s.x} = \\text{{one-hot}}(\\input)"
    filled = f"{h_j} = {act}(" + " + ".join(terms) + f") = {act}(\\slot{{pre}}) = \\fin{{h}}"
    return Equation(slots, (("h", general, filled),))


def equation_values(p: CellParams, lt: LayerTrace, sample: int, s) -> np.ndarray:
    """(T, H, slots): W x, the bias(es), W h_prev, their sum and h, from the trace (which records
    ``ih = W_ih x + b_ih`` and ``hh = W_hh h_prev + b_hh``)."""
    ih, hh, h = lt.ih[:, sample], lt.hh[:, sample], lt.h[:, sample]
    bias = lambda b: np.broadcast_to(b, h.shape)  # noqa: E731
    if s.b_hh:
        cols = [ih - p.b_ih, bias(p.b_ih), hh - p.b_hh, bias(p.b_hh), ih + hh, h]
    else:
        cols = [ih - p.b_ih, hh - p.b_hh, bias(p.b_ih + p.b_hh), ih + hh, h]
    return np.stack(cols, axis=-1)

CELL = CellType("rnn", "vanilla RNN", GATES, forward, backward, equation, equation_values,
                nonlinearities=("tanh", "relu"))
