"""Plotly figure builders: arrays in, a Plotly figure out. No Streamlit here.

Each builder returns the figure in Plotly's JSON form (a dict of ``data`` and ``layout``):
building ``go.Figure`` objects validates every property and costs 20-40 ms per chart here,
which alone would exceed the app's 15 ms budget for a time-step change. ``to_figure(spec)``
turns any spec into a validated ``go.Figure`` (the tests do this for every builder).

Arrays go to Plotly as float32 (sent as compact base64 typed arrays, never ``.tolist()``).
Step-independent figures (the big heatmaps) never take the current step, so moving through
time does not change - and does not re-send - them; the step is drawn by small figures.
"""
from __future__ import annotations

import base64

import numpy as np

DIVERGING = "RdBu_r"  # blue < 0 < red
SEQUENTIAL = "Viridis"
ACCENT, MUTED, TRUE_COLOR = "#d62728", "#9aa5b1", "#2ca02c"
MARGIN = dict(l=64, r=88, t=48, b=64)  # equal margins keep the heatmap and the time strip aligned
MAX_TICK_LABELS = 60
MAX_CLICK_CELLS = 20_000  # above this, the click overlay would be heavier than the heatmap
MAX_ANNOTATED = 120  # matrices this small get their numbers written in
MAX_BARS = 64  # more units than this are drawn as one filled line: hundreds of SVG bars redraw slowly
FONT = dict(size=15, family="Source Sans Pro, Source Sans 3, sans-serif", color="#31333f")  # Streamlit's look


def to_figure(spec: dict):
    """A validated ``plotly.graph_objects.Figure`` (raises on any property Plotly does not know)."""
    import plotly.graph_objects as go  # only here: importing it costs the page's first run ~1 s

    return go.Figure(spec)


_TYPED = {"float32": "f4", "float64": "f8", "int8": "i1", "int16": "i2", "int32": "i4", "uint8": "u1"}


def typed_array(a: np.ndarray) -> dict:
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
    if isinstance(obj, list):
        return [_encode(v) for v in obj]
    return obj


def _spec(data: list[dict], layout: dict) -> dict:
    """A figure spec with every NumPy array as a base64 typed array."""
    return _encode(dict(data=data, layout=layout))


F32_MAX = float(np.finfo(np.float32).max)


def f32(a: np.ndarray) -> np.ndarray:
    """Chart data as float32, saturated: values beyond float32 (or inf) at +-F32_MAX, NaN at 0,
    so that a chart never holds inf/NaN (the page states the overflow, see ``build.overflow_note``)."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.ascontiguousarray(a, dtype=np.float32)
    if not np.isfinite(out).all():
        out = np.nan_to_num(out, nan=0.0, posinf=F32_MAX, neginf=-F32_MAX)
    return out


def value_range(values: np.ndarray, kind: str) -> tuple[float, float]:
    """Colour range: fixed [-1, 1] for tanh, [0, 1] for sigmoid gates, symmetric or [0, max] otherwise."""
    if kind == "tanh":
        return -1.0, 1.0
    if kind == "sigmoid":
        return 0.0, 1.0
    peak = float(np.max(np.abs(f32(values)))) if values.size else 1.0
    peak = peak or 1.0
    return (0.0, peak) if kind == "relu" else (-peak, peak)


def _time_axis(labels: list[str], **extra) -> dict:
    T = len(labels)
    axis = dict(range=[-0.5, T - 0.5], **extra)
    if T <= MAX_TICK_LABELS:
        axis.update(tickmode="array", tickvals=np.arange(T, dtype=np.int32), ticktext=list(labels))
    return axis


def _title(text: str) -> dict:
    return dict(text=f"<b>{text}</b>", x=0, xref="paper", xanchor="left", font=dict(size=18))


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
        colorscale=SEQUENTIAL if kind in ("sigmoid", "relu") else DIVERGING,
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
        title=_title(title), margin=MARGIN, font=FONT, height=height or max(260, min(620, 120 + 18 * H)),
        clickmode="event+select", dragmode=False, plot_bgcolor="white",
        xaxis=_time_axis(step_labels, title=dict(text="time step (input read)", standoff=12)),
        yaxis=dict(title=dict(text="unit"), range=[-0.5, H - 0.5], autorange=False),
    )
    return _spec(data, layout)


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
        title=dict(_title(text), font=dict(size=16)),
        shapes=[dict(type="rect", x0=step - 0.5, x1=step + 0.5, y0=0, y1=1, fillcolor=ACCENT, opacity=0.25, line_width=0)],
        xaxis=dict(range=[-0.5, T - 0.5], showticklabels=False, showgrid=False, zeroline=False, fixedrange=True),
        yaxis=dict(range=[0, 1], visible=False, fixedrange=True),
    )
    return _spec(data, layout)


def state_bars(h_t: np.ndarray, h_prev: np.ndarray, *, unit: int, kind: str = "tanh", symbol: str = "h") -> dict:
    """h_t per unit (top) and its change from h_{t-1} (bottom); the chosen unit outlined."""
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
                 marker=dict(color=np.where(delta >= 0, ACCENT, "#1f77b4").tolist(), line=outline),
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
            dict(text=f"change from {symbol}_(t-1)", x=0.5, y=0.44, xref="paper", yref="paper", xanchor="center",
                 yanchor="bottom", showarrow=False, font=dict(size=15)),
        ],
    )
    if layout["yaxis2"]["range"] is None:
        del layout["yaxis2"]["range"]
    return _spec(data, layout)


def softmax_bars(probs: np.ndarray, labels: list[str], *, topk: int, true_next: int | None) -> dict:
    """Next-token probabilities: top-k in colour, the true next token outlined and labelled."""
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
        title=_title(f"softmax: top-{topk} guesses in red"), annotations=annotations,
        yaxis=dict(range=[0, 1.08], title=dict(text="probability")),
        xaxis=dict(type="category", title=dict(text="next token")),
    )
    return _spec([bar], layout)


def gates_figure(gates: dict[str, tuple[np.ndarray, str]], step_labels: list[str], *, title: str) -> dict:
    """One heatmap per gate / state: ``{name: ((T, H) values, kind)}``, stacked on a shared time axis.

    ``kind`` is "sigmoid" ([0, 1]), "tanh" ([-1, 1]) or "free" (symmetric around 0).
    """
    n = len(gates)
    gap = 0.06
    height = (1 - gap * (n - 1)) / n
    data, annotations, layout = [], [], {}
    for k, (name, (values, kind)) in enumerate(gates.items()):
        zmin, zmax = value_range(values, kind)
        suffix = "" if k == 0 else str(k + 1)
        top = 1 - k * (height + gap)
        data.append(dict(
            type="heatmap", z=f32(values.T), zmin=zmin, zmax=zmax, showscale=False, xaxis=f"x{suffix}", yaxis=f"y{suffix}",
            colorscale=SEQUENTIAL if kind == "sigmoid" else DIVERGING,
            hovertemplate=f"{name.split(':')[0]}: step %{{x}}, unit %{{y}}: %{{z:.4f}}<extra></extra>",
        ))
        last = k == n - 1
        layout[f"xaxis{suffix}"] = dict(anchor=f"y{suffix}", matches="x" if k else None, showticklabels=last,
                                        **(_time_axis(step_labels) if last else {}))
        if not k:
            del layout["xaxis"]["matches"]
        layout[f"yaxis{suffix}"] = dict(anchor=f"x{suffix}", domain=[max(top - height, 0), top], title=dict(text="unit"))
        annotations.append(dict(text=name, x=0.5, y=top, xref="paper", yref="paper", xanchor="center", yanchor="bottom",
                                showarrow=False, font=dict(size=15)))
    H = next(iter(gates.values()))[0].shape[1]
    layout.update(title=_title(title), annotations=annotations, font=FONT, margin=dict(MARGIN, r=24, t=80),
                  height=min(1600, n * max(150, min(300, 60 + 10 * H)) + 100))
    return _spec(data, layout)


def matrix_heatmap(array: np.ndarray, *, title: str, rows: str, cols: str) -> dict:
    """A weight matrix (or a bias column) as a heatmap on a symmetric colour scale, numbers written in when small."""
    zmin, zmax = value_range(array, "free")
    r, _ = array.shape
    heat = dict(type="heatmap", z=f32(array), zmin=zmin, zmax=zmax, colorscale=DIVERGING, colorbar=dict(thickness=12),
                hovertemplate="[%{y}, %{x}] = %{z:.4f}<extra></extra>")
    if array.size <= MAX_ANNOTATED:
        heat.update(texttemplate="%{z:.2f}", textfont=dict(size=12))
    layout = dict(title=_title(title), height=max(220, min(520, 110 + 14 * r)), margin=dict(l=56, r=16, t=48, b=40),
                  font=FONT, yaxis=dict(title=dict(text=rows), autorange="reversed"), xaxis=dict(title=dict(text=cols)))
    return _spec([heat], layout)


def concat_figure(h_fwd: np.ndarray, h_rev: np.ndarray, step_labels: list[str], *, kind: str = "tanh") -> dict:
    """output[t] = [h_fwd[t]; h_rev[t]]: both halves stacked on the same time axis, as concatenated."""
    H = h_fwd.shape[1]
    fig = units_heatmap(np.concatenate([h_fwd, h_rev], axis=1), step_labels, kind=kind, clickable=False,
                        title="output[t] = [forward h_t ; reverse h_t] (PyTorch's concatenation)", colorbar_title="output")
    fig["data"][0]["colorbar"].update(x=1.0)
    layout = fig["layout"]
    layout["shapes"] = [dict(type="line", xref="paper", x0=0, x1=1, y0=H - 0.5, y1=H - 0.5, line=dict(color="black", width=3))]
    layout["annotations"] = [
        dict(x=1.0, xref="paper", y=y, xanchor="left", text=text, showarrow=False, xshift=86, font=dict(size=13), align="left")
        for y, text in ((H / 2 - 0.5, "forward half<br>(has read x[0..t])"), (H + H / 2 - 0.5, "reverse half<br>(has read x[t..T-1])"))
    ]
    layout["margin"] = dict(MARGIN, r=230)
    layout["yaxis"]["title"] = dict(text="output feature (forward units, then reverse units)")
    return fig


def inputs_heatmap(x: np.ndarray, step_labels: list[str], *, title: str, annotate: bool) -> dict:
    """Dense inputs ``(T, I)`` as features x time; the numbers written in when small."""
    _, I = x.shape
    fig = units_heatmap(x, step_labels, title=title, kind="free", clickable=False, colorbar_title="x",
                        height=max(180, min(400, 100 + 26 * I)))
    if annotate:  # the numbers are written in; a colour bar this short would only be clutter
        fig["data"][0].update(texttemplate="%{z:.3g}", textfont=dict(size=14), showscale=False)
    fig["layout"]["yaxis"]["title"] = dict(text="feature")
    return fig


def combine(parts: list[tuple[dict, tuple[float, float], tuple[float, float]]], *, height: int, margin: dict) -> dict:
    """Several specs as one figure, each placed in a paper-coordinate box ``(x0, x1), (y0, y1)``.

    One chart instead of several matters in the browser: every changed chart is drawn anew.
    Axes are renumbered; paper-referenced annotations and titles move into their box.
    """
    data, layout, annotations, shapes = [], dict(height=height, margin=margin, font=FONT, showlegend=False,
                                                 plot_bgcolor="white", bargap=0.15), [], []
    n_axes = 0
    for spec, (x0, x1), (y0, y1) in parts:
        sub = spec["layout"]
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
        for trace in spec["data"]:
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
