"""A printable hand-computation worksheet: a tiny RNN/LSTM/GRU's numbers, empty boxes, an answer key.

A teacher hands it out; a student computes h_1 ... h_T (and the gates, c_t, the softmax) with a
pencil and a calculator. NumPy only (no streamlit/plotly): the UI calls :func:`worksheet_html`
and offers the page for download or printing (the browser's "Save as PDF").

Where the numbers come from:

* ``variant = k`` (an int): the app's own configuration ``cfg`` with ``weight_seed = k`` and
  ``input_seed = k`` (:func:`variant_config`), then the app's ``build_model`` and
  ``build_inputs``; the sheet shows sample ``cfg.sample``. So variant k is deterministic, every
  k gives other numbers (typed text or ids keep their tokens: the weights change), and the
  teacher can open variant k in the app by setting both seeds to k.
* ``variant = None``: the page's own numbers (its seeds, or ``model`` when the page shows
  uploaded or trained weights).

Every weight, bias, input and initial state is rounded to 2 decimals, and the *rounded* numbers
are what is printed and what the answer key is computed from (float64), so a careful hand
computation matches the key. The tolerance printed on the sheet comes from a worst-case bound
(:func:`hand_error_bound`) of what writing every intermediate result to 3 decimals can cost; it
is ±0.01 for the app's usual weight scales, wider (and said so) for large weights or inputs.
"""
from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, replace

import numpy as np

from .. import cells
from ..cells import CellParams
from ..network import RNNModel, forward
from ..text import Vocab
from .compute import build_model, model_dims
from .inputs import build_inputs
from .knobs import Config, choice_label
from .notation import spoken
from .rules import external_weights, normalise

# What one person can compute by hand on a sheet (issue 10): tiny sizes, one layer, one direction.
MAX_HIDDEN = 4
MAX_INPUT = 4
MAX_LENGTH = 4
MAX_OUTPUT = 4
PRINT_DECIMALS = 2  # the given numbers
KEY_DECIMALS = 3  # the answer key, and what the tolerance assumes a student writes down
# Each number a student writes down to 3 decimals is off by at most half a unit of the 3rd decimal.
HAND_ROUNDING = 0.5 * 10.0**-KEY_DECIMALS
# The tolerance printed on a sheet is the first of these that covers the worst-case bound.
TOLERANCE_LADDER = tuple(m * 10.0**e for e in range(-2, 10) for m in (1, 2, 5))
# Beyond this the numbers have grown too large for a hand check to mean anything (an exploding ReLU).
MAX_TOLERANCE = 1.0
VARIANT_MAX = 2**31 - 1  # the seeds' range in Config
LIMITS_TEXT = (f"hidden size ≤ {MAX_HIDDEN}, input size ≤ {MAX_INPUT}, sequence length ≤ {MAX_LENGTH}, "
               f"output size ≤ {MAX_OUTPUT} (or 0: no output layer), 1 layer, one direction")

GATE_TITLES = {"i": "input gate", "f": "forget gate", "g": "cell candidate", "o": "output gate",
               "r": "reset gate", "z": "update gate", "n": "new state candidate"}


def _gate_names(cell: str) -> tuple[str, ...]:
    """The gates a hand computation writes out (none for the plain RNN: its one block is h)."""
    c = cells.get(cell)
    return c.gate_names if c.gated else ()


class WorksheetLimitError(ValueError):
    """The configuration is too big to compute by hand; the message says the limits and what is over."""


@dataclass(frozen=True)
class Scheme:
    """How a notation writes the sheet (vanilla RNN; LSTM/GRU always use PyTorch's names)."""

    state: str  # h, a, Y
    input: str  # x, X
    first_step: int  # index of the first input (1, or 0 for the TensorFlow book's X0, Y0)
    angle: bool  # a⟨t⟩ instead of a_t
    row_major: bool  # X_t W_x (TensorFlow) instead of W x_t
    names: tuple[str, ...]  # printed names of W_ih, W_hh, b_ih, [b_hh], W_out, b_out
    math: tuple[str, ...]  # the same as math symbols (DSL below)
    logits: str
    probs: str


SCHEMES = {
    "torch": Scheme("h", "x", 1, False, False,
                    ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "out.weight", "out.bias"),
                    ("W_{ih}", "W_{hh}", "b_{ih}", "b_{hh}", "W_{out}", "b_{out}"), "y", "ŷ"),
    "class": Scheme("h", "x", 1, False, False, ("Wxh", "Whh", "bh", "Why", "by"),
                    ("W_{xh}", "W_{hh}", "b_h", "W_{hy}", "b_y"), "y", "p"),
    "functional": Scheme("a", "x", 1, True, False, ("Wax", "Waa", "ba", "Wya", "by"),
                         ("W_{ax}", "W_{aa}", "b_a", "W_{ya}", "b_y"), "z", "ŷ"),
    "tensorflow": Scheme("Y", "X", 0, False, True, ("Wx", "Wy", "b", "W_out", "b_out"),
                         ("W_x", "W_y", "b", "W_{out}", "b_{out}"), "Z", "P"),
}


def scheme(notation: str, cell: str) -> Scheme:
    return SCHEMES[spoken(notation, cell)]


@dataclass(frozen=True, eq=False)
class Worksheet:
    """The printed numbers of one sheet (already rounded to 2 decimals), in PyTorch's layout.

    ``b_hh`` is all zeros and ``merged_bias`` True when the notation has one bias (class,
    functional, TensorFlow): then ``b_ih`` holds the printed single bias round(b_ih + b_hh).
    """

    cfg: Config  # the configuration the numbers were drawn with (variant seeds applied), normalised
    variant: int | None  # None: the page's own numbers
    notation: str
    cell: str
    nonlinearity: str
    w_ih: np.ndarray  # (G*H, I)
    w_hh: np.ndarray  # (G*H, H)
    b_ih: np.ndarray  # (G*H,)
    b_hh: np.ndarray  # (G*H,)
    merged_bias: bool
    w_out: np.ndarray | None  # (O, H)
    b_out: np.ndarray | None  # (O,)
    x: np.ndarray  # (T, I) the inputs as vectors (one-hot for tokens)
    token_ids: tuple[int, ...] | None  # (T,) when the inputs are tokens
    token_labels: tuple[str, ...] | None  # label of every token id (typed characters, or "0", "1" ...)
    h0: np.ndarray  # (H,)
    c0: np.ndarray | None  # (H,) LSTM only
    sample: int
    link: str | None = None

    # sizes, read off the arrays: H, I, T and O (0: no output layer)
    hidden = property(lambda self: self.w_hh.shape[1])
    input_size = property(lambda self: self.w_ih.shape[1])
    length = property(lambda self: self.x.shape[0])
    output_size = property(lambda self: 0 if self.w_out is None else self.w_out.shape[0])

    @property
    def scheme(self) -> Scheme:
        return scheme(self.notation, self.cell)

    def gate(self, array: np.ndarray, name: str) -> np.ndarray:
        """The rows of a stacked array (``w_ih``, ``b_hh`` ...) that belong to gate ``name``."""
        k, H = _gate_names(self.cell).index(name), self.hidden
        return array[k * H:(k + 1) * H]


@dataclass(frozen=True, eq=False)
class AnswerKey:
    """Every box of the sheet, computed in float64 from the printed (rounded) numbers; (T, ·) arrays."""

    h: np.ndarray  # (T, H)
    pre: np.ndarray | None  # (T, H) vanilla RNN: the sum inside the nonlinearity
    gates: dict[str, np.ndarray]  # LSTM i, f, g, o / GRU r, z, n: (T, H) each
    c: np.ndarray | None  # (T, H) LSTM
    logits: np.ndarray | None  # (T, O)
    probs: np.ndarray | None  # (T, O)
    bound: float  # worst-case error of a hand computation that writes every result to 3 decimals
    tolerance: float  # what the sheet states: the first of TOLERANCE_LADDER >= bound

    def boxes(self) -> dict[str, np.ndarray]:
        """Every answer by row name (``pre``, gate names, ``c``, ``h``, ``logits``, ``probs``)."""
        out = {"pre": self.pre, **self.gates, "c": self.c, "h": self.h, "logits": self.logits, "probs": self.probs}
        return {k: v for k, v in out.items() if v is not None}


# ---------------------------------------------------------------- configuration -> numbers


def variant_config(cfg: Config, variant: int) -> Config:
    """The configuration variant ``variant`` draws its numbers with: both seeds set to it, and the
    app's seeded initial weights (an uploaded file has no variants)."""
    _check_variant(variant)
    return replace(cfg, weights="init", weight_seed=variant, input_seed=variant)


def _check_variant(variant: object) -> None:
    if isinstance(variant, bool) or not isinstance(variant, (int, np.integer)) or not 0 <= variant <= VARIANT_MAX:
        raise ValueError(f"The worksheet variant must be a whole number from 0 to {VARIANT_MAX}, got {variant!r}.")


def check_limits(cfg: Config, model: RNNModel | None = None) -> Config:
    """``cfg`` normalised (``model``'s sizes when given); raises :class:`WorksheetLimitError` when
    anything is beyond what a sheet can hold, naming the limits and every value that is over."""
    c, _ = normalise(cfg, model_dims(model) if model is not None else None)
    if model is not None:
        c = replace(c, **model_dims(model))
    over = []
    text_note = f" (the text {c.text[:20] + ('…' if len(c.text) > 20 else '')!r}" if c.inputs == "text" else ""
    if c.hidden > MAX_HIDDEN:
        over.append(f"hidden size {c.hidden} is over {MAX_HIDDEN}")
    if c.input_size > MAX_INPUT:
        why = f"{text_note} has {c.input_size} different characters)" if text_note else ""
        if c.inputs == "ids":
            why = f" (token id {max(c.ids)} needs it)"
        over.append(f"input size {c.input_size} is over {MAX_INPUT}{why}")
    if c.length > MAX_LENGTH:
        why = f"{text_note} is {c.length} characters long)" if text_note else ""
        over.append(f"sequence length {c.length} is over {MAX_LENGTH}{why}")
    if c.output_size > MAX_OUTPUT:
        over.append(f"output size {c.output_size} is over {MAX_OUTPUT}")
    if c.layers != 1:
        over.append(f"{c.layers} layers (a worksheet has 1)")
    if c.bidirectional:
        over.append("bidirectional (a worksheet runs one direction)")
    if over:
        raise WorksheetLimitError(f"Too big for a hand-computation worksheet: {'; '.join(over)}. "
                                  f"A worksheet allows {LIMITS_TEXT}.")
    return c


def _rounded(a: np.ndarray) -> np.ndarray:
    """``a`` as printed: 2 decimals, float64, no negative zeros (np.round(0.37...) == float("0.37"))."""
    return np.round(np.asarray(a, dtype=np.float64), PRINT_DECIMALS) + 0.0


def make_worksheet(cfg: Config, variant: int | None, *, model: RNNModel | None = None,
                   vocab: Vocab | None = None, link: str | None = None) -> Worksheet:
    """The sheet for ``cfg``: variant ``k`` (see :func:`variant_config`) or ``None`` for the page's
    own numbers; ``model``/``vocab``: the page's uploaded or trained weights (only with ``None``);
    ``link``: the page's URL for the footer. Raises :class:`WorksheetLimitError` (too big) or
    ``ValueError`` (a bad variant)."""
    if variant is not None:
        if model is not None:
            raise ValueError("A worksheet variant draws its own weights: pass the page's model only with "
                             "variant=None (the page's own numbers).")
        cfg = variant_config(cfg, variant)
    elif model is None and external_weights(cfg):
        raise ValueError("The page shows uploaded or trained weights: pass them as model= for the page's own numbers.")
    seeded = model is None and cfg.inputs != "notebook"  # the weight scale decides the numbers' size
    c = check_limits(cfg, model)
    if model is None:
        model = build_model(c)
    model = model.astype(np.float64)
    batch = build_inputs(c, vocab)
    b = min(c.sample, batch.data.shape[1] - 1)
    p = model.layers[0][0]
    H, I = p.hidden_size, p.input_size
    merged = model.cell == "rnn" and c.notation != "torch"
    if batch.tokens:
        ids = tuple(int(i) for i in batch.data[:, b])
        x = np.eye(I)[list(ids)]
        labels = tuple(batch.token_labels[:I]) if batch.token_labels else tuple(str(i) for i in range(I))
    else:
        ids, labels = None, None
        x = _rounded(batch.data[:, b])
    h0 = np.zeros(H) if batch.h0 is None else _rounded(batch.h0[0, b])
    ws = Worksheet(
        cfg=c, variant=variant, notation=c.notation, cell=model.cell, nonlinearity=model.nonlinearity,
        w_ih=_rounded(p.w_ih), w_hh=_rounded(p.w_hh),
        b_ih=_rounded(p.b_ih + p.b_hh) if merged else _rounded(p.b_ih),
        b_hh=np.zeros_like(p.b_hh) if merged else _rounded(p.b_hh), merged_bias=merged,
        w_out=None if model.w_out is None else _rounded(model.w_out),
        b_out=None if model.b_out is None else _rounded(model.b_out),
        x=x, token_ids=ids, token_labels=labels, h0=h0,
        c0=np.zeros(H) if cells.get(model.cell).has_cell_state else None, sample=b, link=link,
    )
    key = answer_key(ws)
    if not key.tolerance <= MAX_TOLERANCE:
        worst = f" (up to {key.bound:.3g})" if math.isfinite(key.bound) else ""
        raise WorksheetLimitError(
            f"The numbers of this sheet grow too large to check by hand: a computation that writes every result "
            f"with 3 decimals could end more than ±{MAX_TOLERANCE:g} from the key{worst}. "
            f"{f'Lower the weight scale (now {c.scale:g})' if seeded else 'Use smaller weights'}"
            f"{' or use tanh' if ws.nonlinearity == 'relu' else ''}, or shorten the sequence.")
    return ws


# ---------------------------------------------------------------- the answer key


def answer_key(ws: Worksheet) -> AnswerKey:
    """Every box, from the printed numbers, through the engine's forward pass in float64."""
    model = RNNModel(ws.cell, [[CellParams(ws.w_ih, ws.w_hh, ws.b_ih, ws.b_hh)]], ws.w_out, ws.b_out, ws.nonlinearity)
    c0 = None if ws.c0 is None else ws.c0[None, None]
    with np.errstate(over="ignore", invalid="ignore"):  # a ReLU with huge weights: the bound below says so
        trace = forward(model, ws.x[:, None, :], h0=ws.h0[None, None], c0=c0)
    lt = trace.layers[0][0]
    gates = {name: lt.gate(name)[:, 0].copy() for name in _gate_names(ws.cell)}
    key = AnswerKey(
        h=lt.h[:, 0].copy(), pre=lt.preactivation[:, 0].copy() if ws.cell == "rnn" else None, gates=gates,
        c=None if lt.c is None else lt.c[:, 0].copy(),
        logits=None if trace.logits is None else trace.logits[:, 0].copy(),
        probs=None if trace.probs is None else trace.probs[:, 0].copy(), bound=0.0, tolerance=0.0,
    )
    every = np.concatenate([v.ravel() for v in hand_error_bound(ws, key).values()])
    # NaN (an overflowed state) must not vanish in a max: no finite bound then.
    bound = float(every.max()) if np.isfinite(every).all() else math.inf
    tol = next((t for t in TOLERANCE_LADDER if t >= bound), math.inf)
    return replace(key, bound=bound, tolerance=tol)


def _lipschitz(kind: str, value: np.ndarray, err: np.ndarray) -> np.ndarray:
    """The largest slope of the activation on [value - err, value + err] (a rigorous error factor)."""
    nearest = np.maximum(np.abs(value) - err, 0.0)  # the point of the interval closest to 0
    if kind == "tanh":
        return 1.0 - np.tanh(nearest) ** 2
    if kind == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-nearest))
        return s * (1.0 - s)
    return (value + err > 0).astype(float)  # relu


def _product_error(a: np.ndarray, ea: np.ndarray, b: np.ndarray, eb: np.ndarray) -> np.ndarray:
    """|ã b̃ − a b| for |ã − a| <= ea, |b̃ − b| <= eb (the product itself is not written down)."""
    return np.abs(a) * eb + np.abs(b) * ea + ea * eb


def hand_error_bound(ws: Worksheet, key: AnswerKey) -> dict[str, np.ndarray]:
    """For every box, a worst-case bound of how far a careful hand computation can be from the key.

    The model of "careful" (what the sheet asks for): the student writes every box, and every sum
    inside a nonlinearity, with 3 decimals, i.e. off by at most 0.0005 more than the numbers it was
    computed from; so are, for the GRU, ``W_hn h_{t-1} + b_hn``, and for the softmax, each
    exponential and their sum. Sums of products of written numbers, and tanh/σ/exp of a written
    number, are exact (a calculator). Errors are carried forward with the largest slope of each
    function over the interval they span, so the bound holds however each rounding goes.
    """
    R, H = HAND_ROUNDING, ws.hidden
    act = cells.nonlinearity_for(ws.cell, ws.nonlinearity)
    abs_whh = np.abs(ws.w_hh)
    e_h, e_c = np.zeros(H), np.zeros(H)
    h_prev, c_prev = ws.h0, ws.c0
    out: dict[str, list[np.ndarray]] = {k: [] for k in key.boxes()}
    for t in range(ws.length):
        ih = ws.w_ih @ ws.x[t] + ws.b_ih  # exact parts: printed numbers only
        hh = ws.w_hh @ h_prev + ws.b_hh
        carried = abs_whh @ e_h  # (G*H,): error of W_hh h_{t-1} from the errors in h_{t-1}
        rows = lambda k: slice(k * H, (k + 1) * H)  # noqa: E731
        if ws.cell == "rnn":
            e_pre = carried + R
            e_h = _lipschitz(act, ih + hh, e_pre) * e_pre + R
            out["pre"].append(e_pre)
        elif ws.cell == "lstm":
            e = {}
            for k, name in enumerate("ifgo"):
                e_pre = carried[rows(k)] + R
                e[name] = _lipschitz("tanh" if name == "g" else "sigmoid", (ih + hh)[rows(k)], e_pre) * e_pre + R
                out[name].append(e[name])
            g = {name: key.gates[name][t] for name in "ifgo"}
            e_c = _product_error(g["f"], e["f"], c_prev, e_c) + _product_error(g["i"], e["i"], g["g"], e["g"]) + R
            e_tc = _lipschitz("tanh", key.c[t], e_c) * e_c  # tanh(c_t) goes straight into the product
            e_h = _product_error(g["o"], e["o"], np.tanh(key.c[t]), e_tc) + R
            out["c"].append(e_c)
            c_prev = key.c[t]
        else:  # gru: n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
            e = {}
            for k, name in enumerate("rz"):
                e_pre = carried[rows(k)] + R
                e[name] = _lipschitz("sigmoid", (ih + hh)[rows(k)], e_pre) * e_pre + R
                out[name].append(e[name])
            r, z, n = key.gates["r"][t], key.gates["z"][t], key.gates["n"][t]
            e_hn = carried[rows(2)] + R
            e_pre_n = _product_error(r, e["r"], hh[rows(2)], e_hn) + R
            e_n = _lipschitz("tanh", ih[rows(2)] + r * hh[rows(2)], e_pre_n) * e_pre_n + R
            out["n"].append(e_n)
            # h̃ − h = δz (h_prev − n) + (1 − z) δn + z δh_prev + δz (δh_prev − δn): z's error enters once
            e_h = e["z"] * np.abs(h_prev - n) + (1 - z) * e_n + z * e_h + e["z"] * (e_h + e_n) + R
        out["h"].append(e_h)
        h_prev = key.h[t]
        if ws.w_out is not None:
            e_y = np.abs(ws.w_out) @ e_h + R
            out["logits"].append(e_y)
            y = key.logits[t]
            # Either way of computing the softmax (with or without subtracting the largest score first).
            out["probs"].append(np.maximum(_softmax_error(y, e_y, 0.0), _softmax_error(y, e_y, float(y.max()))))
    return {k: np.array(v) for k, v in out.items()}


def _softmax_error(y: np.ndarray, e_y: np.ndarray, shift: float) -> np.ndarray:
    """Bound on p = u / sum(u) with u = exp(y - shift), where y is off by e_y and u, the sum and p are
    each written to 3 decimals. Computed in units of exp(max y - shift) so that large scores cannot
    overflow (dividing numerator and denominator by the same factor changes nothing)."""
    top = float(y.max())
    u = np.exp(y - top)  # u / exp(top - shift)
    r = HAND_ROUNDING * math.exp(min(shift - top, 0.0))  # one rounding of u, in the same units
    with np.errstate(over="ignore"):
        e_u = u * np.expm1(e_y) + r
    s, e_s = u.sum(), e_u.sum() + r
    if not s > e_s:  # the scores are so uncertain that the sum could be 0: no bound
        return np.full_like(y, np.inf)
    return (e_u + (u / s) * e_s) / (s - e_s) + HAND_ROUNDING


# ---------------------------------------------------------------- HTML

_FUNCTIONS = {"tanh", "softmax", "relu", "σ", "max", "exp", "ReLU"}
_OPERATORS = set("=+−(),⊙·[];") | {"…"}


def esc(text: object) -> str:
    """Any user-provided or generated text, safe in HTML text and attribute values."""
    return html.escape(str(text), quote=True)


def fmt(value: float, decimals: int = PRINT_DECIMALS) -> str:
    """A printed number: fixed decimals, a real minus sign, never "−0.00"."""
    if not math.isfinite(value):
        return "overflow"
    text = f"{value:.{decimals}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text.replace("-", "−")


def _math_sub(text: str) -> str:
    """MathML for a sub/superscript like ``t-1``, ``ih``, ``<t>``."""
    if text.startswith("<") and text.endswith(">"):
        return f"<mrow><mo>⟨</mo>{_math_sub(text[1:-1])}<mo>⟩</mo></mrow>"
    parts = re.findall(r"\d+|[^\W\d_]+|.", text.replace("-", "−"))
    items = []
    for p in parts:
        if p.isdigit():
            items.append(f"<mn>{p}</mn>")
        elif p.isalpha():  # one <mi> a letter: italic like LaTeX's W_{ih} (MathML Core has no mathvariant=italic)
            items.extend(f"<mi>{esc(letter)}</mi>" for letter in p)
        else:
            items.append(f"<mo>{esc(p)}</mo>")
    return items[0] if len(items) == 1 else f"<mrow>{''.join(items)}</mrow>"


def _math_token(tok: str) -> str:
    if tok in _FUNCTIONS:
        return f"<mi>{esc(tok)}</mi>" if len(tok) > 1 else f"<mi mathvariant='normal'>{esc(tok)}</mi>"
    if tok in _OPERATORS:
        return f"<mo>{esc(tok)}</mo>"
    if re.fullmatch(r"\d+(\.\d+)?", tok):
        return f"<mn>{tok}</mn>"
    m = re.fullmatch(r"([^_^]+)(?:_(\{[^}]*\}|[^_^{}]))?(?:\^(\{[^}]*\}|[^_^{}]))?", tok)
    base, sub, sup = m.group(1), m.group(2), m.group(3)
    base_ml = f"<mi>{esc(base)}</mi>"
    unbrace = lambda s: s[1:-1] if s.startswith("{") else s  # noqa: E731
    if sub and sup:
        return f"<msubsup>{base_ml}{_math_sub(unbrace(sub))}{_math_sub(unbrace(sup))}</msubsup>"
    if sub:
        return f"<msub>{base_ml}{_math_sub(unbrace(sub))}</msub>"
    if sup:
        return f"<msup>{base_ml}{_math_sub(unbrace(sup))}</msup>"
    return base_ml


def mathml(expr: str) -> str:
    """A one-line equation in a small space-separated DSL (``h_t = tanh ( W_{ih} x_t + … )``) as MathML."""
    return f"<math display='block'><mrow>{''.join(_math_token(t) for t in expr.split())}</mrow></math>"


def _sym(s: Scheme, base: str, t: str) -> str:
    """DSL symbol of ``base`` at time ``t`` in the scheme's style: h_t, a^<t>, Y_t."""
    return f"{base}^{{<{t}>}}" if s.angle else f"{base}_{{{t}}}"


def _label(s: Scheme, base: str, t: int | str) -> str:
    """HTML label of ``base`` at time ``t`` (h<sub>1</sub>, a<sup>⟨1⟩</sup>)."""
    t = str(t).replace("-", "−")
    return f"<i>{esc(base)}</i><sup>⟨{esc(t)}⟩</sup>" if s.angle else f"<i>{esc(base)}</i><sub>{esc(t)}</sub>"


def equations(ws: Worksheet) -> list[str]:
    """The cell's equations (DSL lines for :func:`math`) in the sheet's notation."""
    s = ws.scheme
    x, h, hp = _sym(s, s.input, "t"), _sym(s, s.state, "t"), _sym(s, s.state, "t-1")
    lines = []
    if ws.cell == "rnn":
        act = "tanh" if ws.nonlinearity == "tanh" else "relu"
        w_ih, w_hh, b_ih = s.math[0], s.math[1], s.math[2]
        if s.row_major:
            lines.append(f"{h} = {act} ( {x} {w_ih} + {hp} {w_hh} + {b_ih} )")
        elif not ws.merged_bias:
            lines.append(f"{h} = {act} ( {w_ih} {x} + {b_ih} + {w_hh} {hp} + {s.math[3]} )")
        else:
            lines.append(f"{h} = {act} ( {w_ih} {x} + {w_hh} {hp} + {b_ih} )")
    elif ws.cell == "lstm":
        for g in "ifgo":
            fn = "tanh" if g == "g" else "σ"
            lines.append(f"{g}_t = {fn} ( W_{{i{g}}} x_t + b_{{i{g}}} + W_{{h{g}}} h_{{t-1}} + b_{{h{g}}} )")
        lines += ["c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t", "h_t = o_t ⊙ tanh ( c_t )"]
    else:
        for g in "rz":
            lines.append(f"{g}_t = σ ( W_{{i{g}}} x_t + b_{{i{g}}} + W_{{h{g}}} h_{{t-1}} + b_{{h{g}}} )")
        lines += ["n_t = tanh ( W_{in} x_t + b_{in} + r_t ⊙ ( W_{hn} h_{t-1} + b_{hn} ) )",
                  "h_t = ( 1 − z_t ) ⊙ n_t + z_t ⊙ h_{t-1}"]
    if ws.w_out is not None:
        w_out, b_out = s.math[-2], s.math[-1]
        y, p = _sym(s, s.logits, "t"), _sym(s, s.probs, "t")
        lines.append(f"{y} = {h} {w_out} + {b_out}" if s.row_major else f"{y} = {w_out} {h} + {b_out}")
        lines.append(f"{p} = softmax ( {y} )")
    return lines


_DEFINITIONS = {
    "tanh": "<mi>tanh</mi><mo>(</mo><mi>v</mi><mo>)</mo><mo>=</mo><mfrac><mrow><msup><mi>e</mi><mi>v</mi></msup>"
            "<mo>−</mo><msup><mi>e</mi><mrow><mo>−</mo><mi>v</mi></mrow></msup></mrow><mrow><msup><mi>e</mi><mi>v</mi>"
            "</msup><mo>+</mo><msup><mi>e</mi><mrow><mo>−</mo><mi>v</mi></mrow></msup></mrow></mfrac>",
    "relu": "<mi>relu</mi><mo>(</mo><mi>v</mi><mo>)</mo><mo>=</mo><mi>max</mi><mo>(</mo><mn>0</mn><mo>,</mo>"
            "<mi>v</mi><mo>)</mo>",
    "sigmoid": "<mi mathvariant='normal'>σ</mi><mo>(</mo><mi>v</mi><mo>)</mo><mo>=</mo><mfrac><mn>1</mn><mrow><mn>1</mn>"
               "<mo>+</mo><msup><mi>e</mi><mrow><mo>−</mo><mi>v</mi></mrow></msup></mrow></mfrac>",
    "softmax": "<mi>softmax</mi><msub><mrow><mo>(</mo><mi>y</mi><mo>)</mo></mrow><mi>k</mi></msub><mo>=</mo><mfrac>"
               "<msup><mi>e</mi><msub><mi>y</mi><mi>k</mi></msub></msup><mrow><msub><mo>∑</mo><mi>j</mi></msub>"
               "<msup><mi>e</mi><msub><mi>y</mi><mi>j</mi></msub></msup></mrow></mfrac>",
}


def _equations_html(ws: Worksheet) -> str:
    """The equations in two columns side by side (MathML does not wrap: each column as wide as it needs)."""
    lines = [f"<div>{mathml_inline(line)}</div>" for line in equations(ws)]
    half = cells.get(ws.cell).num_gates if ws.w_out is not None else (len(lines) + 1) // 2
    return f"<div class='eqs'><div>{''.join(lines[:half])}</div><div>{''.join(lines[half:])}</div></div>"


def _definitions(ws: Worksheet) -> str:
    names = ["tanh"] if ws.cell != "rnn" or ws.nonlinearity == "tanh" else ["relu"]
    if ws.cell != "rnn":
        names.append("sigmoid")
    if ws.w_out is not None:
        names.append("softmax")
    items = "".join(f"<math>{_DEFINITIONS[n]}</math>" for n in names)
    extra = "<p class='small'>⊙ multiplies element by element.</p>" if ws.cell != "rnn" else ""
    return f"<p class='defs'>{items}</p>{extra}"


def _matrix_table(name: str, title: str, a: np.ndarray, row_labels: list[str], col_labels: list[str],
                  kind: str = "m", corner: str = "") -> str:
    """A printed matrix: a caption, labelled rows and columns, every number in a data-cell."""
    head = "".join(f"<th scope='col'>{c}</th>" for c in col_labels)
    rows = []
    for r, rl in enumerate(row_labels):
        cells = "".join(f"<td data-{kind}='{esc(name)}' data-r='{r}' data-c='{c}'>{fmt(a[r, c])}</td>"
                        for c in range(a.shape[1]))
        rows.append(f"<tr><th scope='row'>{rl}</th>{cells}</tr>")
    return (f"<table class='num'><caption>{title}</caption><thead><tr><th>{corner}</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _given(ws: Worksheet) -> str:
    """The printed weights and biases, named and laid out as the notation writes them."""
    s, H, I = ws.scheme, ws.hidden, ws.input_size
    units = [str(j) for j in range(H)]
    ins = [str(i) for i in range(I)]
    outs = [str(k) for k in range(ws.output_size)]
    tables = []

    def title(k: int, shape: tuple[int, int], what: str) -> str:
        return f"{mathml_inline(s.math[k])} <code>{esc(s.names[k])}</code> ({shape[0]} × {shape[1]}) <span>{what}</span>"

    if ws.cell == "rnn":
        col = lambda v: v[:, None]  # noqa: E731
        if s.row_major:
            mats = [(ws.w_ih.T, ins, units, "rows: inputs, columns: neurons"),
                    (ws.w_hh.T, units, units, "rows: previous state, columns: neurons"),
                    (ws.b_ih[None], ["·"], units, "a row")]
        else:
            mats = [(ws.w_ih, units, ins, "rows: units, columns: inputs"),
                    (ws.w_hh, units, units, "rows: units, columns: previous state"),
                    (col(ws.b_ih), units, ["·"], "")]
            if not ws.merged_bias:
                mats.append((col(ws.b_hh), units, ["·"], ""))
        for k, (a, rl, cl, what) in enumerate(mats):
            tables.append(_matrix_table(s.names[k], title(k, a.shape, what), a, rl, cl))
    else:
        for g in _gate_names(ws.cell):
            a = np.hstack([ws.gate(ws.w_ih, g), ws.gate(ws.w_hh, g), ws.gate(ws.b_ih, g)[:, None],
                           ws.gate(ws.b_hh, g)[:, None]])
            cols = ([f"x[{i}]" for i in range(I)] + [f"h[{j}]" for j in range(H)]
                    + [mathml_inline(f"b_{{i{g}}}"), mathml_inline(f"b_{{h{g}}}")])
            k = _gate_names(ws.cell).index(g)
            cap = (f"Gate {g} ({GATE_TITLES[g]}): {mathml_inline(f'W_{{i{g}}}')} | {mathml_inline(f'W_{{h{g}}}')} | "
                   f"{mathml_inline(f'b_{{i{g}}}')} | {mathml_inline(f'b_{{h{g}}}')} <span>= rows {k * H}–{k * H + H - 1} of "
                   f"<code>weight_ih_l0</code>, <code>weight_hh_l0</code>, <code>bias_ih_l0</code>, "
                   f"<code>bias_hh_l0</code></span>")
            tables.append(_matrix_table(f"gate_{g}", cap, a, units, cols, corner="unit"))
    if ws.w_out is not None:
        k = len(s.names) - 2
        if s.row_major:
            tables.append(_matrix_table(s.names[k], title(k, ws.w_out.T.shape, "rows: neurons, columns: outputs"),
                                        ws.w_out.T, units, outs))
            tables.append(_matrix_table(s.names[k + 1], title(k + 1, (1, ws.output_size), "a row"),
                                        ws.b_out[None], ["·"], outs))
        else:
            tables.append(_matrix_table(s.names[k], title(k, ws.w_out.shape, "rows: outputs, columns: units"),
                                        ws.w_out, outs, units))
            tables.append(_matrix_table(s.names[k + 1], title(k + 1, (ws.output_size, 1), ""),
                                        ws.b_out[:, None], outs, ["·"]))
    return "<div class='tables'>" + "".join(f"<div class='t'>{t}</div>" for t in tables) + "</div>"


def mathml_inline(expr: str) -> str:
    return mathml(expr).replace("display='block'", "display='inline'")


def _token(ws: Worksheet, t: int) -> str:
    """'h' (id 2) for token step t (0-based)."""
    i = ws.token_ids[t]
    return f"‘{esc(ws.token_labels[i])}’ (id {i})"


def _inputs(ws: Worksheet) -> str:
    """The inputs (one column per step; one row per step for the row-major notation) and h0 (c0)."""
    s, T = ws.scheme, ws.length
    steps = [_label(s, s.input, t + s.first_step) for t in range(T)]
    comps = [str(i) for i in range(ws.input_size)]
    if ws.token_ids is not None:
        steps = [f"{lab}<br><span class='tok'>{_token(ws, t)}</span>" for t, lab in enumerate(steps)]
    if s.row_major:
        inputs = _matrix_table("x", "Inputs, one row per step", ws.x, steps, comps)
    else:
        inputs = _matrix_table("x", "Inputs, one column per step", ws.x.T, comps, steps)
    init = _label(s, s.state, s.first_step - 1)
    extra = ""
    if ws.token_ids is not None:
        w = mathml_inline(s.math[0] if ws.cell == "rnn" else "W_{i·}")
        part = "row" if s.row_major else "column"
        extra = (f"<p class='hint'>The inputs are one-hot vectors: {w} times the input is just the {part} of "
                 f"{w} at the token's id.</p>")
    states = [(ws.h0, "h0", f"Initial state {init}")]
    if ws.c0 is not None:
        states.append((ws.c0, "c0", f"Initial cell state {_label(s, 'c', 0)}"))
    blocks = [inputs]
    for vec, name, cap in states:
        if s.row_major:
            blocks.append(_matrix_table(name, cap, vec[None], ["·"], [str(j) for j in range(ws.hidden)]))
        else:
            blocks.append(_matrix_table(name, cap, vec[:, None], [str(j) for j in range(ws.hidden)], ["·"]))
    return "<div class='tables'>" + "".join(f"<div class='t'>{b}</div>" for b in blocks) + "</div>" + extra


def _rows(ws: Worksheet) -> list[tuple[str, str]]:
    """The state rows of a step table: (key name, HTML label template with {t})."""
    s = ws.scheme
    if ws.cell == "rnn":
        act = "tanh" if ws.nonlinearity == "tanh" else "relu"
        return [("pre", f"sum inside {act}"), ("h", s.state)]
    if ws.cell == "lstm":
        return [("i", "i"), ("f", "f"), ("g", "g"), ("o", "o"), ("c", "c"), ("h", "h")]
    return [("r", "r"), ("z", "z"), ("n", "n"), ("h", "h")]


def _step_table(ws: Worksheet, t: int, key: AnswerKey | None) -> str:
    """One step's boxes (empty on the sheet, filled in the key): state rows by unit, then outputs."""
    s, H, O = ws.scheme, ws.hidden, ws.output_size
    n = max(H, O)
    shown_t = t + s.first_step
    what = f" = {_token(ws, t)}" if ws.token_ids is not None else " from the inputs table"
    cap = f"Step {shown_t}: input {_label(s, s.input, shown_t)}{what}"

    def cell(kind: str, j: int, value: float | None) -> str:
        attrs = f"data-k='{kind}' data-t='{shown_t}' data-u='{j}'"
        if key is None:
            return f"<td class='box' {attrs}></td>"
        return f"<td class='ans' {attrs}>{fmt(value, KEY_DECIMALS)}</td>"

    def row(kind: str, label: str, count: int, values: np.ndarray | None) -> str:
        cells = "".join(cell(kind, j, None if values is None else values[t, j]) for j in range(count))
        pad = "<td class='pad'></td>" * (n - count)
        return f"<tr><th scope='row'>{label}</th>{cells}{pad}</tr>"

    boxes = key.boxes() if key is not None else {}
    unit_head = "".join(f"<th scope='col'>unit {j}</th>" for j in range(H)) + "<th class='pad'></th>" * (n - H)
    body = [f"<tr class='head'><th></th>{unit_head}</tr>"]
    for kind, label in _rows(ws):
        lab = _label(s, label, shown_t) if kind != "pre" else label
        body.append(row(kind, lab, H, boxes.get(kind)))
    if O:
        names = ws.token_labels if ws.token_labels is not None and len(ws.token_labels) == O and \
            ws.cfg.inputs == "text" else None
        heads = "".join(f"<th scope='col'>output {k}" + (f" ‘{esc(names[k])}’" if names else "") + "</th>"
                        for k in range(O)) + "<th class='pad'></th>" * (n - O)
        body.append(f"<tr class='head'><th></th>{heads}</tr>")
        body.append(row("logits", _label(s, s.logits, shown_t) + " <span class='small'>scores</span>", O,
                        boxes.get("logits")))
        body.append(row("probs", _label(s, s.probs, shown_t) + " <span class='small'>softmax</span>", O,
                        boxes.get("probs")))
    return (f"<table class='work{' filled' if key is not None else ''}' data-step='{shown_t}'><caption>{cap}</caption>"
            f"<tbody>{''.join(body)}</tbody></table>")


def title(ws: Worksheet) -> str:
    """The sheet's title line: cell, sizes, notation and where the numbers come from."""
    cell = choice_label("cell", ws.cell)
    if len(cells.get(ws.cell).nonlinearities) > 1:
        cell += f" ({choice_label('nonlinearity', ws.nonlinearity)})"
    out = f"output {ws.output_size} (softmax)" if ws.output_size else "no output layer"
    kind = "one-hot tokens" if ws.token_ids is not None else "dense vectors"
    return (f"{cell}: hidden {ws.hidden}, input {ws.input_size} ({kind}), {ws.length} step"
            f"{'s' if ws.length > 1 else ''}, {out}")


def variant_text(ws: Worksheet) -> str:
    if ws.variant is not None:
        return f"Variant {ws.variant}"
    return "The page's own numbers"


def _source(ws: Worksheet) -> str:
    c = ws.cfg
    if ws.variant is not None and c.inputs == "notebook":  # the notebook draws inputs and weights from one seed
        src = (f"Variant {ws.variant} = the app with this configuration and weight seed {ws.variant} "
               f"(the notebook's draws after np.random.seed({ws.variant}))")
    elif ws.variant is not None:
        src = (f"Variant {ws.variant} = the app with this configuration and weight seed = input seed = "
               f"{ws.variant}")
    else:
        src = f"The numbers on the app's page (weight seed {c.weight_seed}, input seed {c.input_seed})"
    if c.batch > 1:
        src += f"; sample {ws.sample} of the batch of {c.batch}"
    inputs = choice_label("inputs", c.inputs)
    if c.inputs == "text":
        inputs += f" {c.text!r}"
    return f"{src}. Inputs: {inputs}. Notation: {choice_label('notation', c.notation) if ws.cell == 'rnn' else 'PyTorch'}."


_CSS = """
@page { margin: 12mm 13mm 14mm 13mm; }
* { box-sizing: border-box; }
html { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; font-size: 10pt;
       color: #000; background: #fff; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0 auto; max-width: 182mm; line-height: 1.3; }
math { font-family: "DejaVu Math TeX Gyre", "STIX Two Math", "Latin Modern Math", math; font-size: 1.1em; }
h1 { font-size: 15pt; margin: 0 0 1mm 0; }
h2 { font-size: 12pt; margin: 4mm 0 1.5mm 0; border-bottom: 0.4mm solid #000; break-after: avoid; }
p { margin: 1mm 0; }
.sub { font-size: 10.5pt; margin: 0 0 2mm 0; }
.fill { display: flex; gap: 6mm; margin: 2mm 0 3mm 0; }
.fill span { flex: 1; border-bottom: 0.3mm solid #000; padding-top: 4mm; font-size: 9pt; }
.rules { border: 0.4mm solid #000; padding: 2mm 3mm; margin: 2mm 0; }
.tol { font-weight: bold; }
.eqs div div { margin: 0.6mm 0; }
.eqs { display: flex; flex-wrap: wrap; gap: 0 10mm; }
.defs math { margin-right: 8mm; }
.tables { display: flex; flex-wrap: wrap; gap: 3mm 6mm; align-items: flex-start; }
.t { break-inside: avoid; }
table { border-collapse: collapse; break-inside: avoid; }
caption { text-align: left; font-size: 9pt; padding-bottom: 0.8mm; caption-side: top; }
caption span, .small { font-size: 8pt; color: #333; }
table.num th, table.num td { border: 0.25mm solid #000; padding: 0.6mm 1.6mm; font-size: 9.5pt; }
table.num td { text-align: right; font-variant-numeric: tabular-nums; min-width: 11mm; }
table.num thead th, table.num th[scope='row'] { background: #e8e8e8; font-weight: normal; font-size: 8.5pt; }
.tok { font-size: 8pt; }
.hint { font-size: 9pt; font-style: italic; }
table.work { margin: 0 0 3mm 0; width: 100%; table-layout: fixed; }
table.work caption { font-size: 10pt; font-weight: bold; }
table.work th, table.work td { border: 0.3mm solid #000; }
table.work th { background: #e8e8e8; font-weight: normal; font-size: 9pt; padding: 0.5mm 1mm; }
table.work th[scope='row'] { width: 34mm; text-align: left; padding-left: 2mm; }
table.work td.box { height: 10mm; }
table.work td.ans { height: 6.5mm; text-align: right; padding: 0 2mm; font-variant-numeric: tabular-nums; }
table.work .pad { border: none; background: none; }
table.work tr.head th { text-align: center; }
.key { break-before: page; }
.key h1 { font-size: 14pt; }
.src { font-size: 8.5pt; margin: 0 0 1mm 0; overflow-wrap: anywhere; }
.src a { color: #000; }
@page { @bottom-left { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 7.5pt; vertical-align: top;
                       padding-top: 2.5mm; overflow-wrap: anywhere; }
        @bottom-right { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 7.5pt; vertical-align: top;
                        padding-top: 2.5mm; white-space: nowrap; } }
@media screen { body { padding: 8mm; } .key { margin-top: 10mm; border-top: 1mm dashed #000; padding-top: 4mm; } }
"""


MARGIN_LINK_CHARS = 110  # the running footer holds one or two lines; the full link is on page 1


def css_string(text: str) -> str:
    """``text`` as a CSS string literal that cannot end the string or the <style> element: everything
    but plain ASCII letters, digits and a few safe marks becomes a hex escape (``\\3c `` for ``<``)."""
    safe = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;/_-=?+()")
    return '"' + "".join(c if c in safe else f"\\{ord(c):x} " for c in text) + '"'


def _running_footer(ws: Worksheet) -> str:
    """The footer Chromium prints at the bottom of every page (a CSS page-margin box), and a page count."""
    text = f"rnnviz worksheet · {variant_text(ws)}"
    if ws.link:
        link = ws.link if len(ws.link) <= MARGIN_LINK_CHARS else ws.link[:MARGIN_LINK_CHARS - 1] + "…"
        text += f" · {link}"
    return ("@page { @bottom-left { content: " + css_string(text) + "; } "
            "@bottom-right { content: \"page \" counter(page) \" of \" counter(pages); } }")


def _link(ws: Worksheet) -> str:
    if not ws.link:
        return ""
    link = esc(ws.link)
    # Only a web address becomes a hyperlink; anything else (javascript: ...) stays plain text.
    return " · Open it in rnnviz: " + (f"<a href='{link}'>{link}</a>" if re.match(r"https?://", ws.link) else link)


def render_html(ws: Worksheet, key: AnswerKey | None = None, *, include_key: bool = True) -> str:
    """The whole sheet as one self-contained HTML page: questions, then the answer key on a new page
    (``include_key=False``: the questions alone, e.g. to show on a student's screen)."""
    key = key or answer_key(ws)
    s = ws.scheme
    tol = fmt(key.tolerance, max(0, -math.floor(math.log10(key.tolerance)))) if math.isfinite(key.tolerance) else "∞"
    tol_note = ""
    if key.tolerance > 0.01:
        tol_note = (" This sheet's weights or inputs are large, so rounding errors grow from step to step "
                    "(smaller weights give a ±0.01 sheet).")
    steps = f"{_label(s, s.state, s.first_step)} … {_label(s, s.state, s.first_step + ws.length - 1)}"
    what = {"rnn": f"the sum inside the nonlinearity and {steps}",
            "lstm": f"the gates i, f, g, o, the cell state c and {steps}",
            "gru": f"the gates r, z, n and {steps}"}[ws.cell]
    if ws.output_size:
        what += " and the softmax output (scores first)"
    head_title = f"RNN by hand · {variant_text(ws)} · {title(ws)}"
    rules = (f"<div class='rules'><p>Fill in every box: {what}, step by step. Use a calculator for "
             f"tanh, exp{', σ' if ws.cell != 'rnn' else ''} and scrap paper for the sums. Write every box, and every sum "
             f"inside tanh{', σ' if ws.cell != 'rnn' else ''}{' or relu' if ws.nonlinearity == 'relu' and ws.cell == 'rnn' else ''}, "
             f"with 3 decimals and go on from what you wrote.</p><p class='tol'>Answers within ±{tol} of the key count as right.{esc(tol_note)}</p></div>")
    questions = (
        f"<header><h1>RNN by hand — {esc(variant_text(ws))}</h1><p class='sub'>{esc(title(ws))}</p>"
        f"<p class='src'>{esc(_source(ws))}{_link(ws)}</p>"
        f"<div class='fill'><span>Name</span><span>Class</span><span>Date</span></div></header>{rules}"
        f"<h2>The cell</h2>{_equations_html(ws)}"
        f"{_definitions(ws)}"
        f"<h2>Given (rounded to 2 decimals)</h2>{_given(ws)}"
        f"<h2>Inputs and initial state</h2>{_inputs(ws)}"
        f"<h2>Your work</h2>{''.join(_step_table(ws, t, None) for t in range(ws.length))}"
    )
    answers = (
        f"<section class='key'><h1>Answer key — {esc(variant_text(ws))}</h1><p class='sub'>{esc(title(ws))}</p>"
        f"<p>Computed from the rounded numbers printed on the sheet; shown to 3 decimals. Answers within "
        f"±{tol} count as right (a computation that writes every result to 3 decimals stays within "
        f"±{fmt(key.bound, 4)} here).</p>"
        f"{''.join(_step_table(ws, t, key) for t in range(ws.length))}</section>"
    ) if include_key else ""
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{esc(head_title)}</title><style>{_CSS}{_running_footer(ws)}</style></head>"
            f"<body><main class='sheet'>{questions}</main>{answers}</body></html>")


def worksheet_html(cfg: Config, variant: int | None, *, model: RNNModel | None = None, vocab: Vocab | None = None,
                   link: str | None = None, include_key: bool = True) -> str:
    """:func:`make_worksheet` then :func:`render_html`: the page the UI offers for download/printing."""
    return render_html(make_worksheet(cfg, variant, model=model, vocab=vocab, link=link), include_key=include_key)


def filename(ws: Worksheet) -> str:
    """A download name, e.g. ``rnnviz-worksheet-lstm-variant-7.html``."""
    which = f"variant-{ws.variant}" if ws.variant is not None else "page"
    return f"rnnviz-worksheet-{ws.cell}-{which}.html"
