"""One convention for every figure: colours, scales, fonts and the array encoding. No Streamlit.

Every builder in this package returns a figure *spec*: Plotly's JSON form, a dict of ``data``
and ``layout``, with every NumPy array as a base64 typed array (float32: compact, never
``.tolist()``). Building ``go.Figure`` objects would validate every property (20-40 ms a chart
here, too slow for a time-step change or a training tick); ``to_figure(spec)`` does that
validation, and the tests call it on every builder.
"""
from __future__ import annotations

import base64

import numpy as np

from ..text import visible

# Colour scales as explicit [position, "#rrggbb"] stops (plotly.js does not know plotly.py's names such
# as "RdBu_r": a spec that bypasses go.Figure must carry the stops). DIVERGING: plotly.py's "RdBu_r"
# (ColorBrewer's RdBu reversed: blue < 0 < red); SEQUENTIAL: "Viridis". The tests check them
# against plotly.colors; the browser's player draws with the same stops.
DIVERGING = [[0.0, "#053061"], [0.1, "#2166ac"], [0.2, "#4393c3"], [0.3, "#92c5de"], [0.4, "#d1e5f0"], [0.5, "#f7f7f7"],
          [0.6, "#fddbc7"], [0.7, "#f4a582"], [0.8, "#d6604d"], [0.9, "#b2182b"], [1.0, "#67001f"]]
SEQUENTIAL = [[0.0, "#440154"], [1 / 9, "#482878"], [2 / 9, "#3e4989"], [3 / 9, "#31688e"], [4 / 9, "#26828e"],
           [5 / 9, "#1f9e89"], [6 / 9, "#35b779"], [7 / 9, "#6ece58"], [8 / 9, "#b5de2b"], [1.0, "#fde725"]]

# Plotly's Magma starts at "#000004", which Streamlit reads as a placeholder for its 4th theme
# colour (light purple) even with theme=None: start from an equally dark colour it leaves alone.
MAGMA = [[0.0, "#020108"]] + [[i / 9, c] for i, c in enumerate(
    ["#000004", "#180f3d", "#440f76", "#721f81", "#9e2f7f", "#cd4071", "#f1605d", "#fd9668", "#feca8d", "#fcfdbf"])][1:]
ACCENT, MUTED, TRUE_COLOR, NEGATIVE = "#d62728", "#9aa5b1", "#2ca02c", "#1f77b4"
FONT = dict(size=15, family="Source Sans Pro, Source Sans 3, sans-serif", color="#31333f")  # Streamlit's look
MARGIN = dict(l=64, r=88, t=48, b=64)  # equal margins keep the heatmap and the time strip aligned
MAX_TICK_LABELS = 60

_TYPED = {"float32": "f4", "float64": "f8", "int8": "i1", "int16": "i2", "int32": "i4", "uint8": "u1"}
F32_MAX = float(np.finfo(np.float32).max)


def to_figure(spec: dict):
    """A validated ``plotly.graph_objects.Figure`` (raises on any property Plotly does not know)."""
    import plotly.graph_objects as go  # only here: importing it costs the page's first run ~1 s

    return go.Figure(spec)


def typed_array(a: np.ndarray) -> dict | list:
    """plotly.js's typed-array form of a NumPy array (the one go.Figure produces): base64 bytes."""
    a = np.ascontiguousarray(a)
    if str(a.dtype) not in _TYPED:  # e.g. strings: plain lists
        return a.tolist()
    spec = {"dtype": _TYPED[str(a.dtype)], "bdata": base64.b64encode(a).decode("ascii")}
    if a.ndim > 1:
        spec["shape"] = ", ".join(map(str, a.shape))
    return spec


def _encode(obj):
    if isinstance(obj, np.ndarray):
        return typed_array(obj)
    if isinstance(obj, dict):
        return {k: _encode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_encode(v) for v in obj]
    return obj


def spec(data: list[dict], layout: dict) -> dict:
    """A figure spec with every NumPy array as a base64 typed array."""
    return _encode(dict(data=data, layout=layout))


def f32(a) -> np.ndarray:
    """Chart data as float32, saturated: values beyond float32 (or inf) at +-F32_MAX, NaN at 0,
    so that a chart never holds inf/NaN (the page states the overflow, see ``app.compute.overflow_note``).
    Use :func:`f32_gaps` where NaN means "nothing to draw"."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.ascontiguousarray(a, dtype=np.float32)
    if not np.isfinite(out).all():
        out = np.nan_to_num(out, nan=0.0, posinf=F32_MAX, neginf=-F32_MAX)
    return out


def f32_gaps(a) -> np.ndarray:
    """Chart data as float32 where NaN stays NaN (a gap Plotly leaves blank); infinities saturate."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.ascontiguousarray(a, dtype=np.float32)
    return np.clip(out, -F32_MAX, F32_MAX, out=out) if np.isinf(out).any() else out


def value_range(values: np.ndarray, kind: str) -> tuple[float, float]:
    """Colour range: fixed [-1, 1] for tanh, [0, 1] for sigmoid gates, symmetric or [0, max] otherwise."""
    if kind == "tanh":
        return -1.0, 1.0
    if kind == "sigmoid":
        return 0.0, 1.0
    peak = float(np.max(np.abs(f32(values)))) if values.size else 1.0
    peak = peak or 1.0
    return (0.0, peak) if kind == "relu" else (-peak, peak)


def colorscale(kind: str) -> str:
    """Sequential for values >= 0 (gates, ReLU states), diverging around 0 otherwise."""
    return SEQUENTIAL if kind in ("sigmoid", "relu") else DIVERGING


def time_axis(labels: list[str], **extra) -> dict:
    T = len(labels)
    axis = dict(range=[-0.5, T - 0.5], **extra)
    if T <= MAX_TICK_LABELS:
        axis.update(tickmode="array", tickvals=np.arange(T, dtype=np.int32), ticktext=list(labels))
    return axis


def heading(text: str, size: int = 18) -> dict:
    return dict(text=f"<b>{text}</b>", x=0, xref="paper", xanchor="left", font=dict(size=size))


def display_char(c: str) -> str:
    """One visible character for ``c``: the app's symbols for whitespace (``text.visible``),
    � for any other non-printable character. User text is never rendered as HTML: one character
    cannot form Plotly's pseudo-HTML (``<...>`` or ``&...;``)."""
    shown = visible(c)
    return shown if len(shown) == 1 and (shown.isprintable() or shown != c) else "�"


def display_chars(text) -> list[str]:
    return [display_char(c) for c in text]
