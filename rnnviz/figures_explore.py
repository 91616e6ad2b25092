"""Plotly figures for training and exploration. Imports plotly, never streamlit.

Each builder takes plain arrays (from ``train`` / ``analysis``) and returns a ``go.Figure``;
numbers go in as float32 NumPy arrays (Plotly ships them as compact typed arrays).

User text is never rendered as HTML: every label holds exactly **one** character (Plotly's
pseudo-HTML needs ``<...>`` or ``&...;``, which one character cannot form), and whitespace or
control characters are shown as visible symbols (``display_char``).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .text import visible

DIVERGING = "RdBu_r"
SEQUENTIAL = "Viridis"
# Plotly's Magma starts at "#000004", which Streamlit reads as a placeholder for its 4th theme
# colour (light purple) even with theme=None: start from an equally dark colour it leaves alone.
MAGMA = [[0.0, "#020108"]] + [[i / 9, c] for i, c in enumerate(
    ["#000004", "#180f3d", "#440f76", "#721f81", "#9e2f7f", "#cd4071", "#f1605d", "#fd9668", "#feca8d", "#fcfdbf"])][1:]


def display_char(c: str) -> str:
    """One visible character for ``c``: the app's symbols for whitespace (``text.visible``),
    � for any other non-printable character."""
    shown = visible(c)
    return shown if len(shown) == 1 and (shown.isprintable() or shown != c) else "�"


def display_chars(text: Sequence[str]) -> list[str]:
    return [display_char(c) for c in text]


def _f32(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32)


# --- training ----------------------------------------------------------------------------------

def loss_figure(losses: np.ndarray, *, baseline: float | None = None, unit: str = "bits") -> go.Figure:
    """Training loss per step in bits per character (``unit="bits"``) or nats.

    ``losses`` are nats per character (``Trainer.losses``); ``baseline`` (nats, e.g. the
    unigram entropy) is drawn as a dashed line.
    """
    if unit not in ("bits", "nats"):
        raise ValueError("unit must be 'bits' or 'nats'")
    scale = 1.0 / math.log(2.0) if unit == "bits" else 1.0
    y = _f32(losses) * np.float32(scale)
    steps = np.arange(1, y.size + 1, dtype=np.int32)
    label = "bits per character" if unit == "bits" else "loss (nats per character)"
    fig = go.Figure(go.Scatter(x=steps, y=y, mode="lines", name="training loss",
                               hovertemplate="step %{x}<br>%{y:.3f} " + unit + "/char<extra></extra>"))
    if baseline is not None:
        fig.add_hline(y=baseline * scale, line_dash="dash", line_color="gray",
                      annotation_text="unigram baseline", annotation_position="top right")
    fig.update_layout(xaxis_title="training step", yaxis_title=label, margin=dict(t=30, b=40), height=320)
    return fig


# --- neuron over text ----------------------------------------------------------------------------

def text_grid(text: str, columns: int) -> tuple[int, np.ndarray, np.ndarray]:
    """Row count, and (rows, columns) grids of display characters and character positions (-1 pad)."""
    if columns < 1:
        raise ValueError("columns must be at least 1")
    n = len(text)
    rows = max(1, math.ceil(n / columns))
    chars = np.full(rows * columns, "", dtype=object)
    chars[:n] = display_chars(text)
    pos = np.full(rows * columns, -1, np.int32)
    pos[:n] = np.arange(n, dtype=np.int32)
    return rows, chars.reshape(rows, columns), pos.reshape(rows, columns)


def text_activation_figure(
    text: str, values: np.ndarray, *, columns: int = 60, label: str = "activation", symmetric: bool = True
) -> go.Figure:
    """Each character of ``text`` in a grid cell coloured by ``values`` (one per character).

    ``symmetric``: a diverging colour scale centred on 0 (tanh units); otherwise sequential.
    Empty cells after the text are NaN (not drawn).
    """
    v = _f32(values).reshape(-1)
    if v.size != len(text):
        raise ValueError(f"need one value per character: {len(text)} characters, {v.size} values")
    rows, chars, pos = text_grid(text, columns)
    z = np.full(rows * columns, np.nan, np.float32)
    z[: v.size] = v
    z = z.reshape(rows, columns)
    finite = np.abs(v[np.isfinite(v)])
    bound = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    colour = dict(colorscale=DIVERGING, zmid=0.0, zmin=-bound, zmax=bound) if symmetric else dict(colorscale=SEQUENTIAL)
    fig = go.Figure(go.Heatmap(
        z=z, text=chars, texttemplate="%{text}", customdata=pos, xgap=1, ygap=1,
        hovertemplate="char %{customdata}: %{text}<br>" + label + " %{z:.3f}<extra></extra>",
        colorbar=dict(title=dict(text=label)), **colour,
    ))
    fig.update_yaxes(autorange="reversed", showticklabels=False)
    fig.update_xaxes(showticklabels=False)
    fig.update_layout(height=max(160, 28 * rows + 60), margin=dict(t=20, b=20, l=20, r=20))
    return fig


def unit_ranking_figure(r: np.ndarray, order: np.ndarray, *, top: int = 20, feature: str = "feature") -> go.Figure:
    """Bars of the correlation r of the ``top`` units in ``order`` (from ``analysis.rank_units``)."""
    units = np.asarray(order)[:top].astype(np.int32)
    fig = go.Figure(go.Bar(x=np.arange(units.size, dtype=np.int32), y=_f32(np.asarray(r)[units]),
                           customdata=units, hovertemplate="unit %{customdata}: r = %{y:.3f}<extra></extra>"))
    fig.update_xaxes(tickmode="array", tickvals=np.arange(units.size), ticktext=[str(u) for u in units], title="unit")
    fig.update_layout(yaxis_title=f"correlation with {feature}", yaxis_range=[-1, 1], height=300, margin=dict(t=20))
    return fig


# --- hidden-state trajectory -------------------------------------------------------------------

def trajectory_figure(
    coords: np.ndarray, text: str, *, step: int | None = None, explained: np.ndarray | None = None
) -> go.Figure:
    """PCA path of h_t in 2-D or 3-D (``coords (T, 2|3)``), each point labelled by its
    character and coloured by time; ``step`` gets a large marker (trace 1)."""
    c = _f32(coords)
    if c.ndim != 2 or c.shape[1] not in (2, 3) or c.shape[0] != len(text):
        raise ValueError(f"coords must be (T, 2) or (T, 3) with T = {len(text)}, got {c.shape}")
    labels = display_chars(text)
    time = np.arange(c.shape[0], dtype=np.float32)
    axis = [f"PC{i + 1}" + (f" ({explained[i]:.0%})" if explained is not None else "") for i in range(c.shape[1])]
    common = dict(text=labels, customdata=time.astype(np.int32), mode="lines+markers+text", name="h_t",
                  hovertemplate="t=%{customdata}: %{text}<extra></extra>", textposition="top center")
    if c.shape[1] == 2:
        fig = go.Figure(go.Scatter(x=c[:, 0], y=c[:, 1], marker=dict(color=time, colorscale=SEQUENTIAL, size=7),
                                   line=dict(color="lightgray"), **common))
    else:
        fig = go.Figure(go.Scatter3d(x=c[:, 0], y=c[:, 1], z=c[:, 2],
                                     marker=dict(color=time, colorscale=SEQUENTIAL, size=3),
                                     line=dict(color="lightgray"), **common))
    if step is not None:
        if not 0 <= step < c.shape[0]:
            raise ValueError(f"step must be in [0, {c.shape[0] - 1}]")
        here = dict(mode="markers", name=f"t = {step}", hoverinfo="skip",
                    marker=dict(color="red", size=14 if c.shape[1] == 2 else 8, symbol="circle-open"))
        if c.shape[1] == 2:
            fig.add_trace(go.Scatter(x=c[step : step + 1, 0], y=c[step : step + 1, 1], **here))
        else:
            fig.add_trace(go.Scatter3d(x=c[step : step + 1, 0], y=c[step : step + 1, 1], z=c[step : step + 1, 2], **here))
    if c.shape[1] == 2:
        fig.update_layout(xaxis_title=axis[0], yaxis_title=axis[1])
    else:
        fig.update_layout(scene=dict(xaxis_title=axis[0], yaxis_title=axis[1], zaxis_title=axis[2]))
    fig.update_layout(showlegend=False, height=450, margin=dict(t=20, b=20))
    return fig


# --- gradient flow -----------------------------------------------------------------------------

def gradient_flow_figure(flows: Mapping[str, np.ndarray]) -> go.Figure:
    """Side-by-side heatmaps of log10 ||dL_t/dh_k|| (rows t, columns k), one per model name,
    on one shared colour scale. NaN (k > t) stays blank."""
    names = list(flows)
    if not names:
        raise ValueError("need at least one gradient-flow matrix")
    logs = {}
    with np.errstate(divide="ignore"):
        for name in names:
            logs[name] = _f32(np.log10(np.asarray(flows[name], np.float64)))
    finite = np.concatenate([z[np.isfinite(z)] for z in logs.values()])
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[n.upper() for n in names], shared_yaxes=True)
    for i, name in enumerate(names):
        z = logs[name]
        z[np.isneginf(z)] = np.float32(lo)
        fig.add_trace(go.Heatmap(z=z, coloraxis="coloraxis", name=name,
                                 hovertemplate="t=%{y}, k=%{x}<br>log10 ||dL_t/dh_k|| = %{z:.2f}<extra></extra>"),
                      row=1, col=i + 1)
        fig.update_xaxes(title_text="k (state)", row=1, col=i + 1)
    fig.update_yaxes(title_text="t (loss)", autorange="reversed", row=1, col=1)
    fig.update_layout(coloraxis=dict(colorscale=SEQUENTIAL, cmin=lo, cmax=hi,
                                     colorbar=dict(title=dict(text="log10 norm"))),
                      height=360, margin=dict(t=40, b=40))
    return fig


def gradient_decay_figure(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], *, relative: bool = True) -> go.Figure:
    """Mean gradient norm against distance t - k, one line per model (log scale)."""
    fig = go.Figure()
    for name, (distance, value) in curves.items():
        fig.add_trace(go.Scatter(x=np.asarray(distance, np.int32), y=_f32(value), mode="lines+markers", name=name.upper()))
    fig.update_layout(xaxis_title="distance t - k (steps)",
                      yaxis_title="||dL_t/dh_k|| / ||dL_t/dh_t||" if relative else "||dL_t/dh_k||",
                      yaxis_type="log", height=320, margin=dict(t=20))
    return fig


# --- what changed ------------------------------------------------------------------------------

def what_changed_figure(delta: np.ndarray, step: int, *, text: str | None = None) -> go.Figure:
    """Heatmap of |delta h| (rows units, columns time) with a line at the changed step."""
    d = _f32(delta)
    T, H = d.shape
    fig = go.Figure(go.Heatmap(z=np.ascontiguousarray(d.T), colorscale=MAGMA, colorbar=dict(title=dict(text="|Δh|")),
                               hovertemplate="unit %{y}, t=%{x}<br>|Δh| = %{z:.4f}<extra></extra>"))
    fig.add_vline(x=step, line_color="cyan", line_dash="dot")
    if text is not None:
        if len(text) != T:
            raise ValueError(f"text must have {T} characters")
        fig.update_xaxes(tickmode="array", tickvals=np.arange(T), ticktext=display_chars(text))
    fig.update_layout(xaxis_title="time step", yaxis_title="unit", height=max(220, 8 * H + 80), margin=dict(t=20))
    return fig


def memory_span_figure(spans: Mapping[str, np.ndarray], censored: Mapping[str, np.ndarray] | None = None) -> go.Figure:
    """Per unit, steps until |delta h| falls below eps for good; one bar group per model.
    Censored units (still above eps at the end) are hatched: their span is a lower bound."""
    fig = go.Figure()
    for name, s in spans.items():
        s = _f32(s)
        cens = np.zeros(s.size, bool) if censored is None else np.asarray(censored[name], bool)
        fig.add_trace(go.Bar(x=np.arange(s.size, dtype=np.int32), y=s, name=name.upper(),
                             marker_pattern_shape=np.where(cens, "/", ""),
                             hovertemplate="unit %{x}: %{y} steps<extra>" + name.upper() + "</extra>"))
    fig.update_layout(barmode="group", xaxis_title="unit", yaxis_title="steps until |Δh| < ε",
                      height=300, margin=dict(t=20))
    return fig


# --- samples with top-k guesses ----------------------------------------------------------------

def guesses_figure(
    text: str, top_ids: np.ndarray, top_probs: np.ndarray, vocab_chars: Sequence[str], *, start: int = 0, count: int = 80
) -> go.Figure:
    """Columns are characters of ``text`` (the x tick labels); the k rows under each show the
    model's top-k guesses for it (letters) coloured by their probability.

    Shows ``count`` characters from ``start`` (long samples scroll by window).
    """
    ids = np.asarray(top_ids)
    probs = _f32(top_probs)
    if ids.shape != probs.shape or ids.shape[0] != len(text):
        raise ValueError("top_ids and top_probs must both be (len(text), k)")
    stop = min(len(text), start + count)
    window = slice(start, stop)
    labels = np.array(display_chars(vocab_chars), dtype=object)[ids[window]]  # (n, k)
    k = ids.shape[1]
    fig = go.Figure(go.Heatmap(
        z=np.ascontiguousarray(probs[window].T), text=labels.T, texttemplate="%{text}",
        x=np.arange(start, stop, dtype=np.int32), y=np.arange(1, k + 1, dtype=np.int32),
        colorscale="Blues", zmin=0.0, zmax=1.0, xgap=1, ygap=1,
        hovertemplate="position %{x}, guess #%{y}: %{text}<br>p = %{z:.3f}<extra></extra>",
        colorbar=dict(title=dict(text="p")),
    ))
    fig.update_xaxes(side="top", tickmode="array", tickvals=np.arange(start, stop),
                     ticktext=display_chars(text[window]), tickfont=dict(size=14))
    fig.update_yaxes(autorange="reversed", title="guess rank")
    fig.update_layout(height=90 + 34 * k, margin=dict(t=40, b=10))
    return fig
