"""The cell's equations as LaTeX, filled in with the numbers of one unit at one step.

Every number comes from the trace (``ih = W_ih x_t + b_ih`` and ``hh = W_hh h_{t-1} + b_hh``
are recorded apart) and the model's biases, so the sum shown is exactly what the heatmap shows.
"""
from __future__ import annotations

from .network import RNNModel
from .notation import symbols
from .trace import LayerTrace


def num(value: float) -> str:
    """A number for an equation: 4 decimals, a proper minus sign; overflowed values say so (no "nan")."""
    if value != value:  # NaN: inf - inf after an overflow
        return r"\text{overflow}"
    if value in (float("inf"), float("-inf")):
        return r"{-}\infty" if value < 0 else r"\infty"
    return f"{value:.4f}".replace("-", "{-}")


def _term(value: float, label: str) -> str:
    return f"\\underbrace{{{num(value)}}}_{{{label}}}"


def unit_equations(
    model: RNNModel, lt: LayerTrace, *, layer: int, direction: int, t: int, b: int, j: int,
    notation: str, input_label: str | None = None,
) -> list[str]:
    """LaTeX lines: the general equation, then the same with unit ``j``'s numbers at step ``t``."""
    p = model.layers[layer][direction]
    H = lt.hidden_size
    s = symbols(notation, model.cell)
    prev = "h_{t+1}" if lt.reverse else s.h_prev  # the reverse direction comes from the right
    if lt.reverse:
        s = symbols("torch", model.cell)
    x_part = lt.ih[t, b] - p.b_ih
    h_part = lt.hh[t, b] - p.b_hh
    onehot = f"\\;(x_t = \\text{{one-hot}}(\\texttt{{{_tex_text(input_label)}}}))" if input_label else ""
    if model.cell == "rnn":
        act = "\\tanh" if model.nonlinearity == "tanh" else "\\operatorname{relu}"
        total = lt.ih[t, b, j] + lt.hh[t, b, j]
        value = lt.h[t, b, j]
        if s.row_major:
            general = f"{s.h} = {act}({s.x} {s.w_ih} + {s.h_prev} {s.w_hh} + {s.b_ih})"
            xl, hl = f"({s.x}{s.w_ih})_{{{j}}}", f"({s.h_prev}{s.w_hh})_{{{j}}}"
        else:
            xl, hl = f"({s.w_ih}{s.x})_{{{j}}}", f"({s.w_hh}{prev})_{{{j}}}"
            if s.b_hh:
                general = f"{s.h} = {act}({s.w_ih} {s.x} + {s.b_ih} + {s.w_hh} {prev} + {s.b_hh})"
            else:
                general = f"{s.h} = {act}({s.w_ih} {s.x} + {s.w_hh} {prev} + {s.b_ih})"
        if s.b_hh:
            terms = [_term(x_part[j], xl), _term(p.b_ih[j], f"({s.b_ih})_{{{j}}}"), _term(h_part[j], hl),
                     _term(p.b_hh[j], f"({s.b_hh})_{{{j}}}")]
        else:
            terms = [_term(x_part[j], xl), _term(h_part[j], hl), _term(p.b_ih[j] + p.b_hh[j], f"({s.b_ih})_{{{j}}}")]
        filled = f"{_unit(s.h, j)} = {act}\\big(" + " + ".join(terms) + f"\\big) = {act}({num(total)}) = \\mathbf{{{num(value)}}}"
        return [general + onehot, filled]
    if model.cell == "lstm":
        names = ("i", "f", "g", "o")
        pre = {k: lt.ih[t, b, n * H + j] + lt.hh[t, b, n * H + j] for n, k in enumerate(names)}
        gate = {k: lt.gates[t, b, n * H + j] for n, k in enumerate(names)}
        c_prev, c, h = lt.c_prev[t, b, j], lt.c[t, b, j], lt.h[t, b, j]
        lines = [
            "i,f,o = \\sigma(W_{i\\ast} x_t + b_{i\\ast} + W_{h\\ast} h_{t-1} + b_{h\\ast}),\\; g = \\tanh(\\cdots),\\; "
            "c_t = f \\odot c_{t-1} + i \\odot g,\\; h_t = o \\odot \\tanh(c_t)" + onehot
        ]
        for n, k in enumerate(names):
            fn = "\\tanh" if k == "g" else "\\sigma"
            x_term = _term(lt.ih[t, b, n * H + j], f"x\\ part + b_{{i{k}}}")
            h_term = _term(lt.hh[t, b, n * H + j], f"h\\ part + b_{{h{k}}}")
            lines.append(f"{k}_{{t,{j}}} = {fn}\\big({x_term} + {h_term}\\big) = {fn}({num(pre[k])}) = {num(gate[k])}")
        lines.append(
            f"c_{{t,{j}}} = {num(gate['f'])} \\cdot {_term(c_prev, 'c_{t-1}')} + {num(gate['i'])} \\cdot {num(gate['g'])} = {num(c)}"
        )
        lines.append(f"h_{{t,{j}}} = {num(gate['o'])} \\cdot \\tanh({num(c)}) = \\mathbf{{{num(h)}}}")
        return lines
    # GRU: n uses r * (W_hn h + b_hn)
    r, z, n = (lt.gates[t, b, k * H + j] for k in range(3))
    h_prev, h = lt.h_prev[t, b, j], lt.h[t, b, j]
    return [
        "r, z = \\sigma(W_{i\\ast} x_t + b_{i\\ast} + W_{h\\ast} h_{t-1} + b_{h\\ast}),\\; "
        "n = \\tanh(W_{in} x_t + b_{in} + r \\odot (W_{hn} h_{t-1} + b_{hn})),\\; h_t = (1-z) \\odot n + z \\odot h_{t-1}" + onehot,
        f"r_{{t,{j}}} = \\sigma({num(lt.ih[t, b, j])} + {num(lt.hh[t, b, j])}) = {num(r)}",
        f"z_{{t,{j}}} = \\sigma({num(lt.ih[t, b, H + j])} + {num(lt.hh[t, b, H + j])}) = {num(z)}",
        f"n_{{t,{j}}} = \\tanh\\big({_term(lt.ih[t, b, 2 * H + j], 'W_{in}x_t + b_{in}')} + {num(r)} \\cdot "
        f"{_term(lt.hh[t, b, 2 * H + j], 'W_{hn}h_{t-1} + b_{hn}')}\\big) = {num(n)}",
        f"h_{{t,{j}}} = (1 - {num(z)}) \\cdot {num(n)} + {num(z)} \\cdot {_term(h_prev, 'h_{t-1}')} = \\mathbf{{{num(h)}}}",
    ]


def _unit(symbol: str, j: int) -> str:
    """``h_t`` -> ``h_{t,j}``; other symbols get a ``[j]``."""
    if symbol.endswith("_t"):
        return f"{symbol[:-2]}_{{t,{j}}}"
    return f"{symbol}_{{{j}}}" if "_" not in symbol else f"{symbol}[{j}]"


_TEX_ESCAPES = {"#": "\\#", "$": "\\$", "%": "\\%", "&": "\\&", "_": "\\_", "{": "\\{", "}": "\\}",
                "\\": "\\backslash ", "^": "\\^{}", "~": "\\~{}"}


def _tex_text(label: str) -> str:
    """A character label safe inside \\texttt{}."""
    return "".join(_TEX_ESCAPES.get(c, c) for c in label)
