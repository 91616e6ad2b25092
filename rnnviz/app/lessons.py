"""Lessons: guided predict-then-reveal walks through the formulations, declared as data (issue 10).

A lesson is an ordered list of :class:`Step`; a step sets the view (any Config fields, applied
through the URL codec, so ``?lesson=<id>&q=<n>`` reproduces it), says a short prompt, and may ask
one :class:`Question`. A question never stores its answer: every kind computes it from the
engine for the numbers on screen (the page's trace, a forward pass of a formulation's own code,
backpropagation, or forward passes with one input changed), grades a committed answer, and says
where the answer comes from (:class:`Where`: the step, unit and term of the live equation to
highlight, or the view to open).

NumPy only (no streamlit): the page (rnnviz/ui/lessons.py) draws the panel and the list.

Question kinds (one class each):

* :class:`NextToken` - which token the network ranks first after reading step t;
* :class:`UnitValue` - the sign, range or value of one unit's h_t given its equation's terms;
* :class:`GateExtreme` - which sigmoid gate of an LSTM/GRU unit is closest to 1 (or 0) at a step;
* :class:`GradientReach` - how much of the gradient of the last step's loss reaches step 0
  (larger or smaller, and by how much), for the page's model or a fresh RNN vs a fresh LSTM;
* :class:`Reads` - which inputs a forward, reverse or concatenated output column has read;
* :class:`Shape` - the shape of an array in a formulation's own notation, from running that
  formulation's code (``rnn_forward``, ``torch_forward``, ``unrolled_forward``, ``MinimalRNN``).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from typing import Callable, ClassVar

import numpy as np

from .. import analysis, cells, pretrained
from ..compat import MinimalRNN, rnn_forward, to_torch_state_dict, torch_forward, unrolled_forward
from ..network import forward
from ..trace import Trace
from .codec import from_values
from .compute import Computed, fresh_model
from .inputs import InputBatch
from .knobs import DEFAULT, LESSONS as LESSON_CHOICES, Config
from .markdown import markdown_literal
from .notation import spoken, state_letter, symbols

NO_LESSON = "none"


# ---------------------------------------------------------------- what a question sees and says


@dataclass(frozen=True)
class Ctx:
    """The numbers on screen: the page's Config (its view fields too: the sample) and what it computed."""

    cfg: Config
    computed: Computed

    @property
    def trace(self) -> Trace:
        return self.computed.trace

    @property
    def T(self) -> int:
        return self.trace.seq_len

    @property
    def sample(self) -> int:
        return min(self.cfg.sample, self.trace.batch_size - 1)

    def step(self, t: int) -> int:
        """A step of the lesson's data inside this sequence (-1: the last one)."""
        return self.T - 1 if t < 0 else min(t, self.T - 1)

    def unit(self, j: int) -> int:
        return min(j, self.trace.layers[0][0].hidden_size - 1)

    def label(self, t: int) -> str:
        """What step t reads, as the page writes it: ‘l’, ‘⏎’, or x3 for a dense input."""
        labels = self.labels()
        return f"‘{labels[t]}’" if self.computed.batch.tokens else labels[t]

    def labels(self) -> list[str]:
        """Every step's input label, escaped for Markdown (typed text may hold * _ $ ...)."""
        return [markdown_literal(lab) for lab in self.computed.batch.step_labels(self.sample)]

    @property
    def letter(self) -> str:
        """The notation's name of the hidden state: h, a (functional notebook), Y (TensorFlow)."""
        return state_letter(self.cfg.notation, self.cfg.cell)

    def state(self, t: int | str = "t") -> str:
        """The state at step ``t`` as the notation writes it: h_3, a⟨3⟩, Y_3."""
        return f"a⟨{t}⟩" if self.letter == "a" else f"{self.letter}_{t}"


@dataclass(frozen=True)
class Where:
    """Where an answer comes from on the page's views (None: leave it as it is)."""

    step: int | None = None
    unit: int | None = None
    slot: str | None = None  # a slot of the live equation (rnnviz/cells/*.py), outlined in the player
    out: int | None = None  # an output (softmax bar) outlined
    steps: tuple[int, ...] = ()  # inputs marked in the time strip
    direction: str | None = None  # "forward" / "reverse": the half the player shows
    tab: str = "step"  # one of TABS
    explore: str | None = None  # the Explore view to open

    def highlight(self) -> dict | None:
        """The player's ``highlight`` entry (rnnviz/figures/player.py): what to outline, and at which
        step and unit (outlines show only there)."""
        if self.tab != "step" or (self.slot is None and self.out is None and not self.steps):
            return None
        return {"step": self.step, "unit": self.unit, "slot": self.slot, "out": self.out, "steps": list(self.steps)}


# The page's tabs an answer may point to (rnnviz/ui/views/__init__.py names them).
TABS = {"step": "Step through time", "gates": "Gates & cell state", "bidirectional": "Bidirectional",
        "weights": "Weights", "explore": "Explore"}


@dataclass(frozen=True)
class Answer:
    """The true answer for the numbers on screen."""

    right: frozenset[str]  # the option keys that are right (empty for a number to type)
    text: str  # the answer, as the reveal says it (Markdown)
    why: str  # where it comes from, with the numbers (Markdown)
    where: Where
    value: float | None = None  # a number to type: the true value
    tolerance: float = 0.0  # ... and how far from it still counts as right


Option = tuple[str, str]  # (key, label shown)


class Question:
    """One prediction question. Subclasses compute everything from ``Ctx``; nothing is stored."""

    kind: ClassVar[str] = ""
    typed: ClassVar[bool] = False  # the answer is a typed number, not an option

    def problem(self, ctx: Ctx) -> str | None:
        """Why this question cannot be asked of this configuration (None: it can)."""
        return None

    def ask(self, ctx: Ctx) -> str:
        raise NotImplementedError

    def given(self, ctx: Ctx) -> list[str]:
        """Markdown lines the student reasons from (equation terms ...); never the answer."""
        return []

    def options(self, ctx: Ctx) -> list[Option]:
        return []

    def solve(self, ctx: Ctx) -> Answer:
        raise NotImplementedError

    def shown_steps(self, ctx: Ctx) -> int | None:
        """How many steps of the trace the page may show before the student commits (None: none).
        A question about step t shows steps 0 .. t-1 only: step t would give the answer away."""
        return None

    def grade(self, ctx: Ctx, committed: str) -> bool:
        """Whether ``committed`` (an option key, or the typed text) is right for these numbers."""
        answer = self.solve(ctx)
        if self.typed:
            value = parse_number(committed)
            return value is not None and abs(value - answer.value) <= answer.tolerance + 1e-12
        return committed in answer.right


def parse_number(text: str) -> float | None:
    """A typed number ('0.42', '-.3', '−0,42', ' 1e-2 '); None when it is not one."""
    cleaned = str(text).strip().replace("−", "-").replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def fmt(value: float, digits: int = 4) -> str:
    """A number as the page writes it: fixed decimals, a real minus sign."""
    if not math.isfinite(value):
        return "overflow" if math.isnan(value) else ("∞" if value > 0 else "−∞")
    return f"{value:.{digits}f}".replace("-", "−")


def _tex(value: float) -> str:
    return f"{value:.4f}"


def _top(probs: np.ndarray) -> np.ndarray:
    """Outputs ranked best first, ties in index order (as the player ranks them)."""
    return np.argsort(-probs, kind="stable")


# ---------------------------------------------------------------- next token


@dataclass(frozen=True)
class NextToken(Question):
    """Which token the network ranks first after reading step ``step`` (its softmax at that step)."""

    kind: ClassVar[str] = "next"
    step: int = 0

    def problem(self, ctx: Ctx) -> str | None:
        if ctx.trace.probs is None:
            return "This configuration has no output layer, so there is no next-token guess to predict."
        if not ctx.computed.batch.tokens:
            return "The inputs are vectors, not tokens: there is no next token to predict."
        return None

    def _labels(self, ctx: Ctx) -> list[str]:
        O = ctx.trace.probs.shape[-1]
        labels = ctx.computed.batch.token_labels or []
        return [markdown_literal(str(s)) for s in labels] if len(labels) == O else [str(k) for k in range(O)]

    def ask(self, ctx: Ctx) -> str:
        t = ctx.step(self.step)
        what = "character" if ctx.cfg.inputs == "text" else "token"
        return (f"The network has just read {ctx.label(t)} at step {t}. Which {what} does it rank first as the "
                f"next one?")

    def given(self, ctx: Ctx) -> list[str]:
        t = ctx.step(self.step)
        labels = ctx.labels()
        if ctx.computed.batch.tokens:
            return [f"Read so far (steps 0 … {t}): " + " ".join(f"‘{lab}’" for lab in labels[: t + 1])]
        return []

    def options(self, ctx: Ctx) -> list[Option]:
        return [(str(k), f"‘{lab}’") for k, lab in enumerate(self._labels(ctx))]

    def solve(self, ctx: Ctx) -> Answer:
        t = ctx.step(self.step)
        probs = ctx.trace.probs[t, ctx.sample]
        order = _top(probs)
        labels = self._labels(ctx)
        best = int(order[0])
        ranked = ", ".join(f"‘{labels[k]}’ {probs[k]:.2f}" for k in order[:3])
        why = (f"The softmax at step {t} (the bars on the right of the step player) ranks {ranked}. "
               f"It is computed from {ctx.state(t)} alone, through the output layer.")
        return Answer(frozenset({str(best)}), f"‘{labels[best]}’ (probability {probs[best]:.2f})", why,
                      Where(step=t, out=best))

    def shown_steps(self, ctx: Ctx) -> int | None:
        return ctx.step(self.step)


# ---------------------------------------------------------------- one unit's value


RANGE_BINS = {"tanh": ((-math.inf, -0.5, "below −0.5"), (-0.5, 0.0, "from −0.5 to 0"), (0.0, 0.5, "from 0 to 0.5"),
                       (0.5, math.inf, "above 0.5")),
              "relu": ((-math.inf, 1e-300, "0 (the sum is not positive)"), (1e-300, 0.5, "above 0, below 0.5"),
                       (0.5, 1.0, "from 0.5 to 1"), (1.0, math.inf, "above 1"))}


def _term_labels(notation: str, cell: str, slots: tuple[str, ...], t: int, j: int, b: int, batch: int) -> dict[str, str]:
    """LaTeX of each input slot of the vanilla RNN's equation at step t, unit j (sample b): the
    notation's own symbols (W_ih x_t, W_xh x_t, W_ax x^<t>, X_t W_x ...)."""
    s = symbols(notation, cell)
    prev = s.h_prev
    idx = f"{b},{j}" if s.row_major else f"{j}"
    out = {"xw": f"({s.x} {s.w_ih})_{{{idx}}}" if s.row_major else f"({s.w_ih} {s.x})_{{{idx}}}",
           "hw": f"({prev} {s.w_hh})_{{{idx}}}" if s.row_major else f"({s.w_hh} {prev})_{{{idx}}}",
           "bih": f"({s.b_ih})_{{{j}}}", "bhh": f"({s.b_hh})_{{{j}}}", "b": f"({s.b_ih})_{{{j}}}"}
    return {k: v for k, v in out.items() if k in slots}


@dataclass(frozen=True)
class UnitValue(Question):
    """h of unit ``unit`` at step ``step`` (layer 0, forward direction, the viewed sample) given the
    equation's terms: its sign, its range (tanh: four bins around ±0.5), or its value to type."""

    kind: ClassVar[str] = "unit"
    step: int = 0
    unit: int = 0
    mode: str = "sign"  # "sign" | "range" | "value"
    tolerance: float = 0.01

    def __post_init__(self) -> None:
        if self.mode not in ("sign", "range", "value"):
            raise ValueError(f"mode {self.mode!r}")

    @property
    def typed(self) -> bool:  # type: ignore[override]
        return self.mode == "value"

    def problem(self, ctx: Ctx) -> str | None:
        if ctx.cfg.cell != "rnn":
            return "This question is about the vanilla RNN's equation; the cell here is gated."
        return None

    def _slots(self, ctx: Ctx) -> tuple[tuple[str, ...], np.ndarray]:
        """The equation's slot names and their values at (t, j), as the live equation shows them."""
        cell = cells.get("rnn")
        sym = symbols(ctx.cfg.notation, "rnn")
        eq = cell.equation(sym, nonlinearity=ctx.computed.model.nonlinearity)
        values = cell.equation_values(ctx.computed.model.layers[0][0], ctx.trace.layers[0][0], ctx.sample, sym)
        return eq.slots, values[ctx.step(self.step), ctx.unit(self.unit)]

    def _name(self, ctx: Ctx) -> str:
        t, j = ctx.step(self.step), ctx.unit(self.unit)
        who = f" of sample {ctx.sample}" if ctx.trace.batch_size > 1 else ""
        return f"unit {j}{who} at step {t}"

    def ask(self, ctx: Ctx) -> str:
        act = ctx.computed.model.nonlinearity
        value = f"{ctx.state()} = {act}(sum of the terms)"
        if self.mode == "sign":
            if act == "relu":
                return f"For {self._name(ctx)}: is {value} zero or positive?"
            return f"For {self._name(ctx)}: is {value} positive or negative?"
        if self.mode == "range":
            return f"For {self._name(ctx)}: in which range is {value}?"
        return (f"For {self._name(ctx)}: compute {value} yourself, to 2 decimals (answers within "
                f"±{self.tolerance:g} count as right).")

    def given(self, ctx: Ctx) -> list[str]:
        slots, vals = self._slots(ctx)
        t, j = ctx.step(self.step), ctx.unit(self.unit)
        labels = _term_labels(ctx.cfg.notation, "rnn", slots, t, j, ctx.sample, ctx.trace.batch_size)
        terms = [f"${labels[name]} = {_tex(vals[k])}$" for k, name in enumerate(slots) if name in labels]
        terms = ", ".join(terms[:-1]) + " and " + terms[-1]  # not "·": between numbers it reads as a product
        read = f"It reads {ctx.label(t)} at step {t}."
        if t == 0 and not (ctx.cfg.inputs == "notebook"):
            read += " Before the first step the state is all zeros."
        return [read, "The terms inside the nonlinearity: " + terms + "."]

    def options(self, ctx: Ctx) -> list[Option]:
        act = ctx.computed.model.nonlinearity
        if self.mode == "sign":
            return [("zero", "zero"), ("pos", "positive")] if act == "relu" else [("neg", "negative"), ("pos", "positive")]
        if self.mode == "range":
            return [(str(k), label) for k, (_, _, label) in enumerate(RANGE_BINS[act])]
        return []

    def solve(self, ctx: Ctx) -> Answer:
        slots, vals = self._slots(ctx)
        t, j = ctx.step(self.step), ctx.unit(self.unit)
        pre, h = float(vals[slots.index("pre")]), float(vals[slots.index("h")])
        act = ctx.computed.model.nonlinearity
        why = (f"The terms add up to {fmt(pre)}, and {act}({fmt(pre)}) = {fmt(h)}: the live equation of "
               f"{self._name(ctx)} (its last number is the colour of that cell in the heatmap).")
        where = Where(step=t, unit=j, slot="h")
        if self.mode == "value":
            return Answer(frozenset(), f"{ctx.state(t)} = {fmt(h)}", why, where, value=h, tolerance=self.tolerance)
        if self.mode == "sign":
            key = ("pos" if h > 0 else "zero") if act == "relu" else ("pos" if h >= 0 else "neg")
            label = dict(self.options(ctx))[key]
        else:
            key = next(str(k) for k, (lo, hi, _) in enumerate(RANGE_BINS[act]) if lo <= h < hi)
            label = RANGE_BINS[act][int(key)][2]
        return Answer(frozenset({key}), f"{label}: {ctx.state(t)} = {fmt(h)}", why, where)

    def shown_steps(self, ctx: Ctx) -> int | None:
        return ctx.step(self.step)


# ---------------------------------------------------------------- gates


@dataclass(frozen=True)
class GateExtreme(Question):
    """Which sigmoid gate (LSTM i, f, o; GRU r, z) of unit ``unit`` at step ``step`` is closest to
    ``target``: "1", "0", or "either" (the most decided: farthest from 0.5)."""

    kind: ClassVar[str] = "gate"
    step: int = 0
    unit: int = 0
    target: str = "1"

    def problem(self, ctx: Ctx) -> str | None:
        if not cells.get(ctx.cfg.cell).gated:
            return "This question is about a gated cell (LSTM or GRU); the cell here has no gates."
        return None

    def _gates(self, ctx: Ctx) -> list[cells.Gate]:
        return [g for g in cells.get(ctx.computed.model.cell).gates if g.kind == "sigmoid"]

    def ask(self, ctx: Ctx) -> str:
        t, j = ctx.step(self.step), ctx.unit(self.unit)
        goal = {"1": "closest to 1 (lets the most through)", "0": "closest to 0 (blocks the most)",
                "either": "closest to 0 or to 1 (the most decided)"}[self.target]
        return f"Unit {j} at step {t}: which gate is {goal}?"

    def given(self, ctx: Ctx) -> list[str]:
        t, j = ctx.step(self.step), ctx.unit(self.unit)
        lt = ctx.trace.layers[0][0]
        H, names = lt.hidden_size, list(lt.gate_names)
        pre = lt.ih[t, ctx.sample] + lt.hh[t, ctx.sample]
        sums = [f"{g.name}: {fmt(pre[names.index(g.name) * H + j])}" for g in self._gates(ctx)]
        sums = "; ".join(sums)
        return [f"It reads {ctx.label(t)} at step {t}. Each gate is σ(sum of its terms), σ(s) = 1 / (1 + e^(−s)).",
                f"The sums inside σ — {sums}."]

    def options(self, ctx: Ctx) -> list[Option]:
        return [(g.name, f"{g.name} ({g.title})") for g in self._gates(ctx)]

    def solve(self, ctx: Ctx) -> Answer:
        t, j = ctx.step(self.step), ctx.unit(self.unit)
        lt = ctx.trace.layers[0][0]
        values = {g.name: float(lt.gate(g.name)[t, ctx.sample, j]) for g in self._gates(ctx)}
        score = {"1": lambda v: v, "0": lambda v: -v, "either": lambda v: abs(v - 0.5)}[self.target]
        best = max(values, key=lambda n: score(values[n]))  # dict order breaks ties: the cell's gate order
        listed = ", ".join(f"{n} = {fmt(v, 3)}" for n, v in values.items())
        why = (f"At step {t}, unit {j}: {listed}. σ grows with its argument, so the largest sum gives the value "
               f"closest to 1 and the smallest the value closest to 0. The live equation writes each gate's terms "
               f"and value; the Gates & cell state tab shows them over time.")
        title = next(g.title for g in self._gates(ctx) if g.name == best)
        return Answer(frozenset({best}), f"{best}, the {title}: {fmt(values[best], 3)}", why,
                      Where(step=t, unit=j, slot=best))

    def shown_steps(self, ctx: Ctx) -> int | None:
        return ctx.step(self.step)


# ---------------------------------------------------------------- gradients through time


FLOW_BINS = ((1.0, math.inf, "larger: it grows on the way back"),
             (1e-2, 1.0, "smaller, but more than 1/100 of it"),
             (1e-4, 1e-2, "between 1/10,000 and 1/100 of it"),
             (0.0, 1e-4, "less than 1/10,000 of it"))


def reach(model, inputs: np.ndarray) -> float:
    """‖∂L_{T-1}/∂h_0‖ / ‖∂L_{T-1}/∂h_{T-1}‖ of layer 0: how much of the last step's loss gradient
    reaches the first state (rnnviz.analysis.gradient_flow, the Explore tab's measure)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        g = analysis.gradient_flow(model, inputs)
        T = g.shape[0]
        return float(g[T - 1, 0] / g[T - 1, T - 1])


@dataclass(frozen=True)
class GradientReach(Question):
    """How much of the gradient of the last step's loss reaches step 0.

    ``compare=()``: for the page's model, larger or smaller than at the last step (and by how much:
    FLOW_BINS). ``compare=("rnn", "lstm")``: which of two freshly initialised cells (the sidebar's
    initialisation and seed, the page's input) keeps more of it."""

    kind: ClassVar[str] = "gradient"
    compare: tuple[str, ...] = ()

    def problem(self, ctx: Ctx) -> str | None:
        if ctx.cfg.bidirectional:
            return "The gradient through time is measured here for one direction; this model is bidirectional."
        if ctx.T < 2:
            return "The input has one step: there is no earlier state for the gradient to reach."
        return None

    def _inputs(self, ctx: Ctx) -> np.ndarray:
        return ctx.computed.batch.data[:, ctx.sample][: analysis.MAX_FLOW_STEPS]

    def ask(self, ctx: Ctx) -> str:
        last = min(ctx.T, analysis.MAX_FLOW_STEPS) - 1
        if self.compare:
            a, b = (cells.get(c).title for c in self.compare)
            return (f"Which keeps more of the gradient on its way from the loss at step {last} back to step 0: a "
                    f"fresh {a} or a fresh {b} (same initialisation, seed and input)?")
        return (f"The loss at the last step, L_{last}, sends a gradient back to every earlier state. Compared with "
                f"‖∂L_{last}/∂h_{last}‖, is ‖∂L_{last}/∂h_0‖ larger or smaller, and by how much?")

    def options(self, ctx: Ctx) -> list[Option]:
        if self.compare:
            return [(c, f"the {cells.get(c).title}") for c in self.compare]
        return [(str(k), label) for k, (_, _, label) in enumerate(FLOW_BINS)]

    def _carry(self, model, x: np.ndarray, d: int) -> str:
        path = analysis.gate_path(model, x, d)
        if path is None:
            return ""
        return (f" Its carry gate {path.gate} averages {path.mean:.2f}; along the {'cell state' if path.gate == 'f' else 'state'} "
                f"alone the gradient is multiplied by {path.gate} at every step, {path.product:.2g} over {d} steps.")

    def solve(self, ctx: Ctx) -> Answer:
        x = self._inputs(ctx)
        last = x.shape[0] - 1
        where = Where(tab="explore", explore="Vanishing gradients")
        loss = ("the cross-entropy against the model's own most likely output" if ctx.computed.model.w_out is not None
                else "the sum of h_t (there is no output layer)")
        if self.compare:
            ratios = {c: reach(fresh_model(ctx.cfg, cell=c, layers=1, bidirectional=False), x) for c in self.compare}
            best = max(ratios, key=lambda c: ratios[c] if math.isfinite(ratios[c]) else -1.0)
            listed = "; ".join(f"fresh {cells.get(c).title}: {ratios[c]:.2g}" for c in self.compare)
            gated = [c for c in self.compare if cells.get(c).gated]
            carry = "".join(self._carry(fresh_model(ctx.cfg, cell=c, layers=1, bidirectional=False), x, last)
                            for c in gated)
            why = (f"‖∂L_{last}/∂h_0‖ / ‖∂L_{last}/∂h_{last}‖ — {listed} (L_t: {loss}).{carry} "
                   f"Explore → Vanishing gradients draws these curves for every distance.")
            return Answer(frozenset({best}), f"the {cells.get(best).title} ({ratios[best]:.2g} of it reaches step 0)",
                          why, where)
        r = reach(ctx.computed.model, x)
        key = next((str(k) for k, (lo, hi, _) in enumerate(FLOW_BINS) if lo <= r < hi), "0")
        why = (f"‖∂L_{last}/∂h_0‖ / ‖∂L_{last}/∂h_{last}‖ = {r:.2g} for this model (L_t: {loss})."
               f"{self._carry(ctx.computed.model, x, last)} Explore → Vanishing gradients draws this for every "
               f"step and distance.")
        return Answer(frozenset({key}), f"{FLOW_BINS[int(key)][2]} ({r:.2g} of it)", why, where)

    def shown_steps(self, ctx: Ctx) -> int | None:
        return ctx.T  # the forward values do not give the gradients away


# ---------------------------------------------------------------- what a column has read


READS = ("upto", "from", "after", "only", "all")


def inputs_read(model, inputs: np.ndarray, t: int, half: str, *, h0: np.ndarray | None = None) -> frozenset[int]:
    """The inputs whose change changes ``half`` ("forward" / "reverse" / "output") of layer 0's
    state at step t: each input in turn is replaced (token: the next id; vector: +1) and the
    sequence run again through the engine."""
    x = np.asarray(inputs)
    tokens = x.ndim == 1

    def column(seq: np.ndarray) -> np.ndarray:
        out = forward(model, seq[:, None], h0=h0).layers[0]
        parts = {"forward": [out[0].h], "reverse": [out[-1].h], "output": [d.h for d in out]}[half]
        return np.concatenate([p[t, 0] for p in parts])

    base = column(x)
    read = set()
    for k in range(x.shape[0]):
        changed = x.copy()
        if tokens:
            changed[k] = (changed[k] + 1) % model.input_size
        else:
            changed[k] = changed[k] + 1.0
        if not np.array_equal(column(changed), base):
            read.add(k)
    return frozenset(read)


@dataclass(frozen=True)
class Reads(Question):
    """Which inputs the ``half`` ("forward", "reverse" or "output" = both concatenated) of layer
    0's state at step ``step`` has read: the answer comes from running the sequence again with one
    input changed at a time."""

    kind: ClassVar[str] = "reads"
    step: int = 0
    half: str = "reverse"

    def problem(self, ctx: Ctx) -> str | None:
        if self.half != "forward" and not ctx.cfg.bidirectional:
            return "This question is about the reverse direction; this model runs forwards only."
        if ctx.computed.batch.tokens and ctx.cfg.input_size < 2:
            return "With one token there is nothing to change an input to."
        return None

    def _what(self, ctx: Ctx, t: int) -> str:
        return {"forward": f"The forward half h_fwd[{t}]", "reverse": f"The reverse half h_rev[{t}]",
                "output": f"PyTorch's output[{t}] = [h_fwd[{t}] ; h_rev[{t}]]"}[self.half]

    def ask(self, ctx: Ctx) -> str:
        t = ctx.step(self.step)
        return f"{self._what(ctx, t)}, at step {t} ({ctx.label(t)}): which inputs has it read?"

    def given(self, ctx: Ctx) -> list[str]:
        return ["The inputs, step by step: " + " · ".join(f"{k}: ‘{lab}’" for k, lab in enumerate(ctx.labels()))]

    def _sets(self, ctx: Ctx, t: int) -> dict[str, frozenset[int]]:
        T = ctx.T
        return {"upto": frozenset(range(t + 1)), "from": frozenset(range(t, T)), "after": frozenset(range(t + 1, T)),
                "only": frozenset({t}), "all": frozenset(range(T))}

    def options(self, ctx: Ctx) -> list[Option]:
        t, last = ctx.step(self.step), ctx.T - 1
        return [("upto", f"steps 0 … {t} (up to and including its own input)"),
                ("from", f"steps {t} … {last} (its own input and all later ones)"),
                ("after", f"steps {t + 1} … {last} (only later ones)" if t < last else "none (there is no later step)"),
                ("only", f"only step {t}"), ("all", f"every step, 0 … {last}")]

    def solve(self, ctx: Ctx) -> Answer:
        t = ctx.step(self.step)
        b = ctx.sample
        x = ctx.computed.batch.data[:, b]
        h0 = ctx.trace.layers[0][0].h0[b][None, None] if ctx.computed.batch.h0 is not None else None
        found = inputs_read(ctx.computed.model, x, t, self.half, h0=h0)
        sets = self._sets(ctx, t)
        right = frozenset(k for k, s in sets.items() if s == found)
        shown = _ranges(sorted(found))
        why = (f"Changing one input at a time and running the network again: {self._what(ctx, t)} changes when "
               f"input {shown} changes, and for no other input.")
        if self.half == "reverse":
            why += (" The reverse RNN reads from the last input backwards; PyTorch stores its state at the index of "
                    "the input it has just read.")
        label = dict(self.options(ctx)).get(next(iter(sorted(right)), ""), f"steps {shown}")
        direction = None if self.half == "output" else self.half
        return Answer(right, label, why, Where(step=t, steps=tuple(sorted(found)), direction=direction))


def _ranges(ks: list[int]) -> str:
    """[0, 1, 2, 5] -> '0 … 2, 5'."""
    if not ks:
        return "none"
    parts, start = [], ks[0]
    for a, b in zip(ks, ks[1:] + [None]):
        if b != a + 1:
            parts.append(str(start) if start == a else f"{start} … {a}")
            start = b
    return ", ".join(parts)


# ---------------------------------------------------------------- shapes in a formulation's notation


@dataclass(frozen=True)
class ArraySpec:
    """An array of a formulation: the dimensions it spans (unordered: the order is the question),
    how its shape is obtained by running that formulation's own code, and where the page shows it."""

    dims: frozenset[str]
    shape: Callable[[Ctx, bool], tuple[int, ...]]  # (ctx, batch_first) -> the shape the code returns
    call: str  # the code, as a student writes it
    expr: str  # the array, as that code names it
    tab: str = "step"


def _dense_inputs(ctx: Ctx) -> np.ndarray:
    """(T, B, I) float inputs: the page's vectors, or its tokens one-hot."""
    data = ctx.computed.batch.data
    if data.ndim == 2:
        return np.eye(ctx.computed.model.input_size)[data]
    return np.asarray(data, dtype=np.float64)


def _functional(ctx: Ctx) -> tuple[np.ndarray, np.ndarray]:
    """``a, y_pred = rnn_forward(x, a0, parameters)`` with the page's numbers."""
    m = ctx.computed.model
    p = m.layers[0][0]
    params = {"Wax": p.w_ih, "Waa": p.w_hh, "ba": (p.b_ih + p.b_hh)[:, None], "Wya": m.w_out, "by": m.b_out[:, None]}
    x = _dense_inputs(ctx).transpose(2, 1, 0)  # (T, B, I) -> (n_x, m, T_x)
    a0 = ctx.trace.layers[0][0].h0.T  # (n_a, m)
    a, y_pred, _ = rnn_forward(x, a0, params)
    return a, y_pred


def _torch(ctx: Ctx, batch_first: bool) -> tuple[np.ndarray, np.ndarray]:
    """``output, h_n = rnn(x)`` of the equivalent torch module (rnnviz.compat.torch_forward)."""
    m = ctx.computed.model
    x = _dense_inputs(ctx)
    if batch_first:
        x = x.swapaxes(0, 1)
    out = torch_forward(to_torch_state_dict(m), x, m.cell, num_layers=m.num_layers, bidirectional=m.bidirectional,
                        batch_first=batch_first, nonlinearity=m.nonlinearity, output_prefix=None)
    state = out[1][0] if isinstance(out[1], tuple) else out[1]
    return out[0], state


def _class(ctx: Ctx) -> dict:
    """A MinimalRNN holding the page's arrays, and what its forward returns for the page's tokens."""
    m = ctx.computed.model
    p = m.layers[0][0]
    net = MinimalRNN(m.input_size, m.hidden_size, m.output_size or 1, seed=0)
    net.Wxh, net.Whh, net.bh = p.w_ih, p.w_hh, (p.b_ih + p.b_hh)[:, None]
    if m.w_out is not None:
        net.Why, net.by = m.w_out, m.b_out[:, None]
    xs, hs, ys, ps = net.forward(list(ctx.computed.batch.data[:, ctx.sample]))
    return {"net": net, "xs": xs, "hs": hs, "ys": ys, "ps": ps}


def _tf(ctx: Ctx) -> tuple[list[np.ndarray], np.ndarray]:
    m = ctx.computed.model
    p = m.layers[0][0]
    Wx, Wy, b = p.w_ih.T, p.w_hh.T, (p.b_ih + p.b_hh)[None]
    return unrolled_forward(_dense_inputs(ctx), Wx, Wy, b), Wx


def _state_dict_shape(name: str) -> Callable[[Ctx, bool], tuple[int, ...]]:
    return lambda ctx, bf: tuple(to_torch_state_dict(ctx.computed.model)[name].shape)


# Per formulation (notation.spoken): array name -> ArraySpec. Dimension names as each writes them:
# functional n_x, n_a, n_y, m, T_x; PyTorch's docs N, L, H_in, H_out, D (directions); TensorFlow's
# book n_inputs, n_neurons and the mini-batch's instances; the class input/hidden/output_size.
SHAPES: dict[str, dict[str, ArraySpec]] = {
    "functional": {
        "a": ArraySpec(frozenset({"n_a", "m", "T_x"}), lambda c, bf: _functional(c)[0].shape,
                       "a, y_pred, caches = rnn_forward(x, a0, parameters)", "a"),
        "y_pred": ArraySpec(frozenset({"n_y", "m", "T_x"}), lambda c, bf: _functional(c)[1].shape,
                            "a, y_pred, caches = rnn_forward(x, a0, parameters)", "y_pred"),
        "Wax": ArraySpec(frozenset({"n_a", "n_x"}), lambda c, bf: c.computed.model.layers[0][0].w_ih.shape,
                         "a, y_pred, caches = rnn_forward(x, a0, parameters)", "parameters['Wax']", "weights"),
    },
    "torch": {
        "weight_ih_l0": ArraySpec(frozenset({"H_out", "H_in"}), _state_dict_shape("weight_ih_l0"),
                                  "rnn = nn.RNN(H_in, H_out)", "rnn.weight_ih_l0", "weights"),
        "output": ArraySpec(frozenset({"N", "L", "D·H_out"}), lambda c, bf: _torch(c, bf)[0].shape,
                            "output, h_n = rnn(x)", "output"),
        "h_n": ArraySpec(frozenset({"N", "D·num_layers", "H_out"}), lambda c, bf: _torch(c, bf)[1].shape,
                         "output, h_n = rnn(x)", "h_n"),
    },
    "tensorflow": {
        "Wx": ArraySpec(frozenset({"n_inputs", "n_neurons"}), lambda c, bf: _tf(c)[1].shape,
                        "Y0 = tf.tanh(tf.matmul(X0, Wx) + b)", "Wx", "weights"),
        "Y0": ArraySpec(frozenset({"n_instances", "n_neurons"}), lambda c, bf: _tf(c)[0][0].shape,
                        "Y0 = tf.tanh(tf.matmul(X0, Wx) + b)", "Y0"),
    },
    "class": {
        "Wxh": ArraySpec(frozenset({"hidden_size", "input_size"}), lambda c, bf: np.shape(_class(c)["net"].Wxh),
                         "rnn = MinimalRNN(input_size, hidden_size, output_size)", "rnn.Wxh", "weights"),
        "hs[t]": ArraySpec(frozenset({"hidden_size", "1"}), lambda c, bf: _class(c)["hs"][0].shape,
                           "xs, hs, ys, ps = rnn.forward(inputs)", "hs[t]"),
        "ps[t]": ArraySpec(frozenset({"output_size", "1"}), lambda c, bf: _class(c)["ps"][0].shape,
                           "xs, hs, ys, ps = rnn.forward(inputs)", "ps[t]"),
    },
}


def dim_sizes(ctx: Ctx) -> dict[str, int]:
    """What each dimension name stands for in this configuration."""
    m = ctx.computed.model
    I, H, O = m.input_size, m.hidden_size, m.output_size or 0
    B, T, D = ctx.trace.batch_size, ctx.T, m.num_directions
    return {"n_x": I, "n_a": H, "n_y": O, "m": B, "T_x": T,
            "N": B, "L": T, "H_in": I, "H_out": H, "D·H_out": D * H, "D·num_layers": D * m.num_layers,
            "n_inputs": I, "n_neurons": H, "n_instances": B,
            "input_size": I, "hidden_size": H, "output_size": O, "1": 1}


def _tuple(names: tuple[str, ...]) -> str:
    return "(" + ", ".join(n.strip() for n in names) + ")"


@dataclass(frozen=True)
class Shape(Question):
    """The shape of ``array`` in the page's formulation (its notation), from running that formulation's
    code on the page's numbers; the options are every order of the array's dimension names."""

    kind: ClassVar[str] = "shape"
    array: str = "a"
    batch_first: bool = False

    def _spec(self, ctx: Ctx) -> ArraySpec | None:
        return SHAPES.get(spoken(ctx.cfg.notation, ctx.cfg.cell), {}).get(self.array)

    def problem(self, ctx: Ctx) -> str | None:
        if self._spec(ctx) is None:
            return f"The {ctx.cfg.notation} notation has no array called {self.array} for this cell."
        if ctx.cfg.layers != 1 and spoken(ctx.cfg.notation, ctx.cfg.cell) != "torch":
            return "This formulation is written for one layer."
        return None

    def ask(self, ctx: Ctx) -> str:
        spec = self._spec(ctx)
        bf = " (batch_first=True)" if self.batch_first else ""
        return f"`{spec.call}`{bf}: what is the shape of `{spec.expr}`?"

    def given(self, ctx: Ctx) -> list[str]:
        spec, sizes = self._spec(ctx), dim_sizes(ctx)
        return ["The sizes here: " + ", ".join(f"{n.strip()} = {sizes[n]}" for n in sorted(spec.dims, key=str.lower)
                                                if n != "1")]

    def _orders(self, ctx: Ctx) -> list[tuple[str, ...]]:
        dims = sorted(self._spec(ctx).dims, key=str.lower)
        return list(dict.fromkeys(itertools.permutations(dims)))

    def options(self, ctx: Ctx) -> list[Option]:
        return [(_tuple(order), _tuple(order)) for order in self._orders(ctx)]

    def solve(self, ctx: Ctx) -> Answer:
        spec, sizes = self._spec(ctx), dim_sizes(ctx)
        with np.errstate(over="ignore", invalid="ignore"):
            shape = tuple(int(n) for n in spec.shape(ctx, self.batch_first))
        right = frozenset(_tuple(o) for o in self._orders(ctx) if tuple(sizes[n] for n in o) == shape)
        names = " or ".join(sorted(right)) or "none of the orders offered"
        why = (f"Running `{spec.call}` with this page's numbers gives `{spec.expr}.shape == {shape}`, and here "
               + ", ".join(f"{n.strip()} = {sizes[n]}" for n in sorted(spec.dims, key=str.lower) if n != "1") + ".")
        return Answer(right, f"{names} = {shape}", why, Where(tab=spec.tab))


# ---------------------------------------------------------------- lessons as data


Prompt = str | Callable[[Ctx], str]


@dataclass(frozen=True)
class Step:
    """One step: the view it sets (Config fields, as a URL or a widget gives them), what the teacher
    says, and at most one question."""

    prompt: Prompt
    values: dict = field(default_factory=dict)
    question: Question | None = None

    def say(self, ctx: Ctx) -> str:
        return self.prompt(ctx) if callable(self.prompt) else self.prompt


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    question: str  # the question the lesson answers
    formulation: str
    values: dict  # the set-up every step starts from
    hide: tuple[str, ...]  # controls a student should not touch (they would make the prompts untrue)
    steps: tuple[Step, ...]

    @property
    def questions(self) -> int:
        return sum(s.question is not None for s in self.steps)


# Controls every lesson hides: its model and formulation are the point of the lesson.
_FIXED = ("cell", "nonlinearity", "layers", "bidirectional", "notation", "inputs", "weights", "init", "scale",
          "zero_bias", "output_size", "batch")
_BRACKETS = pretrained.card("brackets-rnn")
_DEPTH_UNIT = _BRACKETS.units[0].unit  # the unit its model card measured following the nesting depth
_DIALOGUE_TEXT = 'tom said "PLEASE THE'  # 20 characters of the dialogue corpus (the trained LSTM reads them)


def _class_prompt(ctx: Ctx) -> str:
    m = ctx.computed.model
    return (f"In the class formulation (MinimalRNN) the inputs are one-hot columns: x_t has input_size = "
            f"{m.input_size} entries, one per character of the text, and h_t has hidden_size = {m.hidden_size}. "
            f"Wxh·x_t picks the column of Wxh that belongs to the character read.")


def _depth_prompt(ctx: Ctx) -> str:
    unit = _BRACKETS.units[0]
    return (f"Its model card says unit {unit.unit} {unit.what} (correlation r = {unit.r:+.2f} with the depth over "
            f"its corpus). Look at its terms while it reads a fourth ‘(’ in a row.")


LESSONS: dict[str, Lesson] = {lesson.id: lesson for lesson in (
    Lesson(
        "hidden-state", "The hidden state, step by step", LESSON_CHOICES["hidden-state"],
        "class (Wxh, Whh, Why, bh, by)",
        dict(notation="class", inputs="text", text="hello world", hidden=6),
        _FIXED + ("text", "sample"),
        (
            Step("A recurrent network keeps one vector, its hidden state h_t, and rewrites all of it after every "
                 "character it reads: h_t = tanh(Wxh·x_t + Whh·h_(t−1) + bh). Before the first character its "
                 "memory is empty (h_(−1) = 0), so at step 0 only the input and the bias count.",
                 question=UnitValue(step=0, unit=0, mode="sign")),
            Step("From the second character on, Whh·h_(t−1) brings in everything read before. ‘l’ comes twice in a "
                 "row in “hello”: the same column of Wxh is added both times, but the memory it is added to differs. "
                 "The same unit as before, three characters later:",
                 question=UnitValue(step=3, unit=0, mode="range")),
            Step(_class_prompt, question=Shape(array="Wxh")),
            Step("MinimalRNN.forward keeps every step's state in a dict keyed by time: hs[t] is h_t, as a column "
                 "vector (the class works with columns throughout).", question=Shape(array="hs[t]")),
        ),
    ),
    Lesson(
        "by-hand", "One step by hand", LESSON_CHOICES["by-hand"], "functional (Wax, Waa, ba)",
        dict(notation="functional", inputs="notebook", input_size=3, hidden=3, output_size=2, batch=10, length=4,
             weight_seed=1),
        _FIXED + ("input_size", "hidden", "batch", "length", "input_seed"),
        (
            Step("The notebook's rnn_forward(x, a0, parameters) runs a⟨t⟩ = tanh(Wax·x⟨t⟩ + Waa·a⟨t−1⟩ + ba) over "
                 "every step for a batch of m examples at once; x has the shape (n_x, m, T_x): features, examples, "
                 "time. Here n_a = 3 units, so every step is small enough to do by hand.",
                 question=Shape(array="a")),
            Step("Your turn: the three terms of one unit are below (the notebook draws a random a0, so Waa·a⟨t−1⟩ "
                 "is not zero even at the first step). Add them and take tanh — a calculator is fine. Steps count "
                 "from 0 here, as NumPy indexes a[:, :, t]; the notebook's equations call step 0 a⟨1⟩.",
                 question=UnitValue(step=0, unit=0, mode="value")),
            Step("The next step reads the next input and the state you just computed. Another unit this time.",
                 question=UnitValue(step=1, unit=2, mode="value")),
            Step("y_pred holds the softmax of Wya·a⟨t⟩ + by for every step and example. A worksheet with these numbers "
                 "(or a variant for each student) is below.", question=Shape(array="y_pred")),
        ),
    ),
    Lesson(
        "pytorch", "nn.RNN is this loop", LESSON_CHOICES["pytorch"], "PyTorch (weight_ih_l0 …, batch_first)",
        dict(notation="torch", inputs="random_dense", input_size=4, hidden=3, output_size=0, batch=2, length=5,
             init="torch_default", sample=1),
        _FIXED + ("input_size", "hidden", "batch", "length"),
        (
            Step(lambda c: (f"`rnn = nn.RNN(input_size={c.computed.model.input_size}, hidden_size="
                            f"{c.computed.model.hidden_size}, batch_first=True)`. Its state_dict holds weight_ih_l0, "
                            "weight_hh_l0, bias_ih_l0 and bias_hh_l0 — the arrays the app computes with (Weights "
                            "tab). PyTorch's docs call the sizes H_in (input_size) and H_out (hidden_size)."),
                 question=Shape(array="weight_ih_l0")),
            Step("With batch_first=True the input x has the shape (N, L, H_in): batch, sequence length, features.",
                 question=Shape(array="output", batch_first=True)),
            Step("h_n is the last state of every layer and direction (D = 2 when bidirectional).",
                 question=Shape(array="h_n", batch_first=True)),
            Step("Is nn.RNN just this loop? For every t it computes h_t = tanh(W_ih·x_t + b_ih + W_hh·h_(t−1) + b_hh): "
                 "PyTorch keeps two biases and adds both. The terms of one unit are below.",
                 question=UnitValue(step=2, unit=1, mode="sign")),
        ),
    ),
    Lesson(
        "unrolled", "Two steps unrolled", LESSON_CHOICES["unrolled"], "TensorFlow (Wx, Wy, b)",
        dict(notation="tensorflow", inputs="tf_example", hidden=5, output_size=0, init="normal", scale=1.0,
             zero_bias=True, sample=1),
        _FIXED + ("hidden", "sample"),
        (
            Step("The book unrolls two steps by hand: Y0 = tanh(X0·Wx + b), Y1 = tanh(Y0·Wy + X1·Wx + b). X0 is a "
                 "mini-batch: one row per instance, one column per input feature; the weights act from the right.",
                 question=Shape(array="Wx")),
            Step("Y0 has one row per instance too.", question=Shape(array="Y0")),
            Step("The first step has no Y_(−1) (it starts from zeros) and b is zero here: only X0·Wx counts.",
                 question=UnitValue(step=0, unit=2, mode="sign")),
            Step("Instance 1 of the mini-batch is X1 = [0, 0, 0] at the second step, so X1·Wx adds nothing: Y1 "
                 "comes from Y0·Wy alone.", question=UnitValue(step=1, unit=3, mode="range")),
        ),
    ),
    Lesson(
        "bidirectional", "Forwards and backwards", LESSON_CHOICES["bidirectional"], "PyTorch bidirectional",
        dict(notation="torch", inputs="text", text="hello world", bidirectional=True, hidden=8),
        _FIXED + ("sample",),
        (
            Step("A bidirectional RNN runs two RNNs over the same text: the forward one from the first character to "
                 "the last, the reverse one from the last character to the first.",
                 question=Reads(step=3, half="forward")),
            Step("PyTorch stores each reverse state at the index of the input it has just read, so h_rev[t] lines "
                 "up with h_fwd[t] under the same character.", question=Reads(step=3, half="reverse")),
            Step("PyTorch's output[t] is [h_fwd[t] ; h_rev[t]], the two halves side by side.",
                 question=Reads(step=3, half="output")),
            Step("`rnn = nn.RNN(input_size, hidden_size, bidirectional=True)`; x has the shape (L, N, H_in) "
                 "(batch_first is False by default).", question=Shape(array="output")),
        ),
    ),
    Lesson(
        "vanishing", "Why a plain RNN forgets", LESSON_CHOICES["vanishing"], "RNN vs LSTM",
        dict(inputs="text", text=_DIALOGUE_TEXT, hidden=16),
        _FIXED + ("text", "hidden", "sample"),
        (
            Step("To learn that something read at step 0 matters at the end, training needs the gradient of the last "
                 "step's loss with respect to h_0. Backpropagation through time carries it back one step at a time, "
                 "multiplying by W_hh and by tanh′ (at most 1) at every step.",
                 dict(cell="rnn"), GradientReach()),
            Step("An LSTM adds a cell state, c_t = f_t ⊙ c_(t−1) + i_t ⊙ g_t: along c the gradient is only multiplied "
                 "by the forget gate f_t at each step. Fresh weights put every gate near σ(0) = 0.5.",
                 dict(cell="lstm"), GradientReach(compare=("rnn", "lstm"))),
            Step("This LSTM was trained on short stories with dialogue (a model shipped with rnnviz): its gates are no "
                 "longer near 0.5.", dict(cell="lstm", weights="trained:dialogue-lstm"),
                 GateExtreme(step=8, unit=28, target="1")),
            Step("The first question again, for the trained LSTM.", dict(cell="lstm", weights="trained:dialogue-lstm"),
                 GradientReach()),
        ),
    ),
    Lesson(
        "counting", "Counting brackets", LESSON_CHOICES["counting"], "any: a trained vanilla RNN (brackets-rnn)",
        dict(inputs="text", text="()\n()\n(((())))\n((()))", weights="trained:brackets-rnn"),
        _FIXED + ("text", "sample", "weight_seed"),
        (
            Step("This vanilla RNN (16 units) was trained on lines of balanced brackets. To guess the next character "
                 "well it has to know how many brackets are open.", question=NextToken(step=9)),
            Step(_depth_prompt, question=UnitValue(step=9, unit=_DEPTH_UNIT, mode="range")),
            Step("Four ‘)’ later the brackets are balanced again.",
                 question=UnitValue(step=13, unit=_DEPTH_UNIT, mode="range")),
            Step("The line is balanced now: only ‘⏎’ (end of line) or a new ‘(’ can come next, never ‘)’.",
                 question=NextToken(step=13)),
            Step("A shallower group, “((()))”, closes at step 20: balanced again.", question=NextToken(step=20)),
        ),
    ),
)}


# ---------------------------------------------------------------- opening a step


def lesson(lesson_id: str) -> Lesson | None:
    return LESSONS.get(lesson_id)


def position_problem(lesson_id: str, q: int) -> str | None:
    """Why ``?lesson=<id>&q=<q>`` cannot open (None: it can)."""
    if lesson_id == NO_LESSON:
        return None
    found = LESSONS.get(lesson_id)
    if found is None:
        shown = lesson_id if len(lesson_id) <= 40 else lesson_id[:40] + "..."
        return f"There is no lesson {shown!r}; the lessons are listed below."
    if not 1 <= q <= len(found.steps):
        return (f"The lesson {lesson_id!r} has {len(found.steps)} steps; there is no step {q}. "
                "Open it from the list below.")
    return None


def step_values(lesson_id: str, q: int) -> dict:
    """The Config values of step ``q`` (1-based) of a lesson (a shipped model is ``weights="trained:<name>"``).

    The values start from the defaults: a step link reproduces the step, whatever was on screen."""
    found = LESSONS[lesson_id]
    step = found.steps[q - 1]
    return {**found.values, **step.values, "lesson": lesson_id, "q": q, "hide": frozenset(found.hide)}


def step_config(lesson_id: str, q: int, extra: dict | None = None) -> tuple[Config, list[str]]:
    """``step_values`` through the URL codec (``extra``: URL values that override the step's)."""
    cfg, notices = from_values({**step_values(lesson_id, q), **(extra or {})}, base=DEFAULT)
    return cfg, notices


def steps_of(cfg: Config) -> tuple[Lesson, Step] | None:
    """The lesson and step ``cfg`` is at, if any."""
    found = LESSONS.get(cfg.lesson)
    if found is None or not 1 <= cfg.q <= len(found.steps):
        return None
    return found, found.steps[cfg.q - 1]


# ---------------------------------------------------------------- what the page may show before a commit


def truncated(computed: Computed, steps: int) -> Computed:
    """``computed`` cut to its first ``steps`` steps (a forward model's states at those steps do not
    depend on later inputs): what the page shows while a question about step ``steps`` waits."""
    if not 1 <= steps <= computed.trace.seq_len:
        raise ValueError(f"steps must be in [1, {computed.trace.seq_len}], got {steps}")
    if computed.model.bidirectional:
        raise ValueError("a bidirectional trace cannot be cut: its reverse half has read the later inputs")
    tr = computed.trace
    cut = lambda a: None if a is None else a[:steps]  # noqa: E731
    layers = [[replace(lt, ih=lt.ih[:steps], hh=lt.hh[:steps], h=lt.h[:steps], gates=cut(lt.gates), c=cut(lt.c))
               for lt in layer] for layer in tr.layers]
    last = [lt.h[steps - 1] for layer in layers for lt in layer]
    c_last = [lt.c[steps - 1] for layer in layers for lt in layer] if tr.c_n is not None else None
    trace = Trace(tr.cell, tr.nonlinearity, tr.inputs[:steps], layers, tr.output[:steps], np.stack(last),
                  None if c_last is None else np.stack(c_last), cut(tr.logits), cut(tr.probs))
    b = computed.batch
    batch = InputBatch(b.data[:steps], b.token_labels, b.h0)
    return Computed(computed.cfg, computed.model, batch, trace, None)


def describe(found: Lesson) -> str:
    """One line for the lesson list: length and formulation."""
    n, k = len(found.steps), found.questions
    return f"{n} steps, {k} question{'s' if k != 1 else ''} · {found.formulation}"

