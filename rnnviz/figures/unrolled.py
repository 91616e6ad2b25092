"""The data of the unrolled view (issue 11): the network drawn as the textbooks draw it, one
column per time step (x_t -> cell -> h_t -> y_t, arrows h_{t-1} -> h_t, stacked layers as
stacked rows), and the inside of one cell for the chosen unit at the current step.

NumPy only (no streamlit, no plotly). ``unrolled_spec(...)`` returns the ``data`` of the
``st.components.v2`` component in ``rnnviz/ui/unrolled``. The browser never computes a number:
it indexes these arrays (the step comes from the step player in the browser, not from here), so
the server stays the only source of numbers. Transport rules as in ``figures/player.py``: every
array is a contiguous float32 1-D array at the first level; everything else is JSON; the same
inputs give the same dict byte for byte (no live step in it), so Streamlit does not re-send it.

Data contract (T steps, L layers, D directions, R = L*D rows, H units, U cells per strip):

  key        type                   shape / meaning
  v          int                    contract version (1)
  kind       str                    "unrolled"
  sig        str                    hash of everything except ``inner`` / ``inner_meta`` and
                                    ``view_row``: a new sig = another model/input/notation -> rebuild
  cell, act  str                    "rnn" | "lstm" | "gru"; "tanh" | "relu" (the RNN's nonlinearity)
  T, L, D, H, R, U  int
  binned     bool                   U < H: a strip cell is a bin of units (``edges``), else one unit
  edges      list[int] (U+1)        bin k holds units edges[k] .. edges[k+1]-1
  rows       list[dict] (R)         bottom to top: layer 0 forward, layer 0 reverse, layer 1 ...;
                                    {"layer", "direction", "reverse", "name", "h", "prev", "w_ih",
                                    "w_hh", "bias"}: labels in the row's notation ("#" = the step)
  view_row   int                    the row the page views (the player's layer and direction)
  labels     list[str] (T)          the input read at each step
  x          dict                   {"tokens", "size", "U", "binned", "edges", "sym", "range"}: the
                                    input strip (one-hot for <= 32 tokens, U = 0: label only)
  out        dict                   {"O", "K", "strip", "labels", "sym", "w", "concat", "cat"}: the
                                    output node (softmax; "strip": all O probabilities drawn)
  scale      dict                   {"stops", "zmin", "zmax"}: the state colour scale
  texts, sizes, colors  dict        visible texts; px sizes (a projector layout passes bigger);
                                    colours
  speed      float                  initial animation speed, steps per second
  inner_meta dict                   {"mode": "all" | "unit", "unit": j (-1 in "all"), "slots":
                                    [[names] per row], "offsets": [R+1 element offsets]}
  hs         float32 (R*T*U)        node strips: the unit values (the bin means when binned)
  hs_lo, hs_hi float32 (R*T*U)      the smallest and largest unit of each bin (only when binned)
  xs         float32 (T*x.U)        input strip (one-hot, or the dense values / bin means)
  xs_lo, xs_hi float32              bin extremes of a binned dense input
  ps         float32 (T*O)          softmax (only when O <= 32: out.strip)
  top, top_p float32 (T*K)          the K most likely outputs per step and their probabilities
  inner      float32                cell internals, row after row from ``inner_meta.offsets``: in
                                    mode "all" (T, H, S_r) per row, in mode "unit" (T, S_r) of the
                                    unit ``inner_meta.unit``; S_r = the row's slots: the live equation's
                                    (cells' ``equation_values``) plus the products the diagram
                                    draws (LSTM f_c = f⊙c_prev, i_g = i⊙g; GRU r_hn = r⊙(W_hn h +
                                    b_hn), z_h = z⊙h_prev, omz_n = (1-z)⊙n)

Size rules (hidden 512 x length 500, see docs/app.md): a strip has at most ``MAX_STRIP`` cells;
above that the units are binned (mean, min, max of each run of consecutive units), and the bins get
fewer (down to ``MIN_STRIP``) until the strips of all rows fit ``STRIP_MAX_BYTES``. The internals of
every unit are sent while they fit ``INNER_ALL_UNITS_MAX_BYTES``, else those of the chosen unit only
(a unit change then re-sends the data; a step change never does).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import numpy as np

from .. import cells
from ..app.knobs import bounds
from ..app.notation import spoken, symbols
from ..cells import CellParams
from ..naming import suffix
from ..network import RNNModel
from ..trace import LayerTrace, Trace
from .style import ACCENT, DIVERGING, MUTED, NEGATIVE, SEQUENTIAL, value_range

VERSION = 1
MAX_STRIP = 32  # cells of a node's strip: a unit each up to this, else bins of consecutive units
MIN_STRIP = 8
STRIP_MAX_BYTES = 400_000  # the strips of every row and step (mean, min, max when binned)
INNER_ALL_UNITS_MAX_BYTES = 600_000  # cell internals of every unit; beyond: the chosen unit's only
TOPK = 3
SPEED_RANGE = bounds("speed")

# px. The column width follows the space (col_min .. col_max); a projector layout passes bigger ones.
DEFAULT_SIZES = {"text": 15, "small": 13, "title": 16, "col_min": 70, "col_max": 136, "node_h": 46, "strip_h": 13,
                 "gap": 24, "label_w": 150, "inner_text": 15}
# What a projector layout passes (issue 11, part 1: chart text >= 16 px, titles larger).
PROJECTOR_SIZES = {"text": 18, "small": 16, "title": 20, "col_min": 84, "col_max": 170, "node_h": 58, "strip_h": 16,
                   "gap": 28, "label_w": 196, "inner_text": 18}
DEFAULT_COLORS = {"accent": ACCENT, "muted": MUTED, "pos": ACCENT, "neg": NEGATIVE, "gate": "#8c6bb1",
                  "fwd": "#1f77b4", "rev": "#ff7f0e"}

# Plain-text labels per notation ("_{...}" is a subscript, "#" the step index). The textbook
# formulations define the vanilla RNN only (notation.spoken): other cells speak PyTorch's.
_SYMBOLS = {
    "torch": {"x": "x_{#}", "h": "h_{#}", "y": "ŷ_{#}"},
    "class": {"x": "x_{#}", "h": "h_{#}", "y": "p_{#}"},
    "functional": {"x": "x⟨#⟩", "h": "a⟨#⟩", "y": "ŷ⟨#⟩"},
    "tensorflow": {"x": "X#", "h": "Y#", "y": "ŷ_{#}"},
}
# (W for the input, W for the state, the bias as written, the output weight)
_WEIGHTS = {"class": ("Wxh", "Whh", "bh", "Why"), "functional": ("Wax", "Waa", "ba", "Wya"),
            "tensorflow": ("Wx", "Wy", "b", "W_out")}
# products the diagram draws beside its ⊙ nodes, from the equation's slots (name -> function of them)
_EXTRAS = {
    "lstm": (("f_c", lambda v: v["f"] * v["c_prev"]), ("i_g", lambda v: v["i"] * v["g"])),
    "gru": (("r_hn", lambda v: v["r"] * (v["n_hw"] + v["n_bh"])), ("z_h", lambda v: v["z"] * v["h_prev"]),
            ("omz_n", lambda v: (1.0 - v["z"]) * v["n"])),
    "rnn": (),
}


def _f32(a: np.ndarray) -> np.ndarray:
    """Contiguous float32, 1-D (overflow stays inf/NaN: the view writes it in words)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.ascontiguousarray(np.asarray(a, dtype=np.float32).ravel())


def strip_size(n: int, rows: int, T: int, *, cap: int = MAX_STRIP, budget: int = STRIP_MAX_BYTES) -> int:
    """Cells per strip for ``n`` values in ``rows`` x ``T`` nodes: ``n`` when n <= cap (one array of
    4 bytes a value), else bins (three arrays: mean, min, max), fewer while over ``budget`` bytes."""
    if n <= cap:
        return n
    fit = budget // max(rows * T * 12, 1)
    return int(min(cap, n, max(MIN_STRIP, fit)))


def bin_edges(n: int, bins: int) -> np.ndarray:
    """``bins + 1`` edges splitting ``n`` units into runs of consecutive units as equal as can be."""
    return (np.arange(bins + 1) * n) // bins


def binned(values: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, min and max of each bin along the last axis (float64 sums, then float32)."""
    v = np.asarray(values, dtype=np.float64)
    starts = edges[:-1]
    with np.errstate(over="ignore", invalid="ignore"):
        mean = np.add.reduceat(v, starts, axis=-1) / np.diff(edges)
    return mean, np.minimum.reduceat(v, starts, axis=-1), np.maximum.reduceat(v, starts, axis=-1)


def _strip(values: np.ndarray, U: int) -> dict[str, np.ndarray]:
    """The strip arrays of ``values`` (..., n): itself when U == n, else mean/min/max per bin."""
    n = values.shape[-1]
    if U == n:
        return {"": values}
    mean, lo, hi = binned(values, bin_edges(n, U))
    return {"": mean, "_lo": lo, "_hi": hi}


def _row_names(notation: str, cell: str, layer: int, direction: int) -> dict[str, str]:
    """Labels of one row: the state symbol, the previous state, the weights and bias names."""
    reverse = bool(direction)
    # the textbook notations define no reverse direction: it is written in PyTorch's symbols
    said = "torch" if reverse else spoken(notation, cell)
    h = _SYMBOLS[said]["h"]
    if said == "torch":
        tail = suffix(layer, direction)
        w_ih, w_hh, bias = f"weight_ih{tail}", f"weight_hh{tail}", f"bias_ih{tail} + bias_hh{tail}"
    else:
        w_ih, w_hh, bias, _ = _WEIGHTS[said]
    return {"h": h, "prev": "t+1" if reverse else "t−1", "w_ih": w_ih, "w_hh": w_hh, "bias": bias,
            "notation": said}


def _inner_symbols(notation: str, cell: str, reverse: bool):
    return symbols("torch" if reverse else notation, cell)


def row_slots(cell: str, nonlinearity: str, notation: str, reverse: bool) -> list[str]:
    """The internals' slot names of one row: the cell's equation slots, then the drawn products."""
    sym = _inner_symbols(notation, cell, reverse)
    eq = cells.get(cell).equation(sym, nonlinearity=nonlinearity, reverse=reverse)
    return list(eq.slots) + [name for name, _ in _EXTRAS[cell]]


def unit_slice(p: CellParams, lt: LayerTrace, j: int) -> tuple[CellParams, LayerTrace]:
    """One unit's share of a layer (hidden size 1): its row in each gate block of the parameters and
    of the trace. The internals are elementwise per unit once ``ih`` / ``hh`` are known, so the
    cell's own ``equation_values`` on this slice gives unit j's numbers without the other units'."""
    H = lt.hidden_size
    G = lt.ih.shape[-1] // H
    rows = [k * H + j for k in range(G)]
    one = [j]
    q = CellParams(p.w_ih[rows], p.w_hh[rows][:, one], p.b_ih[rows], p.b_hh[rows])
    sl = LayerTrace(
        lt.cell, lt.reverse, lt.ih[..., rows], lt.hh[..., rows], lt.h[..., one], lt.h0[..., one],
        None if lt.gates is None else lt.gates[..., rows], None if lt.c is None else lt.c[..., one],
        None if lt.c0 is None else lt.c0[..., one], lt.gate_names,
    )
    return q, sl


def row_internals(trace: Trace, model: RNNModel, layer: int, direction: int, sample: int, notation: str,
                  unit: int | None = None) -> np.ndarray:
    """(T, H, S) internals of one row for every unit, or (T, S) of ``unit``: the cell's equation
    values (the numbers of the live equation) and the products the diagram draws."""
    lt = trace.layers[layer][direction]
    p = model.layers[layer][direction]
    if unit is not None:
        p, lt = unit_slice(p, lt, unit)
    sym = _inner_symbols(notation, trace.cell, lt.reverse)
    with np.errstate(over="ignore", invalid="ignore"):
        vals = cells.get(trace.cell).equation_values(p, lt, sample, sym)  # (T, H, S)
        names = list(cells.get(trace.cell).equation(sym, nonlinearity=trace.nonlinearity, reverse=lt.reverse).slots)
        named = {name: vals[..., k] for k, name in enumerate(names)}
        extra = [fn(named) for _, fn in _EXTRAS[trace.cell]]
        out = np.concatenate([vals, np.stack(extra, axis=-1)], axis=-1) if extra else vals
    return out[:, 0] if unit is not None else out


def inner_bytes_all_units(cell: str, T: int, H: int, layers: int, directions: int, notation: str = "torch",
                          nonlinearity: str = "tanh") -> int:
    """Bytes of the internals of every unit of every row (the size rule's measure)."""
    per_row = [len(row_slots(cell, nonlinearity, notation, bool(d))) for d in range(directions)]
    return layers * T * H * sum(per_row) * 4


def unit_in_data(cell: str, T: int, H: int, layers: int, directions: int, notation: str = "torch",
                 nonlinearity: str = "tanh", max_bytes: int = INNER_ALL_UNITS_MAX_BYTES) -> bool:
    """True when only the chosen unit's internals are sent (a unit change re-sends the data)."""
    return inner_bytes_all_units(cell, T, H, layers, directions, notation, nonlinearity) > max_bytes


# ---------------------------------------------------------------- the spec


def unrolled_spec(
    trace: Trace,
    model: RNNModel,
    *,
    sample: int = 0,
    step_labels: Sequence[str],
    output_labels: Sequence[str] | None = None,
    notation: str = "torch",
    kind: str = "tanh",
    view_layer: int = 0,
    view_direction: int = 0,
    unit: int = 0,
    texts: dict[str, str] | None = None,
    sizes: dict[str, float] | None = None,
    colorscale: list[list] | None = None,
    colors: dict[str, str] | None = None,
    speed: float = 2.0,
    max_strip: int = MAX_STRIP,
    strip_bytes: int = STRIP_MAX_BYTES,
    inner_bytes: int = INNER_ALL_UNITS_MAX_BYTES,
) -> dict:
    """The unrolled view's ``data`` for ``sample`` of ``trace`` (every layer and direction).

    ``unit`` enters the dict only when the internals of all units exceed ``inner_bytes``.
    ``kind``: "tanh" (diverging colours over [-1, 1]) or "relu" (sequential over [0, max]).
    """
    cell = trace.cell
    L, D = model.num_layers, model.num_directions
    T, H = trace.seq_len, model.hidden_size
    R = L * D
    if len(step_labels) != T:
        raise ValueError(f"{len(step_labels)} step labels for {T} steps")
    if not (0 <= view_layer < L and 0 <= view_direction < D):
        raise ValueError(f"no layer {view_layer} / direction {view_direction} in a {L}-layer, {D}-direction model")

    arrays: dict[str, np.ndarray] = {}
    states = np.stack([trace.layers[l][d].h[:, sample] for l in range(L) for d in range(D)])  # (R, T, H)
    U = strip_size(H, R, T, cap=max_strip, budget=strip_bytes)
    for k, v in _strip(states, U).items():
        arrays["hs" + k] = _f32(v)
    zmin, zmax = value_range(states, kind)

    # the input strip: a one-hot vector of a small vocabulary, the dense values, or the label only
    tokens = trace.tokens
    if tokens:
        ids = np.asarray(trace.inputs[:, sample], dtype=np.int64)
        size = model.input_size
        Ux = size if size <= max_strip else 0
        if Ux:
            arrays["xs"] = _f32(np.eye(size)[ids])
        x_range = [0.0, 1.0]
    else:
        xv = np.asarray(trace.inputs[:, sample], dtype=np.float64)  # (T, I)
        size = xv.shape[-1]
        Ux = strip_size(size, 1, T, cap=max_strip, budget=strip_bytes)
        for k, v in _strip(xv, Ux).items():
            arrays["xs" + k] = _f32(v)
        finite = np.abs(xv[np.isfinite(xv)])
        peak = min(float(finite.max()), float(np.finfo(np.float32).max)) if finite.size else 1.0
        x_range = [-(peak or 1.0), peak or 1.0]

    O = 0 if trace.probs is None else trace.probs.shape[-1]
    K = min(TOPK, O)
    out_labels: list[str] = []
    if O:
        probs = trace.probs[:, sample]
        out_labels = [str(s) for s in output_labels] if output_labels is not None else [str(i) for i in range(O)]
        if len(out_labels) != O:
            raise ValueError(f"{len(out_labels)} output labels for {O} outputs")
        order = np.argsort(-probs, axis=-1, kind="stable")[:, :K]  # stable: the player ranks them alike
        arrays["top"] = _f32(order)
        arrays["top_p"] = _f32(np.take_along_axis(probs, order, axis=-1))
        if O <= max_strip:
            arrays["ps"] = _f32(probs)

    said = spoken(notation, cell)
    sym = _SYMBOLS[said]
    rows = []
    for l in range(L):
        for d in range(D):
            names = _row_names(notation, cell, l, d)
            where = [f"layer {l}"] if L > 1 else []
            if D == 2:
                where.append("reverse ←" if d else "forward →")
            rows.append({"layer": l, "direction": d, "reverse": bool(d), **names,
                         "name": " · ".join(where) if where else cells.get(cell).title})
    w_out = "out.weight" if said == "torch" else _WEIGHTS[said][3]

    # the internals: every unit while small, else the chosen unit (the page re-sends on a unit change)
    all_units = not unit_in_data(cell, T, H, L, D, notation, model.nonlinearity, inner_bytes)
    chosen = int(min(max(int(unit), 0), H - 1))
    blocks, slots, offsets = [], [], [0]
    for l in range(L):
        for d in range(D):
            vals = row_internals(trace, model, l, d, sample, notation, None if all_units else chosen)
            blocks.append(_f32(vals))
            slots.append(row_slots(cell, model.nonlinearity, notation, bool(d)))
            offsets.append(offsets[-1] + blocks[-1].size)
    inner_vals = np.concatenate(blocks)

    cell_title = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}[cell]
    default_texts = {
        "title": "Unrolled network: one column per time step",
        "hint": "Click a column to go to its step (the player, the URL and every view follow); click a cell row to "
                "look inside that layer; hover a node for its numbers.",
        "play": "▶ Play the pass" if D == 1 else "▶ Play: forward, then reverse",
        "pause": "Pause",
        "resume": "▶ Resume",
        "done": "Every layer has read the whole sequence; the output layer reads each column.",
        "cell": cell_title,
        "inner": f"Inside the {cell_title} cell",
        "concat": "output[t] = [h_fwd[t] ; h_rev[t]]: the reverse half of column t has just read x[t] (it read "
                  "x[T−1] … x[t], right to left) — PyTorch's alignment.",
        "window": "steps {a}–{b} of {T}",
        "bins": f"Each strip cell is a run of about {H / U:.3g} consecutive units: its top third is their largest value, "
                "the middle their mean, the bottom their smallest.",
    }
    bins = bin_edges(H, U).tolist() if U < H else None
    meta = {
        "v": VERSION,
        "kind": "unrolled",
        "cell": cell,
        "act": model.nonlinearity if cell == "rnn" else "tanh",
        "T": int(T), "L": int(L), "D": int(D), "H": int(H), "R": int(R), "U": int(U),
        "binned": U < H,
        "edges": bins,
        "rows": rows,
        "labels": [str(s) for s in step_labels],
        "x": {"tokens": bool(tokens), "size": int(size), "U": int(Ux), "binned": bool(Ux and Ux < size),
              "edges": bin_edges(size, Ux).tolist() if Ux and Ux < size else None, "sym": sym["x"],
              "range": x_range},
        "out": {"O": int(O), "K": int(K), "strip": bool(O and O <= max_strip), "labels": out_labels,
                "sym": sym["y"], "w": w_out, "concat": D == 2, "cat": "output[#]"},
        "scale": {"stops": [[float(a), str(b)] for a, b in (colorscale or (SEQUENTIAL if kind == "relu" else DIVERGING))],
                  "zmin": zmin, "zmax": zmax},
        "texts": {**default_texts, **(texts or {})},
        "sizes": {**DEFAULT_SIZES, **(sizes or {})},
        "colors": {**DEFAULT_COLORS, **(colors or {})},
        "speed": float(min(max(float(speed), SPEED_RANGE[0]), SPEED_RANGE[1])),
    }
    inner = {"mode": "all" if all_units else "unit", "unit": -1 if all_units else chosen, "slots": slots,
             "offsets": offsets}
    digest = hashlib.blake2b(json.dumps([meta, slots], sort_keys=True).encode(), digest_size=10)
    for key in sorted(arrays):
        digest.update(key.encode())
        digest.update(arrays[key].tobytes())
    view_row = int(view_layer * D + view_direction)
    return {**meta, "sig": digest.hexdigest(), "view_row": view_row, **arrays, "inner": inner_vals,
            "inner_meta": inner}


def spec_bytes(spec: dict) -> dict[str, int]:
    """What the spec costs on the wire, roughly: the arrays' bytes and the JSON's (for the docs)."""
    arrays = {k: v.nbytes for k, v in spec.items() if isinstance(v, np.ndarray)}
    rest = {k: v for k, v in spec.items() if not isinstance(v, np.ndarray)}
    return {"arrays": sum(arrays.values()), "json": len(json.dumps(rest)), **{f"array {k}": n for k, n in arrays.items()}}
