"""One convention for every figure: colours, scales, fonts and the array encoding. No Streamlit.

Every builder in this package returns a figure *spec*: Plotly's JSON form, a dict of ``data``
and ``layout``, with every NumPy array as a base64 typed array (float32: compact, never
``.tolist()``). Building ``go.Figure`` objects would validate every property (20-40 ms a chart
here, too slow for a time-step change or a training tick); ``to_figure(spec)`` does that
validation, and the tests call it on every builder.
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass

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
# Colour-blind safe choices (palette "cb"): ColorBrewer PuOr reversed (plotly.py's "PuOr_r": purple < 0 <
# orange; ColorBrewer marks PuOr safe for the common colour-vision deficiencies, and it avoids red
# against green) and cividis (Nuñez et al. 2018, made for deuteranopia and protanopia; plotly.py's
# "Cividis"). The tests check both against plotly.colors.
PUOR_R = [[i / 10, c] for i, c in enumerate(
    ["#2d004b", "#542788", "#8073ac", "#b2abd2", "#d8daeb", "#f7f7f7", "#fee0b6", "#fdb863", "#e08214", "#b35806",
     "#7f3b08"])]
CIVIDIS = [[i / 9, c] for i, c in enumerate(
    ["#00224e", "#123570", "#3b496c", "#575d6d", "#707173", "#8a8678", "#a59c74", "#c3b369", "#e1cc55", "#fee838"])]
PALETTES = {"default": {"diverging": DIVERGING, "sequential": SEQUENTIAL},
            "cb": {"diverging": PUOR_R, "sequential": CIVIDIS}}
ACCENT, MUTED, TRUE_COLOR, NEGATIVE = "#d62728", "#9aa5b1", "#2ca02c", "#1f77b4"
# The step player's colours with the colour-blind safe palette (Okabe & Ito's set): bars in the
# heatmap's orange / purple, top guesses vermillion, the true next token blue (never red against green).
CB_COLORS = {"accent": "#d55e00", "true": "#0072b2", "pos": "#e08214", "neg": "#8073ac", "gate": "#cc79a7"}
FONT = dict(size=15, family="Source Sans, Source Sans Pro, Source Sans 3, sans-serif", color="#31333f")  # Streamlit's look
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


def colorscale(kind: str, palette: str = "default") -> list[list]:
    """Sequential for values >= 0 (gates, ReLU states), diverging around 0 otherwise, in ``palette``
    ("default": RdBu_r / viridis; "cb": colour-blind safe PuOr_r / cividis)."""
    scales = PALETTES.get(palette, PALETTES["default"])
    return scales["sequential"] if kind in ("sigmoid", "relu") else scales["diverging"]


# --- the page's look: theme (light / dark) and layout (page / projector) ---------------------------

@dataclass(frozen=True)
class Theme:
    """Colours a chart takes from the Streamlit theme the browser shows."""

    name: str  # "light" | "dark"
    bg: str  # the page's background
    fg: str  # its text
    grid: str  # grid lines
    faint: str  # secondary lines (a trajectory's path)
    soft: str  # reference lines (a baseline, a marked distance), axis lines
    strong: str  # lines that separate (the two halves of a concatenation)


# Streamlit 1.67's own themes (its frontend's bgColor / bodyText): light #FFFFFF / #2F2D2B,
# dark #171614 / #EDEBE8. A page with a custom theme reports its own colours (rnnviz.ui.theme).
THEME_COLORS = {"light": ("#ffffff", "#2f2d2b"), "dark": ("#171614", "#edebe8")}
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def _mix(bg: str, fg: str, w: float) -> str:
    """``w`` of the way from ``bg`` to ``fg`` (both #rrggbb)."""
    a = [int(bg[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(fg[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * w):02x}" for x, y in zip(a, b))


def theme(name: str = "light", bg: str | None = None, fg: str | None = None) -> Theme:
    """The chart colours for theme ``name`` ("light" / "dark"), optionally with the background and
    text colours the page actually shows (#rrggbb; anything else is ignored); lines are mixed
    between the two, so a custom theme gets matching grid lines."""
    name = name if name in THEME_COLORS else "light"
    bg0, fg0 = THEME_COLORS[name]
    bg = bg.lower() if isinstance(bg, str) and _HEX.match(bg) else bg0
    fg = fg.lower() if isinstance(fg, str) and _HEX.match(fg) else fg0
    return Theme(name, bg=bg, fg=fg, grid=_mix(bg, fg, 0.12), faint=_mix(bg, fg, 0.25), soft=_mix(bg, fg, 0.5),
                 strong=fg)


THEMES = {name: theme(name) for name in THEME_COLORS}
# The colours the builders write (the light look) -> their role in a theme. Only values of keys that
# name a colour ("color", "bgcolor", "gridcolor", ...) are replaced, never text or data.
_ROLES = {"white": "bg", "#ffffff": "bg", "#fff": "bg", "#31333f": "fg", "#e6e9ef": "grid", "lightgray": "faint",
          "#d3d3d3": "faint", "gray": "soft", "grey": "soft", "#808080": "soft", "#555": "soft", "black": "strong",
          "#000000": "strong", "#000": "strong"}
_AXIS_KEY = re.compile(r"^[xy]axis\d*$")
PROJECTOR_FONT = 18  # px: every chart's base text in the projector layout (ticks follow it)
PROJECTOR_MIN_FONT = 16  # px: no explicit size below this in the projector layout
PROJECTOR_SCALE = 1.25  # explicit sizes (titles, annotations), margins
PROJECTOR_HEIGHT = 1.15


def themed(fig: dict, look: Theme | str = "light", *, projector: bool = False, palette: str = "default") -> dict:
    """A copy of figure spec ``fig`` dressed for the page: the theme's (``look``: a :class:`Theme`
    or its name) background, text and grid colours; larger text for the projector layout; the chosen palette's colour scales.

    The builders write the light look with the default palette; this is the one place that
    changes it, for every chart the page shows (``rnnviz.ui.charts.show``). Arrays are shared, not
    copied (the spec's dicts and lists are new; typed arrays are reused as they are).
    """
    t = look if isinstance(look, Theme) else theme(look)
    swap = {}
    if palette != "default" and palette in PALETTES:
        for role, stops in PALETTES["default"].items():
            swap[_stops_key(stops)] = PALETTES[palette][role]
    out = _dress(fig, t, swap, projector)
    layout = out.setdefault("layout", {})
    layout["paper_bgcolor"] = t.bg
    layout.setdefault("plot_bgcolor", t.bg)
    font = layout.setdefault("font", {})
    font["color"] = t.fg
    font.setdefault("family", FONT["family"])
    if projector:
        font["size"] = max(PROJECTOR_FONT, font.get("size", 0))
        if "height" in layout:
            layout["height"] = int(round(layout["height"] * PROJECTOR_HEIGHT))
        if "margin" in layout:
            layout["margin"] = {k: int(round(v * PROJECTOR_SCALE)) if k in "lrtb" else v
                                for k, v in layout["margin"].items()}
    axes = [k for k in layout if _AXIS_KEY.match(k)]
    if "scene" not in layout:
        axes = sorted(set(axes) | {"xaxis", "yaxis"})
    for key in axes:
        _axis_colours(layout.setdefault(key, {}), t)
    if "scene" in layout:
        for key in ("xaxis", "yaxis", "zaxis"):
            axis = layout["scene"].setdefault(key, {})
            _axis_colours(axis, t)
            axis.setdefault("backgroundcolor", t.bg)
    layout["modebar"] = {"bgcolor": "rgba(0,0,0,0)", "color": t.soft, "activecolor": t.fg, **layout.get("modebar", {})}
    return out


def _stops_key(stops) -> tuple:
    return tuple((float(p), str(c).lower()) for p, c in stops)


def _axis_colours(axis: dict, t: Theme) -> None:
    axis.setdefault("gridcolor", t.grid)
    axis.setdefault("linecolor", t.soft)
    axis.setdefault("zerolinecolor", t.soft)
    axis.setdefault("tickcolor", t.soft)


def _dress(obj, t: Theme, swap: dict, projector: bool, key: str = ""):
    """Walk the spec: colours by role, colour scales by palette, font sizes for the projector."""
    if isinstance(obj, dict):
        if "bdata" in obj:  # a typed array: data, shared as it is
            return obj
        out = {k: _dress(v, t, swap, projector, k) for k, v in obj.items()}
        if projector and key.endswith("font") and isinstance(out.get("size"), (int, float)):
            out["size"] = max(PROJECTOR_MIN_FONT, int(round(out["size"] * PROJECTOR_SCALE)))
        return out
    if isinstance(obj, list):
        if key == "colorscale" and swap:
            found = swap.get(_stops_key(obj)) if all(isinstance(s, (list, tuple)) and len(s) == 2 for s in obj) else None
            if found is not None:
                return [list(s) for s in found]
        return [_dress(v, t, swap, projector, key) for v in obj]
    if isinstance(obj, str) and key.endswith("color"):
        role = _ROLES.get(obj.strip().lower())
        return getattr(t, role) if role else obj
    return obj


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
