"""Every knob of the app in one typed table: default, bounds, label, widget, and whether it only
changes the view. Like TensorFlow Playground's ``state.ts``: the :class:`Config` dataclass *is*
the table; its field name is the URL parameter and the widget key. The URL codec (codec.py), the
rules that keep fields consistent (rules.py), the work limits (limits.py) and the sidebar
(rnnviz/ui/controls.py) all read this table and nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Callable, get_type_hints

from .. import cells, pretrained
from ..text import DEFAULT_TEXT

MAX_TEXT = 500
MAX_NOTE = 300
MAX_IDS = 500

WIDGETS = ("slider", "number", "toggle", "select", "text_area", "text_input", "none")
SECTIONS = ("model", "input", "weights", "view", "display", "lesson")


@dataclass(frozen=True)
class Knob:
    """What the table says about one field (``dataclasses.field(metadata={"knob": ...})``)."""

    label: str
    widget: str  # one of WIDGETS: how the sidebar or a view draws it ("none": not a widget)
    section: str  # one of SECTIONS: where it sits
    lo: float | None = None
    hi: float | None = None
    choices: dict[str, str] | None = None  # URL value -> label shown
    max_len: int | None = None
    hideable: bool = True  # a lesson link may hide it
    view: bool = False  # only changes what is looked at: never the model, inputs or trace
    help: str = ""
    shown: Callable[["Config"], bool] | None = None  # drawn only when this holds
    max_from: Callable[["Config"], float] | None = None  # the widget's upper bound follows other fields
    increment: float | None = None  # number inputs: +/- step
    placeholder: str | None = None  # text inputs: shown while empty

    def __post_init__(self) -> None:
        if self.widget not in WIDGETS or self.section not in SECTIONS:
            raise ValueError(f"{self.label}: widget {self.widget!r} / section {self.section!r} unknown")


def knob(default: Any, label: str, widget: str, section: str, **meta) -> Any:
    """A Config field with its Knob attached."""
    return field(default=default, metadata={"knob": Knob(label, widget, section, **meta)})


def _labels(values, label=str) -> dict[str, str]:
    return {v: label(v) for v in values}


NOTATIONS = {"torch": "PyTorch (weight_ih, weight_hh)", "class": "class (Wxh, Whh, Why)",
             "functional": "functional notebook (Wax, Waa, Wya)", "tensorflow": "TensorFlow (Wx, Wy, b)"}
INPUT_MODES = {"text": "typed text (one-hot characters)", "ids": "typed token ids", "random_ids": "random token ids",
               "random_dense": "random dense vectors", "tf_example": "TensorFlow example mini-batch",
               "notebook": "functional notebook draws"}
TRAINED_PREFIX = "trained:"  # Weights = "trained:<name>": a model that ships with rnnviz (rnnviz/pretrained.py)
WEIGHT_SOURCES = {"init": "random initialisation",
                  **{TRAINED_PREFIX + n: f"trained: {n}" for n in pretrained.names()},
                  "upload": "upload .npz (PyTorch names)", "session": "trained here (Train tab)"}
INIT_SCHEMES = {"torch_default": "PyTorch default U(±1/√H)", "uniform": "uniform U(±scale)",
                "normal": "normal N(0, scale²)",
                "class": "class (MinimalRNN): np.random.seed, randn·scale, zero biases"}
DIRECTIONS = {"forward": "forward", "reverse": "reverse"}
# The page's layout: "projector" fits the step views into 1280 x 720 / 1024 x 768 with larger text.
# A two-choice str knob drawn as a toggle (on = the second choice): ?layout=projector reads well.
LAYOUTS = {"page": "page", "projector": "projector (large text, fits 1280 × 720)"}
# Heatmap colours: the default diverging RdBu_r (ColorBrewer RdBu reversed) and sequential Viridis,
# or colour-blind safe ColorBrewer PuOr (reversed: purple < 0 < orange) and cividis (figures/style.py).
PALETTES = {"default": "blue–red (RdBu) / viridis", "cb": "colour-blind safe: purple–orange (PuOr) / cividis"}
# The lessons (rnnviz/app/lessons.py holds each lesson's steps; its tests check both lists agree):
# ?lesson=<id> opens one, &q=<n> at its step n. "none": no lesson open.
LESSONS = {"none": "no lesson", "hidden-state": "What is the hidden state, step by step?",
           "by-hand": "Can I compute one step myself?", "pytorch": "Is nn.RNN just this loop? Which weight is which?",
           "unrolled": "What are Y0 and Y1 for a mini-batch, two steps unrolled?",
           "bidirectional": "Which inputs has output[t] seen, forwards and backwards?",
           "vanishing": "Why does a plain RNN forget, and what do the LSTM's gates change?",
           "counting": "Can one unit learn to count brackets?"}
MAX_LESSON_STEPS = 99


def _not_notebook(c: "Config") -> bool:
    return c.inputs != "notebook"


@dataclass(frozen=True)
class Config:
    """The whole state of the page. Field name = URL parameter = widget key suffix."""

    # model
    cell: str = knob("rnn", "Cell", "select", "model", choices={n: c.title for n, c in cells.REGISTRY.items()})
    nonlinearity: str = knob("tanh", "Nonlinearity", "select", "model",
                             choices=_labels(cells.NONLINEARITIES, lambda v: {"relu": "ReLU"}.get(v, v)),
                             shown=lambda c: len(cells.get(c.cell).nonlinearities) > 1)
    layers: int = knob(1, "Layers", "slider", "model", lo=1, hi=3)
    bidirectional: bool = knob(False, "Bidirectional", "toggle", "model")
    hidden: int = knob(16, "Hidden size", "slider", "model", lo=1, hi=512)
    output_size: int = knob(8, "Output size", "slider", "model", lo=0, hi=256, help="0: no output layer (no softmax).")
    notation: str = knob("torch", "Notation", "select", "model", choices=NOTATIONS, view=True,
                         help="Whose names the weight matrices and equations use.")
    # inputs
    inputs: str = knob("text", "Input", "select", "input", choices=INPUT_MODES)
    text: str = knob(DEFAULT_TEXT, "Text", "text_area", "input", max_len=MAX_TEXT, shown=lambda c: c.inputs == "text")
    ids: tuple[int, ...] = knob((1, 2, 3, 4, 5), "Token ids", "text_input", "input", max_len=MAX_IDS,
                                shown=lambda c: c.inputs == "ids", placeholder="e.g. 1,2,3,4,5")
    input_size: int = knob(8, "Input size", "slider", "input", lo=1, hi=256)
    length: int = knob(20, "Sequence length", "slider", "input", lo=1, hi=500)
    batch: int = knob(1, "Batch size", "slider", "input", lo=1, hi=64)
    sample: int = knob(0, "Sample to view", "slider", "input", lo=0, hi=63, view=True, max_from=lambda c: c.batch - 1)
    input_seed: int = knob(0, "Input seed", "number", "input", lo=0, hi=2**31 - 1, increment=1,
                           shown=lambda c: c.inputs in ("random_ids", "random_dense"))
    # weights
    weights: str = knob("init", "Weights", "select", "weights", choices=WEIGHT_SOURCES, shown=_not_notebook)
    init: str = knob("uniform", "Initialisation", "select", "weights", choices=INIT_SCHEMES, shown=_not_notebook,
                     help="class: the weights MinimalRNN(I, H, O, seed=weight seed) draws (np.random.seed, then "
                          "randn·scale for Wxh, Whh, Why in that order; scale 0.01 is the class's own).")
    scale: float = knob(0.5, "Init scale", "number", "weights", lo=0.001, hi=100.0, increment=0.1,
                        shown=lambda c: _not_notebook(c) and c.init != "torch_default")
    zero_bias: bool = knob(False, "Zero biases", "toggle", "weights",
                           shown=lambda c: _not_notebook(c) and c.init != "class")  # the class draws none
    weight_seed: int = knob(0, "Weight seed", "number", "weights", lo=0, hi=2**31 - 1, increment=1)
    # what to look at
    step: int = knob(4, "Time step", "slider", "view", lo=0, hi=499, view=True, max_from=lambda c: c.length - 1)
    unit: int = knob(0, "Unit", "slider", "view", lo=0, hi=511, view=True, max_from=lambda c: c.hidden - 1)
    layer: int = knob(0, "Layer to view", "slider", "view", lo=0, hi=2, view=True, max_from=lambda c: c.layers - 1)
    direction: str = knob("forward", "Direction to view", "select", "view", choices=DIRECTIONS, view=True)
    topk: int = knob(3, "Top-k guesses", "slider", "view", lo=1, hi=10, view=True,
                     max_from=lambda c: max(c.output_size, 1))
    speed: float = knob(2.0, "Play speed (steps/s)", "slider", "view", lo=0.5, hi=10.0, view=True)
    unrolled: bool = knob(False, "Unrolled network", "toggle", "view", view=True,
                          help="The network unrolled in time, one column per step, as the textbooks draw it; "
                               "it follows the time controls.")
    # display (the sidebar's Display section; view-only: the model and trace do not change)
    layout: str = knob("page", "Projector layout", "toggle", "display", choices=LAYOUTS, view=True,
                       help="Larger text; heatmap, time controls, h_t bars and softmax fit one 1280 × 720 "
                            "(or 1024 × 768) screen; the sidebar starts collapsed. Kept in links (?layout=projector).")
    palette: str = knob("default", "Heatmap colours", "select", "display", choices=PALETTES, view=True,
                        help="Colour-blind safe: ColorBrewer PuOr (purple negative, orange positive) for signed "
                             "values, cividis for values ≥ 0.")
    # lessons
    hide: frozenset[str] = knob(frozenset(), "Hidden controls", "none", "lesson", hideable=False, view=True)
    note: str = knob("", "Lesson note", "none", "lesson", max_len=MAX_NOTE, hideable=False, view=True)
    lesson: str = knob("none", "Lesson", "none", "lesson", choices=LESSONS, hideable=False, view=True)
    q: int = knob(1, "Lesson step", "none", "lesson", lo=1, hi=MAX_LESSON_STEPS, hideable=False, view=True)

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def dir_index(self) -> int:
        return list(DIRECTIONS).index(self.direction)


TYPES: dict[str, type] = get_type_hints(Config)
FIELDS = {f.name: f for f in fields(Config)}
KNOBS: dict[str, Knob] = {name: f.metadata["knob"] for name, f in FIELDS.items()}
DEFAULT = Config()
HIDEABLE = tuple(name for name, k in KNOBS.items() if k.hideable)
VIEW_FIELDS = tuple(name for name, k in KNOBS.items() if k.view)


def label(name: str) -> str:
    return KNOBS[name].label


def bounds(name: str) -> tuple[float | None, float | None]:
    return KNOBS[name].lo, KNOBS[name].hi


def choices(name: str) -> tuple[str, ...]:
    return tuple(KNOBS[name].choices or ())


def choice_label(name: str, value: str) -> str:
    """How a choice is shown (the URL keeps the short value)."""
    return (KNOBS[name].choices or {}).get(value, str(value))


def widget_max(name: str, cfg: Config) -> float:
    """The upper bound of field ``name``'s widget for ``cfg`` (the table's, or one that follows other fields)."""
    k = KNOBS[name]
    return k.hi if k.max_from is None else min(k.hi, k.max_from(cfg))


def trained_name(weights: str) -> str | None:
    """The shipped model's name of a Weights value "trained:<name>" (None for other sources)."""
    return weights[len(TRAINED_PREFIX):] if weights.startswith(TRAINED_PREFIX) else None


def shown(name: str, cfg: Config) -> bool:
    """Whether the field's widget is drawn for ``cfg`` (a lesson link's ``hide`` aside)."""
    k = KNOBS[name]
    return k.widget != "none" and (k.shown is None or k.shown(cfg))
