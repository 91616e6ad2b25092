"""The figures of one time step and the step-independent heatmap above them. No Streamlit.

Step-independent figures (the big heatmap) never take the current step, so moving through time
does not change - and does not re-send - them; the step is drawn by small figures.
"""
from __future__ import annotations

import numpy as np

from .style import ACCENT, DIVERGING, FONT, MARGIN, MAX_TICK_LABELS, MUTED, NEGATIVE, TRUE_COLOR, colorscale, f32, \
    spec, time_axis, heading, value_range

MAX_CLICK_CELLS = 20_000  # above this, the click overlay would be heavier than the heatmap
MAX_BARS = 64  # more units than this are drawn as one filled line: hundreds of SVG bars redraw slowly


def units_heatmap(
    values: np.ndarray,
    step_labels: list[str],
    *,
    title: str,
    kind: str = "tanh",
    clickable: bool = True,
    colorbar_title: str = "h",
    height: int | None = None,
) -> dict:
    """Units x time heatmap of a ``(T, H)`` array, with an invisible click target per cell."""
    T, H = values.shape
    zmin, zmax = value_range(values, kind)
    z = f32(values.T)
    heat = dict(
        type="heatmap", z=z, zmin=zmin, zmax=zmax,
        colorscale=colorscale(kind),
        colorbar=dict(title=dict(text=colorbar_title), thickness=14, x=1.01, xanchor="left"),
        hovertemplate="step %{x}, unit %{y}: %{z:.4f}<extra></extra>",
    )
    data = [heat]
    if clickable and T * H <= MAX_CLICK_CELLS:
        t, u = np.meshgrid(np.arange(T, dtype=np.int32), np.arange(H, dtype=np.int32))
        data.append(dict(
            type="scatter", x=t.ravel(), y=u.ravel(), customdata=z.ravel(), mode="markers", name="cells",
            marker=dict(size=max(4, min(24, 420 // max(H, 1))), color="rgba(0,0,0,0.005)", symbol="square"),
            hovertemplate="step %{x}, unit %{y}: %{customdata:.4f}<br>click to explain<extra></extra>",
            showlegend=False,
        ))
        heat["hoverinfo"] = "skip"
    layout = dict(
        title=heading(title), margin=MARGIN, font=FONT, height=height or max(260, min(620, 120 + 18 * H)),
        clickmode="event+select", dragmode=False, plot_bgcolor="white",
        xaxis=time_axis(step_labels, title=dict(text="time step (input read)", standoff=12)),
        yaxis=dict(title=dict(text="unit"), range=[-0.5, H - 0.5], autorange=False),
    )
    return spec(data, layout)


def time_strip(step_labels: list[str], step: int, *, next_label: str | None = None) -> dict:
    """The input sequence with the current step highlighted: the heatmap's step marker, drawn apart."""
    T = len(step_labels)
    data = []
    if T <= MAX_TICK_LABELS:
        data.append(dict(
            type="scatter", x=np.arange(T, dtype=np.int32), y=np.full(T, 0.5, np.float32), mode="text",
            text=list(step_labels), textfont=dict(size=20, color=[ACCENT if t == step else "#333" for t in range(T)]),
            hoverinfo="skip", showlegend=False, name="input",
        ))
    text = f"step {step}: reading <b>{step_labels[step]}</b>"
    if next_label is not None:
        text += f" · true next: <b>{next_label}</b>"
    layout = dict(
        height=92, margin=dict(MARGIN, t=30, b=4), font=FONT, plot_bgcolor="white",
        title=dict(heading(text), font=dict(size=16)),
        shapes=[dict(type="rect", x0=step - 0.5, x1=step + 0.5, y0=0, y1=1, fillcolor=ACCENT, opacity=0.25, line_width=0)],
        xaxis=dict(range=[-0.5, T - 0.5], showticklabels=False, showgrid=False, zeroline=False, fixedrange=True),
        yaxis=dict(range=[0, 1], visible=False, fixedrange=True),
    )
    return spec(data, layout)


def state_bars(h_t: np.ndarray, h_prev: np.ndarray, *, unit: int, kind: str = "tanh", symbol: str = "h",
               change_label: str | None = None) -> dict:
    """h_t per unit (top) and its change from the state the step started from (bottom); the chosen
    unit outlined. ``change_label``: the bottom title (``app.prose.change_label``: the reverse
    direction starts from h_(t+1)); default "change from h_(t-1)"."""
    H = h_t.shape[0]
    units = np.arange(H, dtype=np.int32)
    outline = dict(width=np.where(units == unit, 3, 0).astype(np.float32), color="black")
    delta = f32(h_t - h_prev)
    lo, hi = value_range(h_t, kind)
    if H <= MAX_BARS:
        data = [
            dict(type="bar", x=units, y=f32(h_t), name=f"{symbol}_t", xaxis="x", yaxis="y",
                 marker=dict(color=f32(h_t), colorscale=DIVERGING, cmin=-1, cmax=1, line=outline),
                 hovertemplate="unit %{x}: %{y:.4f}<extra></extra>"),
            dict(type="bar", x=units, y=delta, name="change", xaxis="x2", yaxis="y2",
                 marker=dict(color=np.where(delta >= 0, ACCENT, NEGATIVE).tolist(), line=outline),
                 hovertemplate="unit %{x}: %{y:+.4f}<extra></extra>"),
        ]
    else:
        data = [
            dict(type="scatter", mode="lines", fill="tozeroy", line=dict(shape="hvh", width=1, color="#555"),
                 x=units, y=f32(h_t), name=f"{symbol}_t", xaxis="x", yaxis="y",
                 hovertemplate="unit %{x}: %{y:.4f}<extra></extra>"),
            dict(type="scatter", mode="lines", fill="tozeroy", line=dict(shape="hvh", width=1, color=ACCENT),
                 x=units, y=delta, name="change", xaxis="x2", yaxis="y2",
                 hovertemplate="unit %{x}: %{y:+.4f}<extra></extra>"),
            dict(type="scatter", mode="markers", x=np.array([unit], np.int32), y=f32(h_t[unit:unit + 1]), name="unit",
                 marker=dict(size=10, color="black", symbol="diamond"), xaxis="x", yaxis="y",
                 hovertemplate="chosen unit %{x}: %{y:.4f}<extra></extra>"),
        ]
    layout = dict(
        height=400, margin=dict(l=56, r=16, t=40, b=40), font=FONT, showlegend=False, bargap=0.15, plot_bgcolor="white",
        xaxis=dict(anchor="y", domain=[0, 1], matches="x2", showticklabels=False),
        yaxis=dict(domain=[0.56, 1], range=[lo, hi]),
        xaxis2=dict(anchor="y2", domain=[0, 1], title=dict(text="unit")),
        yaxis2=dict(domain=[0, 0.44], range=[-2.0, 2.0] if kind == "tanh" else None),
        annotations=[
            dict(text=f"{symbol}_t, unit by unit", x=0.5, y=1.0, xref="paper", yref="paper", xanchor="center",
                 yanchor="bottom", showarrow=False, font=dict(size=15)),
            dict(text=change_label or f"change from {symbol}_(t-1)", x=0.5, y=0.44, xref="paper", yref="paper", xanchor="center",
                 yanchor="bottom", showarrow=False, font=dict(size=15)),
        ],
    )
    if layout["yaxis2"]["range"] is None:
        del layout["yaxis2"]["range"]
    return spec(data, layout)


def softmax_bars(probs: np.ndarray, labels: list[str], *, topk: int, true_next: int | None,
                 axis_title: str = "output class") -> dict:
    """Softmax probabilities: top-k in colour; ``true_next`` (only for a next-token model, see
    ``app.prose.output_meaning``) outlined and labelled; ``axis_title``: what the categories are."""
    O = probs.shape[0]
    top = set(np.argsort(-probs, kind="stable")[:topk].tolist())
    widths = np.zeros(O, np.float32)
    annotations = []
    if true_next is not None and 0 <= true_next < O:
        widths[true_next] = 4
        annotations.append(dict(x=labels[true_next], y=float(probs[true_next]), text="true next", showarrow=True,
                                arrowhead=2, ay=-42, font=dict(color=TRUE_COLOR, size=14), yshift=18))
    bar = dict(
        type="bar", name="softmax", x=list(labels), y=f32(probs), cliponaxis=False, textposition="outside",
        marker=dict(color=[ACCENT if i in top else MUTED for i in range(O)], line=dict(width=widths, color=TRUE_COLOR)),
        hovertemplate="%{x}: %{y:.4f}<extra></extra>", text=[f"{p:.2f}" if i in top else "" for i, p in enumerate(probs)],
    )
    layout = dict(
        height=400, margin=dict(l=56, r=16, t=40, b=40), font=FONT, plot_bgcolor="white",
        title=heading(f"softmax: top-{topk} guesses in red"), annotations=annotations,
        yaxis=dict(range=[0, 1.08], title=dict(text="probability")),
        xaxis=dict(type="category", title=dict(text=axis_title)),
    )
    return spec([bar], layout)


def combine(parts: list[tuple[dict, tuple[float, float], tuple[float, float]]], *, height: int, margin: dict) -> dict:
    """Several specs as one figure, each placed in a paper-coordinate box ``(x0, x1), (y0, y1)``.

    One chart instead of several matters in the browser: every changed chart is drawn anew.
    Axes are renumbered; paper-referenced annotations and titles move into their box.
    """
    data, layout, annotations, shapes = [], dict(height=height, margin=margin, font=FONT, showlegend=False,
                                                 plot_bgcolor="white", bargap=0.15), [], []
    n_axes = 0
    for part, (x0, x1), (y0, y1) in parts:
        sub = part["layout"]
        names = sorted({k[5:] for k in sub if k.startswith(("xaxis", "yaxis"))} | {""})
        mapping = {}
        for suffix in names:
            n_axes += 1
            mapping[suffix] = "" if n_axes == 1 else str(n_axes)
        def ref(axis_ref: str, letter: str) -> str:
            old = axis_ref[1:] if axis_ref and axis_ref != "paper" else ""
            return letter + mapping.get(old, old)
        for suffix, new in mapping.items():
            for letter, (lo, hi) in (("x", (x0, x1)), ("y", (y0, y1))):
                axis = dict(sub.get(f"{letter}axis{suffix}", {}))
                d0, d1 = axis.get("domain", [0, 1])
                axis["domain"] = [lo + (hi - lo) * d0, lo + (hi - lo) * d1]
                other = "y" if letter == "x" else "x"
                axis["anchor"] = other + new
                if "matches" in axis:
                    axis["matches"] = ref(axis["matches"], letter)
                layout[f"{letter}axis{new}"] = axis
        for trace in part["data"]:
            trace = dict(trace)
            trace["xaxis"] = ref(trace.get("xaxis", "x"), "x")
            trace["yaxis"] = ref(trace.get("yaxis", "y"), "y")
            data.append(trace)
        for note in sub.get("annotations", []):
            note = dict(note)
            for letter, (lo, hi) in (("x", (x0, x1)), ("y", (y0, y1))):
                key = f"{letter}ref"
                if note.get(key) == "paper":
                    note[letter] = lo + (hi - lo) * note[letter]
                else:
                    note[key] = ref(note.get(key, letter), letter)
            annotations.append(note)
        for shape in sub.get("shapes", []):
            shape = dict(shape)
            shape["xref"] = ref(shape.get("xref", "x"), "x")
            shape["yref"] = ref(shape.get("yref", "y"), "y")
            shapes.append(shape)
        if "title" in sub:
            title = sub["title"]
            annotations.append(dict(text=title["text"], x=x0, y=y1, xref="paper", yref="paper", xanchor="left",
                                    yanchor="bottom", yshift=6, showarrow=False, font=title.get("font", dict(size=16))))
    layout.update(annotations=annotations, shapes=shapes)
    return dict(data=data, layout=layout)


def step_figure(strip: dict, bars: dict, softmax: dict | None) -> dict:
    """The views of one step in a single chart: the time strip on top (aligned with the heatmap
    above it), h_t bars and their change bottom left, the softmax bars bottom right."""
    parts = [(strip, (0.0, 1.0), (0.84, 1.0)), (bars, (0.0, 0.46 if softmax else 1.0), (0.0, 0.68))]
    if softmax:
        parts.append((softmax, (0.56, 1.0), (0.0, 0.68)))
    return combine(parts, height=560, margin=dict(MARGIN, t=40, b=48))
