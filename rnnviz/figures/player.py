"""The data of the client-side step player (issue 9): one forward trace -> one dict for the browser.

NumPy only (no streamlit, no plotly). ``player_spec(...)`` returns the ``data`` of the
``st.components.v2`` player in ``rnnviz/ui/player``. The browser steps through time by *indexing*
these arrays; it never sums, multiplies or activates anything, so the server stays the only
source of numbers (every equation number is computed here, as ``rnnviz/equations.py`` does).

Transport rules that shape this dict (see ../shared/guides/client-side-components.md):
- every array is a contiguous float32 **1-D** array at the **first level** of the dict: Streamlit
  sends those as Arrow (an array nested deeper is silently turned into a string);
- everything else is plain JSON;
- for the same inputs the dict is identical, byte for byte, so Streamlit's message cache stops
  re-sends on reruns; the live step is NOT in it, only a server *command* ``cmd`` whose ``seq``
  changes when the server wants to move the step (the browser applies a ``seq`` once).

Data contract (T steps, H units, O outputs, G gates, S equation slots, K = top-k):

  key          type                 shape / meaning
  v            int                  contract version (1)
  sig          str                  hash of everything except ``cmd`` and the equation numbers:
                                    a new ``sig`` = another model/input/view -> the browser rebuilds
  cell         str                  "rnn" | "lstm" | "gru"
  T, H, O, K   int                  steps, units, outputs (0 = no output layer), top-k shown
  reverse      bool                 the viewed direction is the reverse one (previous state h_{t+1})
  symbol       str                  state symbol of the notation ("h", "a", "Y")
  labels       list[str] (T)        step labels (the input read at each step)
  out_labels   list[str] (O)        output labels ([] when O = 0)
  next_token   bool                 the model predicts the next token (true next is drawn then)
  scale        dict                 {"stops": [[pos, "#rrggbb"], ...], "zmin", "zmax", "kind"}
  ranges       dict                 value axes: {"h": [lo, hi], "dh": [lo, hi], "c": [lo, hi]}
  gate_names   list[str] (G)        LSTM ["i","f","g","o"], GRU ["r","z","n"], RNN []
  gate_kinds   list[str] (G)        "sigmoid" | "tanh" per gate (its value axis)
  texts        dict[str, str]       every visible text of the player (titles, axis titles, labels)
  sizes        dict[str, number]    font sizes and heights in px (``PROJECTOR_SIZES`` for the projector)
  layout       str                  "stacked" (everything below the heatmap) | "side" (the step charts
                                    beside heatmap + controls, gates and equation below: the projector's)
  colors       dict[str, str]       accent / muted / true-next / positive / negative / gate colours
  speed        float                initial play speed, steps per second (0.5-10)
  cmd          dict                 {"seq": int, "step": int, "unit": int}: jump there once per seq
  highlight    dict (optional)      what a lesson's answer points at, outlined while the player is at
                                    {"step", "unit"} (null: any): {"slot": an equation slot name,
                                    "out": an output index, "steps": [input steps to mark in the strip]}
                                    (not in ``sig``: a new highlight keeps the player as it is)
  eq           dict                 the equation as data: {"rows": [{"name", "sym", "num"}], "slots":
                                    [S names], "mode": "all" | "unit", "unit": int (-1 in mode
                                    "all"), "onehot": bool}; ``sym`` / ``num`` are MathML strings
                                    whose <mn data-slot="name"> take eq_vals, <mn data-idx="unit">
                                    the unit, <mtext data-idx="input"> the input label
  h            float32 (T*H)        hidden state h[t, j] of the viewed layer/direction/sample
  dh           float32 (T*H)        h_t - h_prev (h_prev = h_{t-1}, or h_{t+1} in reverse)
  probs        float32 (T*O)        softmax (only when O > 0)
  top          float32 (T*K)        indices of the top-K outputs per step, best first (O > 0)
  true_next    float32 (T)          true next token index per step, -1 = none (next_token only)
  gates        float32 (T*G*H)      activated gates, PyTorch's order (LSTM/GRU only)
  c            float32 (T*H)        LSTM cell state
  eq_vals      float32              equation slot values: (T, H, S) in mode "all",
                                    (T, S) for the one unit ``eq.unit`` in mode "unit"

Size rule for ``eq_vals``: all units when T*H*S*4 bytes <= ``EQ_ALL_UNITS_MAX_BYTES`` (2 MB, about
the size of ``h`` + ``dh`` at hidden 512 x length 500, so the first load at most doubles); beyond
that only the chosen unit, and then a unit change re-sends ``data`` (a step change never does).
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from collections.abc import Sequence

import numpy as np

from .. import cells
from ..app.knobs import bounds
from ..app.notation import Symbols, state_letter, symbols
from ..network import RNNModel
from ..trace import Trace
from .mathml import tex_to_mathml
from .style import ACCENT, DIVERGING, MUTED, NEGATIVE, SEQUENTIAL, TRUE_COLOR, value_range

VERSION = 1
EQ_ALL_UNITS_MAX_BYTES = 2_000_000
SPEED_RANGE = bounds("speed")
MAX_TOPK = 10

# Sizes in px. ~14-15 px text is Streamlit's own; a projector layout passes e.g. tick=16, text=18.
DEFAULT_SIZES = {
    "text": 15, "small": 13, "tick": 13, "title": 16, "strip": 19, "math": 18,
    "heat_cell": 16, "heat_min": 150, "heat_max": 460, "bars": 130, "gate_row": 40, "soft": 220,
}
# The projector layout (?layout=projector): tick labels >= 16 px, titles larger, and heights that fit
# heatmap + time controls beside h_t, Δh and softmax into a 1280 x 720 screen (LAYOUTS["side"]);
# tests/e2e/test_classroom_browser.py measures it at 1280 x 720 and 1024 x 768.
PROJECTOR_SIZES = {
    "text": 18, "small": 16, "tick": 16, "title": 21, "strip": 20, "math": 21,
    "heat_cell": 20, "heat_min": 120, "heat_max": 300, "bars": 84, "gate_row": 44, "soft": 130,
}
LAYOUTS = ("stacked", "side")
# The figures' colours (style.py); positive / negative change as in the step bars.
DEFAULT_COLORS = {"accent": ACCENT, "muted": MUTED, "true": TRUE_COLOR, "pos": ACCENT, "neg": NEGATIVE,
                  "gate": "#8c6bb1"}  # gate: sigmoid gates in [0, 1], a colour that says neither + nor -


def _gates(cell: str) -> tuple[cells.Gate, ...]:
    """The gates the player draws: none for the plain RNN (its one block is h itself)."""
    c = cells.get(cell)
    return c.gates if c.gated else ()


# ---------------------------------------------------------------- the spec


def player_spec(
    trace: Trace,
    model: RNNModel,
    *,
    layer: int = 0,
    direction: int = 0,
    sample: int = 0,
    step_labels: Sequence[str],
    output_labels: Sequence[str] | None = None,
    true_next: Sequence[int] | np.ndarray | None = None,
    kind: str = "tanh",
    topk: int = 3,
    notation: str = "torch",
    texts: dict[str, str] | None = None,
    sizes: dict[str, float] | None = None,
    colorscale: list[list] | None = None,
    colors: dict[str, str] | None = None,
    layout: str = "stacked",
    step: int = 0,
    unit: int = 0,
    seq: int = 0,
    speed: float = 2.0,
    eq_unit: int | None = None,
    max_eq_bytes: int = EQ_ALL_UNITS_MAX_BYTES,
    highlight: dict | None = None,
) -> dict:
    """The player's ``data`` for one layer/direction/sample of ``trace``.

    ``true_next``: per step the index of the true next token (-1 = none), or None when the model
    is not a next-token model. ``kind``: "tanh" (diverging colours over [-1, 1]) or "relu"
    (sequential over [0, max]). ``colorscale``: other stops, e.g. a colour-blind-safe scale.
    ``sizes``: px (``PROJECTOR_SIZES`` for the projector); ``layout``: "stacked" or "side" (the step
    charts beside the heatmap, as the projector layout draws them).
    ``step`` / ``unit`` / ``seq``: the server's command (the browser jumps there once per ``seq``).
    ``eq_unit``: the chosen unit, used only when the equation numbers of all units would exceed
    ``max_eq_bytes`` (default: ``unit``); otherwise it does not enter the dict at all.
    ``highlight``: what to outline (see the contract above), e.g. a lesson's revealed answer.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    lt = trace.layers[layer][direction]
    cell = trace.cell
    h = lt.h[:, sample]
    T, H = h.shape
    if len(step_labels) != T:
        raise ValueError(f"{len(step_labels)} step labels for {T} steps")
    # the textbook notations define no reverse direction: it is written in PyTorch's symbols
    letter = "h" if lt.reverse else state_letter(notation, cell)

    arrays: dict[str, np.ndarray] = {"h": _f32(h), "dh": _f32(h - lt.h_prev[:, sample])}
    O = 0 if trace.probs is None else trace.probs.shape[-1]
    K = 0
    out_labels: list[str] = []
    if O:
        probs = trace.probs[:, sample]
        K = int(min(max(int(topk), 1), O, MAX_TOPK))
        # stable ranking, as rnnviz/figures.py's softmax_bars ranks them
        arrays["probs"] = _f32(probs)
        arrays["top"] = _f32(np.argsort(-probs, axis=-1, kind="stable")[:, :K])
        out_labels = [str(s) for s in output_labels] if output_labels is not None else [str(i) for i in range(O)]
        if len(out_labels) != O:
            raise ValueError(f"{len(out_labels)} output labels for {O} outputs")
    next_token = bool(O) and true_next is not None
    if next_token:
        tn = np.asarray(true_next, dtype=np.int64)
        if tn.shape != (T,):
            raise ValueError(f"true_next must have one entry per step ({T}), got shape {tn.shape}")
        arrays["true_next"] = _f32(np.where((tn >= 0) & (tn < O), tn, -1))
    gates = _gates(cell)
    gate_names = [g.name for g in gates]
    if gate_names:
        arrays["gates"] = _f32(lt.gates[:, sample])
    if lt.c is not None:
        arrays["c"] = _f32(lt.c[:, sample])

    zmin, zmax = value_range(h, kind)
    stops = colorscale or (SEQUENTIAL if kind == "relu" else DIVERGING)
    prev_sub = "t+1" if lt.reverse else "t−1"
    where = []  # "layer 1, reverse direction, sample 3": only the parts that matter (the page's where())
    if model.num_layers > 1:
        where.append(f"layer {layer}")
    if model.bidirectional:
        where.append("reverse direction" if lt.reverse else "forward direction")
    if trace.batch_size > 1:
        where.append(f"sample {sample}")
    default_texts = {
        "title": f"Hidden state {letter}_t, units × time" + (f" — {', '.join(where)}" if where else ""),
        "x_title": "time step (input read)",
        "y_title": "unit",
        "colorbar": letter,
        "reading": "reading",
        "true_next": "true next",
        "h_bars": f"{letter}_t, unit by unit",
        "dh_bars": f"change from {letter}_{{{prev_sub}}}",
        "softmax": f"softmax: top-{K} guesses",
        "out_title": "next token" if next_token else "output class",
        "probability": "probability",
        "gates": "gates at this step",
        "cell_state": "cell state c_t",
        "equation": "Live equation",
        "no_output": f"This model has no output layer, so there is no softmax: its outputs are the hidden states "
                     f"{letter}_t themselves.",
        "unit_label": "unit",
    }
    meta = {
        "v": VERSION,
        "cell": cell,
        "T": int(T), "H": int(H), "O": int(O), "K": int(K),
        "reverse": bool(lt.reverse),
        "symbol": letter,
        "labels": [str(s) for s in step_labels],
        "out_labels": out_labels,
        "next_token": next_token,
        "scale": {"stops": [[float(a), str(b)] for a, b in stops], "zmin": zmin, "zmax": zmax, "kind": kind},
        "ranges": _ranges(lt, sample, kind, h),
        "gate_names": gate_names,
        "gate_kinds": [g.kind for g in gates],
        "gate_titles": [f"{g.title} {g.name}" for g in gates],
        "texts": {**default_texts, **(texts or {})},
        "sizes": {**DEFAULT_SIZES, **(sizes or {})},
        "colors": {**DEFAULT_COLORS, **(colors or {})},
        "layout": layout,
        "speed": float(min(max(float(speed), SPEED_RANGE[0]), SPEED_RANGE[1])),
    }
    # the reverse direction is written in PyTorch's symbols, as rnnviz/equations.py writes it
    names, rows = equation_template(cell, model.nonlinearity, "torch" if lt.reverse else notation,
                                    reverse=lt.reverse, onehot=trace.tokens and layer == 0, row=sample)
    values = equation_values(trace, model, layer=layer, direction=direction, sample=sample, notation=notation)
    S = len(names)
    all_units = T * H * S * 4 <= max_eq_bytes
    chosen = int(min(max(unit if eq_unit is None else eq_unit, 0), H - 1))
    eq = {"rows": rows, "slots": names, "mode": "all" if all_units else "unit", "unit": -1 if all_units else chosen,
          "onehot": bool(trace.tokens and layer == 0)}
    eq_vals = _f32(values if all_units else values[:, chosen])

    sig_src = json.dumps([meta, eq["rows"], eq["slots"], eq["mode"]], sort_keys=True).encode()
    digest = hashlib.blake2b(sig_src, digest_size=10)
    for key in sorted(arrays):
        digest.update(key.encode())
        digest.update(arrays[key].tobytes())
    data = {**meta, "sig": digest.hexdigest(),
            "cmd": {"seq": int(seq), "step": int(min(max(step, 0), T - 1)), "unit": int(min(max(unit, 0), H - 1))},
            "eq": eq, **arrays, "eq_vals": eq_vals}
    if highlight:
        data["highlight"] = _highlight(highlight, T, H, O)
    return data


def _highlight(h: dict, T: int, H: int, O: int) -> dict:
    """The highlight entry, checked: indices in range (else dropped), plain JSON types."""
    def index(v, n):
        return int(v) if isinstance(v, (int, np.integer)) and 0 <= v < n else None

    return {"step": index(h.get("step"), T), "unit": index(h.get("unit"), H),
            "slot": str(h["slot"]) if h.get("slot") else None, "out": index(h.get("out"), O),
            "steps": [int(k) for k in h.get("steps") or () if index(k, T) is not None]}


def equation_bytes_all_units(cell: str, notation: str, T: int, H: int, nonlinearity: str = "tanh") -> int:
    """Bytes of ``eq_vals`` if every unit's equation numbers were sent (the size rule's measure)."""
    names, _ = equation_template(cell, nonlinearity, notation, symbols(notation, cell), reverse=False, onehot=False)
    return T * H * len(names) * 4


def unit_in_data(cell: str, notation: str, T: int, H: int, max_eq_bytes: int = EQ_ALL_UNITS_MAX_BYTES) -> bool:
    """True when the chosen unit is part of ``data`` (equation numbers of one unit only)."""
    return equation_bytes_all_units(cell, notation, T, H) > max_eq_bytes


def _f32(a: np.ndarray) -> np.ndarray:
    """Contiguous float32, 1-D. Overflowed values stay inf/NaN: the player writes "overflow"/∞ for
    them and draws them saturated (the page states the overflow, see ``build.overflow_note``)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.ascontiguousarray(np.asarray(a, dtype=np.float32).ravel())


def _finite_peak(a: np.ndarray) -> float:
    a = np.abs(np.asarray(a, dtype=np.float64))
    a = a[np.isfinite(a)]
    peak = float(a.max()) if a.size else 0.0
    return min(peak, float(np.finfo(np.float32).max)) or 1.0


def _ranges(lt, sample: int, kind: str, h: np.ndarray) -> dict[str, list[float]]:
    """Fixed value axes of the bars (they must not jump while stepping)."""
    if kind == "tanh":
        out = {"h": [-1.0, 1.0], "dh": [-2.0, 2.0]}
    else:
        peak = _finite_peak(h)
        out = {"h": [0.0, peak], "dh": [-peak, peak]}
    if lt.c is not None:
        peak = max(_finite_peak(lt.c[:, sample]), 1.0)
        out["c"] = [-peak, peak]
    return out


# ---------------------------------------------------------------- the equation as data


def equation_values(
    trace: Trace, model: RNNModel, *, layer: int, direction: int, sample: int, notation: str = "torch"
) -> np.ndarray:
    """(T, H, S): every slot of the equation for every step and unit (the cell computes them from
    the trace; the reverse direction is written in PyTorch's symbols)."""
    lt = trace.layers[layer][direction]
    with np.errstate(over="ignore", invalid="ignore"):
        return cells.get(trace.cell).equation_values(model.layers[layer][direction], lt, sample,
                                                     symbols("torch" if lt.reverse else notation, trace.cell))


def equation_template(
    cell: str, nonlinearity: str, notation: str, sym: Symbols | None = None, *, reverse: bool = False,
    onehot: bool = False, row: int = 0,
) -> tuple[list[str], list[dict[str, str]]]:
    """Slot names and rows ``{"name", "sym", "num"}`` (MathML) of the cell's equation (its own
    module writes it, rnnviz/cells/; the browser fills ``<mn data-slot>`` from ``eq_vals``)."""
    slots, rows = _equation_mathml(cell, nonlinearity, sym or symbols(notation, cell), reverse, onehot, row)
    return list(slots), [dict(r) for r in rows]


@lru_cache(maxsize=256)
def _equation_mathml(cell: str, nonlinearity: str, sym: Symbols, reverse: bool, onehot: bool, row: int):
    """The rendered template: a handful per page and the same on every model change (measured: the
    MathML conversion was ~3% of a loaded server's time before this cache)."""
    eq = cells.get(cell).equation(sym, nonlinearity=nonlinearity, reverse=reverse, onehot=onehot, row=row)
    # inline math: Chromium centres display="block" math whatever text-align says; rows read left-aligned
    rows = tuple(tuple({"name": name, "sym": tex_to_mathml(general, display=False),
                        "num": tex_to_mathml(filled, display=False)}.items()) for name, general, filled in eq.rows)
    return eq.slots, rows
