"""Sentences the page says about what is on screen, as functions of the configuration.

A teaching tool is judged first by whether what it says is true: every sentence that depends on
the configuration is written here, once, so tests can check it against the numbers for every
configuration it can appear in. Markdown; user text is escaped.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import cells
from ..analysis import GatePath
from ..trace import Trace
from .knobs import Config, choice_label
from .markdown import markdown_literal

if TYPE_CHECKING:  # only for the hint: the page passes a card it already holds
    from ..pretrained import ModelCard

# Beyond this, float32 charts saturate (the engine itself computes in float64).
FLOAT32_MAX = float(np.finfo(np.float32).max)


def cell_name(cfg: Config) -> str:
    """'vanilla RNN (tanh)', 'LSTM', ..."""
    return choice_label("cell", cfg.cell) + (f" ({cfg.nonlinearity})" if len(cells.get(cfg.cell).nonlinearities) > 1 else "")


def colour_key(cfg: Config) -> str:
    """How the hidden-state heatmaps colour a value: diverging around 0 for tanh-bounded states,
    sequential for a ReLU RNN's states (never negative; see figures.style.colorscale)."""
    if cfg.nonlinearity == "relu" and cfg.cell == "rnn":
        return "dark purple at 0 up to yellow at the largest value: ReLU states are never negative"
    return "blue negative, red positive"


@dataclass(frozen=True)
class OutputMeaning:
    """What the softmax bars mean for a configuration: one decision for the story, the softmax
    chart and the time strip (and any other view of the output)."""

    has_output: bool  # an output layer (a softmax) exists
    next_token: bool  # its output at t is a guess of input t+1
    axis_title: str  # the softmax chart's category axis
    show_true_next: bool  # mark the true next token (time strip and softmax bars)
    sentence: str  # for the story


def output_meaning(cfg: Config) -> OutputMeaning:
    """Whether the output at step t is a next-token guess.

    It is only for a unidirectional model reading tokens whose output vocabulary is its input
    vocabulary (typed text: always; token ids: when output size = input size). Dense inputs and
    the functional notebook have per-step class outputs and no next token; token ids with another
    output size (the class preset: 10 in, 5 out) output classes, not tokens; a bidirectional
    model's output at t has already seen input t+1 through its reverse half.
    """
    if cfg.output_size <= 0:
        return OutputMeaning(False, False, "", False, "it has no output layer (output size 0): its output is the "
                                                      "hidden state itself. ")
    tokens = cfg.inputs in ("text", "ids", "random_ids")
    same_vocab = tokens and cfg.output_size == cfg.input_size
    O = cfg.output_size
    if cfg.bidirectional:
        sentence = ("the bars on the right are its softmax output at the current step. Being bidirectional, that "
                    "output has seen the future: the reverse half has already read every input after step t (the "
                    "next one included), so it is not a guess of the next token. ")
        return OutputMeaning(True, False, "output class", False, sentence)
    if same_vocab:
        return OutputMeaning(True, True, "next token", True,
                             "the bars on the right are its softmax guess for the next token (the true next one is "
                             "outlined in green). ")
    if tokens:
        why = f"it has {O} outputs for {cfg.input_size} input tokens, so an output is a class, not a next token"
    else:
        why = "its inputs are vectors, not tokens: there is no next token to guess"
    return OutputMeaning(True, False, "output class", False,
                         f"the bars on the right are its softmax output over {O} classes at the current step ({why}). ")


def story(cfg: Config, *, has_softmax: bool | None = None) -> str:
    """One paragraph saying what the page shows right now (the weights' origin aside).
    ``has_softmax`` is implied by ``cfg.output_size`` (kept for callers that pass it)."""
    shape = f"{cfg.layers}-layer " if cfg.layers > 1 else ""
    shape += "bidirectional " if cfg.bidirectional else ""
    what = {
        "text": f"reads “{markdown_literal(cfg.text if len(cfg.text) <= 40 else cfg.text[:40] + '…')}” one character at a time",
        "ids": f"reads the token ids {list(cfg.ids[:12])}{'…' if len(cfg.ids) > 12 else ''}",
        "random_ids": f"reads {cfg.length} random token ids",
        "random_dense": f"reads {cfg.length} random {cfg.input_size}-dimensional vectors",
        "tf_example": "reads the TensorFlow example's mini-batch (X0, X1: 4 instances × 3 features)",
        "notebook": f"runs the functional notebook's set-up (np.random.seed({cfg.weight_seed}): x, a0, Waa, Wax, Wya, ba, by)",
    }[cfg.inputs]
    article = "An" if not shape and cfg.cell == "lstm" else "A"  # "an LSTM" (el-), "a GRU" (gee-)
    return (f"{article} {shape}**{cell_name(cfg)}** with **{cfg.hidden} hidden units** {what}. Each column of the heatmap is "
            f"its hidden state after reading that input ({colour_key(cfg)}); " + output_meaning(cfg).sentence)


def weights_sentence(cfg: Config, *, trained: tuple[str, int, float | None] | None, uploaded: bool) -> str:
    """Where the weights come from. ``trained``: (corpus, steps, bits/char) of a model trained
    here that the page shows; ``uploaded``: the page shows an uploaded file."""
    if trained is not None:
        corpus, steps, bits = trained
        loss = f", {bits:.2f} bits per character at the last step" if bits is not None else ""
        return f"Its weights were **trained here** on the *{markdown_literal(corpus)}* corpus for {steps} steps{loss} (Train tab)."
    if uploaded:
        return "The weights come from your uploaded file."
    if cfg.inputs == "notebook":
        return ""
    origin = class_draws(cfg) if cfg.init == "class" else f"Its weights are random (seed {cfg.weight_seed})"
    return (f"{origin}: it has not learned anything yet, so watch the mechanics, not the meaning. Press **▶ Play** or "
            "click a cell to explain it.")


def shipped_weights(card: "ModelCard") -> str:
    """Where the weights come from when a lesson shows a trained model shipped with rnnviz
    (``card``: its rnnviz.pretrained.ModelCard)."""
    return (f"Its weights are those of **{card.name}**, a model shipped with rnnviz: {card.describe_model()}, "
            f"trained on the *{card.corpus}* corpus ({card.bits_per_char:.2f} bits per character on "
            f"{card.measured_on}; the best guess without context needs {card.unigram_bits_per_char:.2f}).")


MINIMAL_SCALE = 0.01  # MinimalRNN's randn * 0.01


def class_draws(cfg: Config) -> str:
    """What the "class" initialisation reproduces for this configuration (see app.compute.class_model)."""
    seed = cfg.weight_seed
    call = f"`MinimalRNN({cfg.input_size}, {cfg.hidden}, {cfg.output_size}, seed={seed})`"
    recipe = f"np.random.seed({seed}), then randn·{cfg.scale:g}"
    same_shape = cfg.cell == "rnn" and cfg.layers == 1 and not cfg.bidirectional
    if same_shape and cfg.output_size > 0 and cfg.scale == MINIMAL_SCALE:
        return (f"Its weights are random, and exactly those of {call}: {recipe} for Wxh "
                f"({cfg.hidden} × {cfg.input_size}), Whh ({cfg.hidden} × {cfg.hidden}) and Why "
                f"({cfg.output_size} × {cfg.hidden}) in that order, biases zero")
    if same_shape and cfg.output_size > 0:
        return (f"Its weights are random, drawn the class's way ({recipe} for Wxh, Whh, Why, biases zero): those of "
                f"{call} times {cfg.scale / MINIMAL_SCALE:g}, since the class itself scales by {MINIMAL_SCALE:g}")
    if same_shape and cfg.scale == MINIMAL_SCALE:
        return (f"Its weights are random, drawn the class's way ({recipe} for Wxh, then Whh, biases zero): the Wxh "
                f"and Whh of `MinimalRNN({cfg.input_size}, {cfg.hidden}, O, seed={seed})` for any O, without the "
                "class's output layer")
    return (f"Its weights are random, drawn the class's way ({recipe} for each weight matrix in turn, biases zero); "
            "the class itself is a one-layer, one-direction vanilla RNN, so it holds none of these matrices")


def previous_state(cfg: Config, symbol: str = "h") -> str:
    """The state step t starts from, as the viewed direction reads it: h_(t-1) forward, h_(t+1)
    for the reverse direction (which runs from the last step to the first)."""
    reverse = cfg.bidirectional and cfg.direction == "reverse"
    return f"{symbol}_{{t+1}}" if reverse else f"{symbol}_{{t−1}}"


def change_label(cfg: Config, symbol: str = "h") -> str:
    """The title of the Δh bars: the change from the state this step started from."""
    label = f"change from {previous_state(cfg, symbol)}"
    return label + " (reverse: the state before this step)" if cfg.bidirectional and cfg.direction == "reverse" else label


@dataclass(frozen=True)
class BidirectionalText:
    text: str  # the paragraph above the charts
    title: str  # the concatenation chart's title
    halves: tuple[str, str]  # its labels of the forward and the reverse half
    h_n: str  # the caption on h_n


def bidirectional_text(cfg: Config, steps: int) -> BidirectionalText:
    """What the Bidirectional tab says about the viewed layer: the first layer reads x; a higher
    layer reads the layer below (whose output at every step has already seen the whole sequence),
    and only the top layer's concatenation is PyTorch's ``output``."""
    layer, last, T = cfg.layer, cfg.layers - 1, steps
    src = "x" if layer == 0 else f"o{layer - 1}"
    reads = ("" if layer == 0 else f"Its input is the output of layer {layer - 1}, o{layer - 1}[t] = "
             f"[h_fwd[t] ; h_rev[t]] of that layer. ")
    text = (f"Layer {layer} runs twice. {reads}The **forward** half reads {src}[0] → {src}[{T - 1}]; the **reverse** "
            f"half reads {src}[{T - 1}] → {src}[0]. PyTorch (and rnnviz) store the reverse states **at the time index of "
            "the input they just read**, so column t of both halves belongs to input t, and ")
    if layer == last:
        text += "`output[t] = [h_fwd[t] ; h_rev[t]]` (PyTorch's `output`). "
        title = "output[t] = [forward h_t ; reverse h_t] (PyTorch's concatenation)"
    else:
        text += (f"o{layer}[t] = [h_fwd[t] ; h_rev[t]] is what layer {layer + 1} reads at step t (PyTorch's `output` is "
                 f"the top layer's, layer {last}). ")
        title = f"o{layer}[t] = [forward h_t ; reverse h_t]: what layer {layer + 1} reads"
    if layer > 0:
        text += (f"Because o{layer - 1}[t] already holds a reverse half, every column of this layer, forward half "
                 "included, has seen the whole input sequence. ")
    text += ("(A common hand-written version forgets to re-reverse the backward outputs; then column t of the reverse "
             "half would belong to input T-1-t.)")
    halves = (f"forward half<br>(has read {src}[0..t])", f"reverse half<br>(has read {src}[t..T-1])")
    h_n = (f"h_n[{2 * layer}] holds this layer's forward state after {src}[{T - 1}] (its last column) and "
           f"h_n[{2 * layer + 1}] its reverse state after {src}[0] (its first column).")
    return BidirectionalText(text, title, halves, h_n)


def neuron_intro(cfg: Config) -> str:
    """The Neuron-over-text view's first sentence (its colour scale follows the state's range)."""
    return (f"Each character is coloured by one unit's value **after reading it** ({colour_key(cfg)}). Find units that "
            "track something: the units are ranked by how strongly they correlate with a feature of the text.")


# --- training -----------------------------------------------------------------------------------

# torch.optim's defaults (torch 2.x: SGD(lr=0.001), Adagrad(lr=0.01), Adam(lr=0.001));
# tests/test_prose.py checks them against the installed torch.
TORCH_DEFAULT_LR = {"sgd": 0.001, "adagrad": 0.01, "adam": 0.001}
OPTIMIZER_NAMES = {"sgd": "SGD", "adagrad": "Adagrad", "adam": "Adam"}


def learning_rate_help(defaults: dict[str, float]) -> str:
    """The learning-rate field's help: empty means rnnviz's own default (``train.DEFAULT_LR``),
    which is not PyTorch's."""
    ours = ", ".join(f"{OPTIMIZER_NAMES[k]} {v:g}" for k, v in defaults.items())
    torch = ", ".join(f"{OPTIMIZER_NAMES[k]} {v:g}" for k, v in TORCH_DEFAULT_LR.items())
    return (f"Empty: rnnviz's default for the optimizer ({ours}), chosen for these small character models. "
            f"These are not PyTorch's: torch.optim defaults to {torch}.")


def sampling_caption(ids: np.ndarray, top_ids: np.ndarray, temperature: float) -> str:
    """Under the sample: each character is drawn from the model's whole (tempered) distribution,
    so it may lie outside the top k at any temperature; say how many did here."""
    ids, top_ids = np.asarray(ids), np.asarray(top_ids)
    k = top_ids.shape[1]
    outside = int((top_ids != ids[:, None]).all(1).sum())
    n = ids.size
    return (f"Under each sampled character: the model's {k} most likely guesses for that position (darker = more "
            f"likely). Each character is drawn from the model's whole distribution at temperature {temperature:g}, so "
            f"it can be any character the model gives some probability, outside the top {k} too (more often at high "
            f"temperatures): here {outside} of the {n} drawn characters {'was' if outside == 1 else 'were'} outside it.")


# --- vanishing gradients --------------------------------------------------------------------------

@dataclass(frozen=True)
class FlowPanel:
    """One model of the vanishing-gradient view, with the numbers the page shows for it."""

    name: str  # its panel title, e.g. "RNN", "LSTM, b_f = 1", "brackets-rnn after training"
    spoken: str  # how a sentence names it: "the fresh RNN", "brackets-rnn after training"
    cell: str
    curve: np.ndarray  # the decay curve drawn: mean ||dL_t/dh_(t-d)|| / ||dL_t/dh_t|| for d = 0..T-1
    radius: tuple[float, ...]  # spectral radius of each gate block of W_hh (analysis.recurrent_radius)
    norm: float  # spectral norm of W_hh, gate blocks stacked (a one-layer vanilla RNN's per-step bound)
    fresh: bool  # freshly initialised (not trained)
    gate: GatePath | None = None  # the carry gate's mean and product over the distance shown
    layers: int = 1
    nonlinearity: str = "tanh"
    gap: str = ""  # why the curve has no value somewhere (flow_gap), said when the sentence skips it


def _g(value: float) -> str:
    """Two significant digits, as the sentence and the table show a ratio."""
    return f"{value:.2g}"


def default_distance(steps: int) -> int:
    """The distance the sentence compares at: about 70 % of the sequence (so several rows are
    averaged), at most 20 steps."""
    return max(1, min(20, int(0.7 * (steps - 1) + 0.5)))


def loss_sentence(has_output: bool) -> str:
    """What L_t is (analysis.gradient_flow's definition)."""
    if has_output:
        return ("L_t is the cross-entropy of the output at step t against the model's **own** most likely output at t "
                "(the argmax of its softmax): no labels are needed, and ∂L_t/∂h_k says how much that step's choice "
                "leans on the state at step k.")
    return ("These models have no output layer (output size 0), so L_t = Σ_j h_(t,j), the sum of the units of the "
            "state at step t.")


def _series(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def gradient_sentence(panels: list[FlowPanel], distance: int) -> str:
    """What the decay curves on screen show at ``distance``: each panel's mean relative gradient
    there, which grow and which shrink, fastest and slowest; then only explanations whose
    numbers hold for these panels."""
    d = distance
    measured = [(p, float(p.curve[d])) for p in panels if d < p.curve.size and np.isfinite(p.curve[d])]
    if not measured:
        text = f"No model on screen has a value at distance d = {d}. "
        for p in panels:
            text += f"{p.spoken[0].upper()}{p.spoken[1:]}: {p.gap or 'the input is shorter than that'}. "
        return text.strip()
    ranked = sorted(measured, key=lambda pr: -pr[1])
    parts = [f"{_g(r)}× in {p.spoken}" for p, r in ranked]
    text = (f"At distance d = {d}, the gradient that reaches back from L_t to h_(t−{d}) is on average "
            f"{_series(parts)}, relative to its size at h_t. ")
    grow = [p.spoken for p, r in ranked if r > 1]
    shrink = [p.spoken for p, r in ranked if r <= 1]
    whole = {2: "both", 3: "all three", 4: "all four", 5: "all five"}.get(len(ranked), f"all {len(ranked)}")
    if grow and shrink:
        text += f"It grows (exploding) in {_series(grow)} and shrinks (vanishing) in {_series(shrink)}. "
    elif len(ranked) == 1:
        text += "It grows (exploding). " if grow else "It shrinks (vanishing). "
    elif grow:
        text += f"It grows in {whole} (exploding), most in {grow[0]}. "
    elif len(ranked) == 2:
        text += f"It shrinks in both (vanishing), more slowly in {ranked[0][0].spoken} than in {ranked[1][0].spoken}. "
    else:
        slow, fast = ranked[0][0].spoken, ranked[-1][0].spoken
        text += f"It shrinks in {whole} (vanishing): most slowly in {slow}, fastest in {fast}. "
    for p in panels:
        if all(p is not q for q, _ in measured):
            text += f"There is no value for {p.spoken} at this distance{f' ({p.gap})' if p.gap else ''}. "
    return text + _explanations(panels, d)


def flow_gap(norms: np.ndarray) -> str:
    """Why a gradient-flow matrix ``G[t, k] = ||dL_t/dh_k||`` leaves relative values undefined, if it does."""
    g = np.asarray(norms, np.float64)
    lower = g[np.tril_indices(g.shape[0])]
    if not np.isfinite(lower).all():
        return "its gradients overflowed"
    if (np.diag(g) == 0).any():
        return ("at some steps its softmax is saturated: it is certain of its own guess, so L_t and ∂L_t/∂h_t are 0 "
                "and there is nothing to compare")
    return ""


def _below_one(x: float) -> str:
    """``x`` < 1 written with enough digits that it reads below 1 (0.996, not 1.00)."""
    for digits in (2, 3, 4, 6):
        text = f"{x:.{digits}g}"
        if float(text) < 1:
            return text
    return repr(x)


def _explanations(panels: list[FlowPanel], d: int) -> str:
    notes = []
    for p in panels:
        ratio = float(p.curve[d]) if d < p.curve.size else float("nan")
        if p.cell != "rnn" or p.layers != 1:  # with a layer above, the gradient also flows through it
            continue
        if p.norm < 1:
            # dL_t/dh_(k-1) = W_hh^T diag(act'(pre_k)) dL_t/dh_k with |act'| <= 1: a bound, whatever the input
            notes.append(f"In {p.spoken}, ‖W_hh‖₂ = {_below_one(p.norm)} < 1 and |{p.nonlinearity}′| ≤ 1, so every "
                         "step back multiplies the gradient's norm by at most ‖W_hh‖₂.")
        elif ratio > 1:
            notes.append(f"In {p.spoken} every step back multiplies the gradient by W_hhᵀ·diag({p.nonlinearity}′); "
                         f"with ρ(W_hh) = {p.radius[0]:.2f} > 1 that can exceed 1 while the units are not saturated.")
    for p in panels:
        if p.cell == "lstm" and p.fresh and p.gate is not None and 0.4 <= p.gate.mean <= 0.6:
            note = (f"A fresh LSTM's forget gates average about σ(0) = 0.5 (mean f = {p.gate.mean:.2f} in "
                    f"{p.spoken}), so the path through its cell state alone keeps Π f ≈ {_g(p.gate.product)} over "
                    f"{d} step{'s' if d > 1 else ''}. That path becomes an LSTM's long memory once its forget gates "
                    "learn values near 1")
            for q in panels:  # the other LSTMs on screen whose forget gates are higher: say what they keep
                if q is not p and q.cell == "lstm" and q.gate is not None and q.gate.mean > p.gate.mean:
                    note += (f"; in {q.spoken}, mean f = {q.gate.mean:.2f} and the cell path keeps "
                             f"{_g(q.gate.product)}")
            notes.append(note + ".")
            break
    return " ".join(notes)


def gradient_table(panels: list[FlowPanel], distance: int) -> str:
    """A Markdown table beside the decay plot: per panel, the recurrent weights (spectral radius
    per gate block, spectral norm), the carry gate and the relative gradient at ``distance``."""
    d = distance
    rows = [f"| panel | ρ(W_hh) per block | ‖W_hh‖₂ | carry gate: mean; Π over {d} step{'s' if d > 1 else ''} | "
            f"at d = {d} |",
            "|---|---|---|---|---|"]
    for p in panels:
        names = [g.name for g in cells.get(p.cell).gates]
        radius = (f"{p.radius[0]:.2f}" if len(p.radius) == 1
                  else " · ".join(f"{n} {r:.2f}" for n, r in zip(names, p.radius)))
        gate = f"{p.gate.gate} {p.gate.mean:.2f}; {_g(p.gate.product)}" if p.gate else "—"
        ratio = float(p.curve[d]) if d < p.curve.size else float("nan")
        rows.append(f"| {p.name} | {radius} | {p.norm:.2f} | {gate} | {_g(ratio) if np.isfinite(ratio) else '—'} |")
    return "\n".join(rows)


def init_description(cfg: Config, hidden: int) -> str:
    """How the sidebar's initialisation draws W_hh, in symbols: "U(±0.5)", "N(0, 0.01²)"…"""
    if cfg.init == "torch_default":
        return f"U(±1/√{hidden}) = U(±{1 / np.sqrt(hidden):.3g})"
    if cfg.init == "uniform":
        return f"U(±{cfg.scale:g})"
    if cfg.init == "normal":
        return f"N(0, {cfg.scale:g}²)"
    return f"randn·{cfg.scale:g} (class draws)"


def overflow_note(trace: Trace) -> str | None:
    """Say so when states exceed what a chart can draw or overflowed to inf/NaN (an exploding ReLU)."""
    states = [a for layer in trace.layers for lt in layer for a in (lt.h, lt.c) if a is not None]
    if trace.logits is not None:
        states.append(trace.logits)
    worst = 0.0
    for a in states:
        if not np.isfinite(a).all():
            return ("Overflow: some values grew beyond floating-point range (inf/NaN), as an unbounded ReLU with large "
                    "weights does. Charts draw them saturated at ±3.4e38 (NaN as 0); lower the scale or use tanh.")
        worst = max(worst, float(np.abs(a).max()) if a.size else 0.0)
    if worst > FLOAT32_MAX:
        return (f"Overflow: states reach {worst:.3g}, beyond what charts draw (float32, ±3.4e38); they are shown "
                "saturated. Lower the scale or use tanh.")
    if worst > 1e6:
        return f"The states explode (up to {worst:.3g}): a ReLU with large weights has no bound; colour scales fit the largest value."
    return None
