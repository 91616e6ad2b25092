"""Small LaTeX helpers for the cells' equations: numbers, labelled terms, literal text."""
from __future__ import annotations


def num(value: float) -> str:
    """A number for an equation: 4 decimals, a proper minus sign; overflowed values say so (no "nan")."""
    if value != value:  # NaN: inf - inf after an overflow
        return r"\text{overflow}"
    if value in (float("inf"), float("-inf")):
        return r"{-}\infty" if value < 0 else r"\infty"
    return f"{value:.4f}".replace("-", "{-}")


def term(value: float, label: str) -> str:
    """``value`` with ``label`` under a brace: where the number comes from."""
    return f"\\underbrace{{{num(value)}}}_{{{label}}}"


def unit_symbol(symbol: str, j: int) -> str:
    """``h_t`` -> ``h_{t,j}``; other symbols get a ``[j]``."""
    if symbol.endswith("_t"):
        return f"{symbol[:-2]}_{{t,{j}}}"
    return f"{symbol}_{{{j}}}" if "_" not in symbol else f"{symbol}[{j}]"


_TEXT_ESCAPES = {"#": "\\#", "$": "\\$", "%": "\\%", "&": "\\&", "_": "\\_", "{": "\\{", "}": "\\}",
                 "\\": "\\backslash ", "^": "\\^{}", "~": "\\~{}"}


def texttt(label: str) -> str:
    """A character label safe inside \\texttt{}."""
    return "".join(_TEXT_ESCAPES.get(c, c) for c in label)
