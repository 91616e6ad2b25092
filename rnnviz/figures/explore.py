"""Figures for training and exploration: loss curve, neurons over text, PCA trajectory, gradient
flow, "what changed", samples with their top-k guesses. No Streamlit.

Each builder takes plain arrays (from ``train`` / ``analysis``) and returns a figure spec (see
style.py). User text is never rendered as HTML: every label holds exactly **one** character
(``display_char``), which cannot form Plotly's pseudo-HTML.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from .style import DIVERGING, FONT, MAGMA, SEQUENTIAL, display_chars, f32, f32_gaps, spec

GRID = "#e6e9ef"
_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")  # one colour per model, in order


def _layout(height: int, margin: dict | None = None, **extra) -> dict:
    base = dict(height=height, font=FONT, plot_bgcolor="white", showlegend=False,
                margin=dict(l=64, r=24, t=20, b=48) | (margin or {}),
                xaxis=dict(gridcolor=GRID, zeroline=False), yaxis=dict(gridcolor=GRID, zeroline=False))
    for key, value in extra.items():
        base[key] = base[key] | value if isinstance(base.get(key), dict) and isinstance(value, dict) else value
    return base


def _titled(text: str) -> dict:
    return dict(title=dict(text=text))


# --- training ----------------------------------------------------------------------------------

def loss_figure(losses: np.ndarray, *, baseline: float | None = None, unit: str = "bits") -> dict:
    """Training loss per step in bits per character (``unit="bits"``) or nats.

    ``losses`` are nats per character (``Trainer.losses``); ``baseline`` (nats, e.g. the
    unigram entropy) is drawn as a dashed line.
    """
    if unit not in ("bits", "nats"):
        raise ValueError("unit must be 'bits' or 'nats'")
    scale = 1.0 / math.log(2.0) if unit == "bits" else 1.0
    y = f32_gaps(losses) * np.float32(scale)
    steps = np.arange(1, y.size + 1, dtype=np.int32)
    label = "bits per character" if unit == "bits" else "loss (nats per character)"
    data = [dict(type="scatter", x=steps, y=y, mode="lines", name="training loss", line=dict(color=_PALETTE[0]),
                 hovertemplate="step %{x}<br>%{y:.3f} " + unit + "/char<extra></extra>")]
    shapes, notes = [], []
    if baseline is not None:
        level = float(baseline * scale)
        shapes.append(dict(type="line", xref="paper", x0=0, x1=1, y0=level, y1=level,
                           line=dict(color="gray", dash="dash")))
        notes.append(dict(text="unigram baseline", xref="paper", x=1, y=level, xanchor="right", yanchor="bottom",
                          showarrow=False))
    return spec(data, _layout(320, margin=dict(t=30), shapes=shapes, annotations=notes,
                              xaxis=_titled("training step"), yaxis=_titled(label)))


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
) -> dict:
    """Each character of ``text`` in a grid cell coloured by ``values`` (one per character).

    ``symmetric``: a diverging colour scale centred on 0 (tanh units); otherwise sequential from
    0 to the largest value (ReLU units, never negative), as the state heatmaps draw them.
    Empty cells after the text are NaN (not drawn).
    """
    v = f32_gaps(values).reshape(-1)
    if v.size != len(text):
        raise ValueError(f"need one value per character: {len(text)} characters, {v.size} values")
    rows, chars, pos = text_grid(text, columns)
    z = np.full(rows * columns, np.nan, np.float32)
    z[: v.size] = v
    z = z.reshape(rows, columns)
    finite = np.abs(v[np.isfinite(v)])
    bound = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    colour = (dict(colorscale=DIVERGING, zmid=0.0, zmin=-bound, zmax=bound) if symmetric
              else dict(colorscale=SEQUENTIAL, zmin=0.0, zmax=bound))
    heat = dict(type="heatmap", z=z, text=chars.tolist(), texttemplate="%{text}", customdata=pos, xgap=1, ygap=1,
                hovertemplate="char %{customdata}: %{text}<br>" + label + " %{z:.3f}<extra></extra>",
                colorbar=dict(title=dict(text=label)), **colour)
    return spec([heat], _layout(max(160, 28 * rows + 60), margin=dict(t=20, b=20, l=20, r=20),
                                xaxis=dict(showticklabels=False, showgrid=False),
                                yaxis=dict(autorange="reversed", showticklabels=False, showgrid=False)))


def unit_ranking_figure(r: np.ndarray, order: np.ndarray, *, top: int = 20, feature: str = "feature") -> dict:
    """Bars of the correlation r of the ``top`` units in ``order`` (from ``analysis.rank_units``)."""
    units = np.asarray(order)[:top].astype(np.int32)
    bars = dict(type="bar", x=np.arange(units.size, dtype=np.int32), y=f32(np.asarray(r)[units]), customdata=units,
                marker=dict(color=_PALETTE[0]), hovertemplate="unit %{customdata}: r = %{y:.3f}<extra></extra>")
    return spec([bars], _layout(300, xaxis=dict(tickmode="array", tickvals=np.arange(units.size, dtype=np.int32),
                                                ticktext=[str(u) for u in units], title=dict(text="unit")),
                                yaxis=dict(range=[-1, 1], title=dict(text=f"correlation with {feature}"))))


# --- hidden-state trajectory -------------------------------------------------------------------

def trajectory_figure(
    coords: np.ndarray, text: str, *, step: int | None = None, explained: np.ndarray | None = None
) -> dict:
    """PCA path of h_t in 2-D or 3-D (``coords (T, 2|3)``), each point labelled by its
    character and coloured by time; ``step`` gets a large marker (trace 1)."""
    c = f32(coords)
    if c.ndim != 2 or c.shape[1] not in (2, 3) or c.shape[0] != len(text):
        raise ValueError(f"coords must be (T, 2) or (T, 3) with T = {len(text)}, got {c.shape}")
    three = c.shape[1] == 3
    time = np.arange(c.shape[0], dtype=np.float32)
    axis = [f"PC{i + 1}" + (f" ({explained[i]:.0%})" if explained is not None else "") for i in range(c.shape[1])]
    coords_of = lambda rows: {a: c[rows, i] for i, a in enumerate("xyz"[: c.shape[1]])}  # noqa: E731
    path = dict(type="scatter3d" if three else "scatter", **coords_of(slice(None)), text=display_chars(text),
                customdata=time.astype(np.int32), mode="lines+markers+text", name="h_t",
                hovertemplate="t=%{customdata}: %{text}<extra></extra>", textposition="top center",
                marker=dict(color=time, colorscale=SEQUENTIAL, size=3 if three else 7), line=dict(color="lightgray"))
    data = [path]
    if step is not None:
        if not 0 <= step < c.shape[0]:
            raise ValueError(f"step must be in [0, {c.shape[0] - 1}]")
        data.append(dict(type=path["type"], **coords_of(slice(step, step + 1)), mode="markers", name=f"t = {step}",
                         hoverinfo="skip", marker=dict(color="red", size=8 if three else 14, symbol="circle-open")))
    if three:
        layout = _layout(450, margin=dict(t=20, b=20),
                         scene=dict(xaxis=_titled(axis[0]), yaxis=_titled(axis[1]), zaxis=_titled(axis[2])))
    else:
        layout = _layout(450, margin=dict(t=20, b=20), xaxis=_titled(axis[0]), yaxis=_titled(axis[1]))
    return spec(data, layout)


# --- gradient flow -----------------------------------------------------------------------------

def gradient_flow_figure(flows: Mapping[str, np.ndarray]) -> dict:
    """Side-by-side heatmaps of log10 ||dL_t/dh_k|| (rows t, columns k), one per model, titled
    with its name as given, on one shared colour scale. NaN (k > t) stays blank."""
    names = list(flows)
    if not names:
        raise ValueError("need at least one gradient-flow matrix")
    with np.errstate(divide="ignore"):
        logs = {name: np.log10(np.asarray(flows[name], np.float64)) for name in names}
    # the colour range spans the finite values; a zero gradient (log10 = -inf) is drawn at its bottom
    # (replaced before the float32 conversion, which would saturate it to -3.4e38 and flatten the scale)
    finite = np.concatenate([z[np.isfinite(z)] for z in logs.values()])
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    n, gap = len(names), 0.04
    width = (1 - gap * (n - 1)) / n
    data, notes, layout = [], [], _layout(360, margin=dict(t=40, b=40))
    for i, name in enumerate(names):
        z = logs[name]
        z[np.isneginf(z)] = lo
        z = f32_gaps(z)
        suffix = "" if i == 0 else str(i + 1)
        data.append(dict(type="heatmap", z=z, coloraxis="coloraxis", name=name, xaxis=f"x{suffix}", yaxis=f"y{suffix}",
                         hovertemplate="t=%{y}, k=%{x}<br>log10 ||dL_t/dh_k|| = %{z:.2f}<extra></extra>"))
        x0 = i * (width + gap)
        layout[f"xaxis{suffix}"] = dict(domain=[x0, x0 + width], anchor=f"y{suffix}", title=dict(text="k (state)"),
                                        showgrid=False)
        layout[f"yaxis{suffix}"] = dict(anchor=f"x{suffix}", autorange="reversed", showgrid=False,
                                        **(dict(title=dict(text="t (loss)")) if i == 0 else dict(matches="y",
                                                                                              showticklabels=False)))
        notes.append(dict(text=name, x=x0 + width / 2, y=1.0, xref="paper", yref="paper", xanchor="center",
                          yanchor="bottom", showarrow=False))
    layout.update(annotations=notes, coloraxis=dict(colorscale=SEQUENTIAL, cmin=lo, cmax=hi,
                                                    colorbar=dict(title=dict(text="log10 norm"))))
    return spec(data, layout)


def gradient_decay_figure(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], *, relative: bool = True,
                          mark: int | None = None) -> dict:
    """Mean gradient norm against distance t - k, one line per model, named as given (log scale);
    ``mark``: a dotted vertical line at that distance (where the page's sentence compares)."""
    data = [dict(type="scatter", x=np.asarray(distance, np.int32), y=f32_gaps(value), mode="lines+markers",
                 name=name, line=dict(color=_PALETTE[i % len(_PALETTE)]))
            for i, (name, (distance, value)) in enumerate(curves.items())]
    ytitle = "||dL_t/dh_k|| / ||dL_t/dh_t||" if relative else "||dL_t/dh_k||"
    # legend above the plot: panel names ("brackets-rnn before training") would squeeze it from the side
    layout = _layout(360, margin=dict(t=48, l=88), showlegend=True, xaxis=_titled("distance t - k (steps)"),
                     yaxis=dict(type="log", exponentformat="power", title=dict(text=ytitle)),
                     legend=dict(orientation="h", x=0, xanchor="left", y=1.02, yanchor="bottom"))
    if mark is not None:
        layout["shapes"] = [dict(type="line", xref="x", yref="paper", x0=mark, x1=mark, y0=0, y1=1,
                                 line=dict(color="#555", width=1, dash="dot"))]
    return spec(data, layout)


# --- what changed ------------------------------------------------------------------------------

def what_changed_figure(delta: np.ndarray, step: int, *, text: str | None = None) -> dict:
    """Heatmap of |delta h| (rows units, columns time) with a line at the changed step."""
    d = f32(delta)
    T, H = d.shape
    heat = dict(type="heatmap", z=np.ascontiguousarray(d.T), colorscale=MAGMA, colorbar=dict(title=dict(text="|Δh|")),
                hovertemplate="unit %{y}, t=%{x}<br>|Δh| = %{z:.4f}<extra></extra>")
    xaxis = dict(title=dict(text="time step"), showgrid=False)
    if text is not None:
        if len(text) != T:
            raise ValueError(f"text must have {T} characters")
        xaxis.update(tickmode="array", tickvals=np.arange(T, dtype=np.int32), ticktext=display_chars(text))
    line = dict(type="line", xref="x", yref="paper", x0=step, x1=step, y0=0, y1=1, line=dict(color="cyan", dash="dot"))
    return spec([heat], _layout(max(220, 8 * H + 80), shapes=[line], xaxis=xaxis,
                                yaxis=dict(title=dict(text="unit"), showgrid=False)))


def memory_span_figure(spans: Mapping[str, np.ndarray], censored: Mapping[str, np.ndarray] | None = None) -> dict:
    """Per unit, steps until |delta h| falls below eps for good; one bar group per model.
    Censored units (still above eps at the end) are hatched: their span is a lower bound."""
    data = []
    for i, (name, s) in enumerate(spans.items()):
        s = f32(s)
        cens = np.zeros(s.size, bool) if censored is None else np.asarray(censored[name], bool)
        data.append(dict(type="bar", x=np.arange(s.size, dtype=np.int32), y=s, name=name.upper(),
                         marker=dict(color=_PALETTE[i % len(_PALETTE)], pattern=dict(shape=np.where(cens, "/", "").tolist())),
                         hovertemplate="unit %{x}: %{y} steps<extra>" + name.upper() + "</extra>"))
    return spec(data, _layout(300, barmode="group", showlegend=True, xaxis=_titled("unit"),
                              yaxis=_titled("steps until |Δh| < ε")))


# --- samples with top-k guesses ----------------------------------------------------------------

def guesses_figure(
    text: str, top_ids: np.ndarray, top_probs: np.ndarray, vocab_chars: Sequence[str], *, start: int = 0, count: int = 80
) -> dict:
    """Columns are characters of ``text`` (the x tick labels); the k rows under each show the
    model's top-k guesses for it (letters) coloured by their probability.

    Shows ``count`` characters from ``start`` (long samples scroll by window).
    """
    ids = np.asarray(top_ids)
    probs = f32(top_probs)
    if ids.shape != probs.shape or ids.shape[0] != len(text):
        raise ValueError("top_ids and top_probs must both be (len(text), k)")
    stop = min(len(text), start + count)
    window = slice(start, stop)
    labels = np.array(display_chars(vocab_chars), dtype=object)[ids[window]]  # (n, k)
    k = ids.shape[1]
    heat = dict(type="heatmap", z=np.ascontiguousarray(probs[window].T), text=labels.T.tolist(), texttemplate="%{text}",
                x=np.arange(start, stop, dtype=np.int32), y=np.arange(1, k + 1, dtype=np.int32),
                colorscale="Blues", zmin=0.0, zmax=1.0, xgap=1, ygap=1, colorbar=dict(title=dict(text="p")),
                hovertemplate="position %{x}, guess #%{y}: %{text}<br>p = %{z:.3f}<extra></extra>")
    xaxis = dict(side="top", tickmode="array", tickvals=np.arange(start, stop, dtype=np.int32),
                 ticktext=display_chars(text[window]), tickfont=dict(size=14), showgrid=False)
    return spec([heat], _layout(90 + 34 * k, margin=dict(t=40, b=10), xaxis=xaxis,
                                yaxis=dict(autorange="reversed", title=dict(text="guess rank"), showgrid=False)))
