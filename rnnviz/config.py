"""Every knob of the app in one typed table: default, bounds, label, URL form, presets.

Like TensorFlow Playground's ``state.ts``: the :class:`Config` dataclass *is* the table. Each
field carries its bounds and label in ``metadata``; the generic code below parses URL query
values (plain ``dict[str, str]``, e.g. ``st.query_params.to_dict()``), clamps or ignores bad
values with a notice for the user, and writes back only what differs from the defaults.
Nothing here imports streamlit: the UI hands in and takes out plain dicts of strings.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any, get_type_hints

from .text import DEFAULT_TEXT, vocab_from_text

NOTATIONS = ("torch", "class", "functional", "tensorflow")
INPUT_MODES = ("text", "ids", "random_ids", "random_dense", "tf_example", "notebook")
WEIGHT_SOURCES = ("init", "upload")
INIT_SCHEMES = ("torch_default", "uniform", "normal")
DIRECTIONS = ("forward", "reverse")
MAX_TEXT = 500
TF_EXAMPLE_SHAPE = {"input_size": 3, "length": 2, "batch": 4}
# A trace holds ~4 arrays of T*B*G*H numbers per layer and direction: cap them (~100 MB a trace)
# so that no URL can ask for gigabytes; the batch gives way first.
MAX_TRACE_NUMBERS = 4_000_000
# One forward pass costs about T*B*D*G*H*(L*H + I + (L-1)*D*H) multiply-adds (input and recurrent
# products of every layer) plus a fixed cost per step and layer (FORWARD_STEP_OVERHEAD). Capped so that
# no URL asks for more than ~1 s of compute here: the batch, then the sequence length gives way.
MAX_FORWARD_WORK = 250_000_000
# Weights of a seeded model (the same sum as one sample-step of work): ~16 MB of float64; the hidden size gives way.
MAX_PARAMETERS = 2_000_000
FORWARD_STEP_OVERHEAD = 40_000
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def knob(default: Any, label: str, *, lo: float | None = None, hi: float | None = None,
         choices: tuple[str, ...] | None = None, max_len: int | None = None, hideable: bool = True,
         help: str = "") -> Any:
    """A Config field with its bounds and label attached."""
    meta = {"label": label, "lo": lo, "hi": hi, "choices": choices, "max_len": max_len,
            "hideable": hideable, "help": help}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Config:
    """The whole state of the page. Field name = URL parameter = widget key suffix."""

    # model
    notation: str = knob("torch", "Notation", choices=NOTATIONS,
                         help="Whose names the weight matrices and equations use.")
    cell: str = knob("rnn", "Cell", choices=("rnn", "lstm", "gru"))
    nonlinearity: str = knob("tanh", "Nonlinearity", choices=("tanh", "relu"))
    layers: int = knob(1, "Layers", lo=1, hi=3)
    bidirectional: bool = knob(False, "Bidirectional")
    hidden: int = knob(16, "Hidden size", lo=1, hi=512)
    output_size: int = knob(8, "Output size", lo=0, hi=256, help="0: no output layer (no softmax).")
    # inputs
    inputs: str = knob("text", "Input", choices=INPUT_MODES)
    text: str = knob(DEFAULT_TEXT, "Text", max_len=MAX_TEXT)
    ids: tuple[int, ...] = knob((1, 2, 3, 4, 5), "Token ids", max_len=MAX_TEXT)
    input_size: int = knob(8, "Input size", lo=1, hi=256)
    length: int = knob(20, "Sequence length", lo=1, hi=500)
    batch: int = knob(1, "Batch size", lo=1, hi=64)
    sample: int = knob(0, "Sample to view", lo=0, hi=63)
    input_seed: int = knob(0, "Input seed", lo=0, hi=2**31 - 1)
    # weights
    weights: str = knob("init", "Weights", choices=WEIGHT_SOURCES)
    init: str = knob("uniform", "Initialisation", choices=INIT_SCHEMES)
    scale: float = knob(0.5, "Init scale", lo=0.001, hi=100.0)
    zero_bias: bool = knob(False, "Zero biases")
    weight_seed: int = knob(0, "Weight seed", lo=0, hi=2**31 - 1)
    # what to look at
    step: int = knob(4, "Time step", lo=0, hi=499)
    unit: int = knob(0, "Unit", lo=0, hi=511)
    layer: int = knob(0, "Layer to view", lo=0, hi=2)
    direction: str = knob("forward", "Direction to view", choices=DIRECTIONS)
    topk: int = knob(3, "Top-k guesses", lo=1, hi=10)
    speed: float = knob(2.0, "Play speed (steps/s)", lo=0.5, hi=10.0)
    # lessons
    hide: frozenset[str] = knob(frozenset(), "Hidden controls", hideable=False)
    note: str = knob("", "Lesson note", max_len=300, hideable=False)

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def dir_index(self) -> int:
        return DIRECTIONS.index(self.direction)


_TYPES = get_type_hints(Config)
FIELDS = {f.name: f for f in fields(Config)}
DEFAULT = Config()
HIDEABLE = tuple(name for name, f in FIELDS.items() if f.metadata["hideable"])
# Fields that only change what is looked at: they never change the model, inputs or trace.
VIEW_FIELDS = ("notation", "sample", "step", "unit", "layer", "direction", "topk", "speed", "hide", "note")
# URL parameters that are not config fields: Streamlit's own, and the open tab (bound to st.tabs).
RESERVED_URL_KEYS = ("embed", "embed_options", "tab")


def label(name: str) -> str:
    return FIELDS[name].metadata["label"]


def bounds(name: str) -> tuple[float | None, float | None]:
    meta = FIELDS[name].metadata
    return meta["lo"], meta["hi"]


def choices(name: str) -> tuple[str, ...]:
    return FIELDS[name].metadata["choices"]


# ---------------------------------------------------------------- one value: parse / clamp


def coerce(name: str, raw: Any) -> tuple[Any, str | None]:
    """Turn a URL string (or an already typed widget value) into a valid value of field ``name``.

    Returns ``(value, notice)``: out-of-range numbers are clamped, unparsable values fall back to
    the default; ``notice`` says what happened (None when the value was fine).
    """
    meta, typ, default = FIELDS[name].metadata, _TYPES[name], FIELDS[name].default
    shown = repr(raw if not isinstance(raw, str) or len(raw) <= 40 else raw[:40] + "...")
    try:
        if typ is bool:
            value = _parse_bool(raw)
        elif typ is int or typ is float:
            value = _parse_number(raw, typ)
            lo, hi = meta["lo"], meta["hi"]
            clamped = min(max(value, typ(lo)), typ(hi))
            if clamped != value:
                return clamped, f"{meta['label']}: {shown} is outside [{_fmt(lo)}, {_fmt(hi)}]; using {_fmt(clamped)}."
        elif typ is str and meta["choices"]:
            value = str(raw)
            if value not in meta["choices"]:
                raise ValueError(f"not one of {', '.join(meta['choices'])}")
        elif typ is str:
            value = str(raw)
            if len(value) > meta["max_len"]:
                return value[: meta["max_len"]], f"{meta['label']}: cut to {meta['max_len']} characters."
        elif name == "ids":
            value = _parse_ids(raw)
            if len(value) > meta["max_len"]:
                return value[: meta["max_len"]], f"{meta['label']}: cut to {meta['max_len']} ids."
        elif name == "hide":
            names = _split(raw)
            unknown = sorted(set(names) - set(HIDEABLE))
            value = frozenset(n for n in names if n in HIDEABLE)
            if unknown:
                return value, f"Hidden controls: ignored unknown name(s) {', '.join(unknown)}."
        else:  # pragma: no cover - every field type is handled above
            raise TypeError(f"no parser for {name}: {typ}")
    except (ValueError, TypeError, OverflowError) as exc:
        return default, f"{meta['label']}: ignored {shown} ({exc}); using {_fmt(_to_text(name, default))}."
    return value, None


def _parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected 1/0 or true/false")


def _parse_number(raw: Any, typ: type) -> float | int:
    if isinstance(raw, bool):
        raise ValueError("expected a number")
    if isinstance(raw, (int, float)):
        value = raw
    else:
        value = float(str(raw).strip())
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    if typ is int:
        if float(value) != int(value):
            raise ValueError("expected a whole number")
        return int(value)
    return float(value)


def _parse_ids(raw: Any) -> tuple[int, ...]:
    parts = _split(raw) if isinstance(raw, str) else list(raw)
    ids = []
    for part in parts:
        value = _parse_number(part, int)
        if value < 0:
            raise ValueError("token ids must be >= 0")
        ids.append(int(value))
    if not ids:
        raise ValueError("no ids given")
    return tuple(ids)


def _split(raw: Any) -> list[str]:
    if isinstance(raw, (list, tuple, set, frozenset)):
        return [str(x).strip() for x in raw if str(x).strip()]
    return [p.strip() for p in str(raw).replace(";", ",").split(",") if p.strip()]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _to_text(name: str, value: Any) -> str:
    """The URL form of one value."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:g}"
    if name == "ids":
        return ",".join(map(str, value))
    if name == "hide":
        return ",".join(sorted(value))
    return str(value)


# ---------------------------------------------------------------- whole config


def from_values(values: dict[str, Any], base: Config = DEFAULT) -> tuple[Config, list[str]]:
    """``base`` updated with ``values`` (URL strings or typed widget values), then normalised.

    Unknown names are ignored with a notice (Streamlit's own ``embed`` parameters silently).
    """
    notices: list[str] = []
    updates: dict[str, Any] = {}
    for name, raw in values.items():
        if name in RESERVED_URL_KEYS:
            continue
        if name not in FIELDS:
            notices.append(f"Ignored unknown URL parameter {name if len(name) <= 40 else name[:40] + '...'!r}.")
            continue
        value, notice = coerce(name, raw)
        updates[name] = value
        if notice:
            notices.append(notice)
    cfg, more = normalise(replace(base, **updates))
    return cfg, notices + more


def from_query(params: dict[str, str | list[str]]) -> tuple[Config, list[str]]:
    """A Config from URL query parameters, with a notice for every value clamped or ignored.

    A parameter given several times (a list, as ``st.query_params.get_all`` returns it) counts
    with its last value, like ``st.query_params`` itself, and gets a notice.
    """
    values, notices = {}, []
    for key, raw in params.items():
        if isinstance(raw, (list, tuple)):
            if len(raw) > 1 and key in FIELDS:
                notices.append(f"{label(key)}: given {len(raw)} times in the URL; using the last value.")
            raw = raw[-1] if raw else ""
        values[key] = raw
    cfg, more = from_values(values)
    return cfg, notices + more


def to_query(cfg: Config) -> dict[str, str]:
    """The URL parameters for ``cfg``: only fields that differ from the defaults and matter."""
    fixed = set(locked_fields(cfg))
    return {
        f.name: _to_text(f.name, getattr(cfg, f.name))
        for f in fields(cfg)
        if getattr(cfg, f.name) != f.default and f.name not in fixed
    }


def locked_fields(cfg: Config, *, uploaded: bool = False) -> dict[str, str]:
    """Fields the input mode (or an uploaded file, when ``uploaded``) decides, with the reason.

    The UI disables them; the URL leaves out the ones the input mode decides (``normalise``
    recomputes them), but keeps the ones an upload overrides (the link has no upload in it).
    """
    locked: dict[str, str] = {}
    if cfg.inputs == "text":
        reason = "set by the text (one-hot characters)"
        locked.update(input_size=reason, output_size=reason, length="the length of the text")
    elif cfg.inputs == "ids":
        locked["length"] = "the number of token ids"
    elif cfg.inputs == "tf_example":
        locked.update(dict.fromkeys(TF_EXAMPLE_SHAPE, "fixed by the TensorFlow example"))
    elif cfg.inputs == "notebook":
        reason = "the functional notebook's RNN is a 1-layer tanh RNN with its own draws"
        locked.update(dict.fromkeys(("cell", "nonlinearity", "layers", "bidirectional", "weights",
                                     "init", "scale", "zero_bias", "input_seed"), reason))
    if uploaded and cfg.weights == "upload" and cfg.inputs != "notebook":
        reason = "read from the uploaded file"
        for name in ("cell", "layers", "bidirectional", "hidden", "input_size", "output_size",
                     "init", "scale", "zero_bias", "weight_seed"):
            locked.setdefault(name, reason)
    return locked


def normalise(cfg: Config, model_dims: dict[str, int] | None = None) -> tuple[Config, list[str]]:
    """Make the fields agree with each other: sizes the input mode fixes, view indices in range.

    ``model_dims`` (hidden, input_size, output_size, layers, bidirectional) override the config
    when the weights come from an uploaded file. Returns the new config and notices for changes
    a user would not expect (a view index silently out of range is just clamped).
    """
    notices: list[str] = []
    c = cfg
    if c.inputs == "text":
        text = c.text
        if not text:
            text = DEFAULT_TEXT
            notices.append(f"The text was empty; using {DEFAULT_TEXT!r}.")
        text = _fit_vocab(text, int(bounds("input_size")[1]), notices)
        vocab = vocab_from_text(text)
        c = replace(c, text=text, input_size=vocab.size, output_size=vocab.size, length=len(text))
    elif c.inputs == "ids":
        c = replace(c, length=len(c.ids))
        if max(c.ids) >= c.input_size:
            size = max(c.ids) + 1
            if size > bounds("input_size")[1]:
                notices.append(f"Token ids must be below {bounds('input_size')[1]}; dropped larger ones.")
                ids = tuple(i for i in c.ids if i < bounds("input_size")[1]) or DEFAULT.ids
                c = replace(c, ids=ids, length=len(ids))
                size = max(c.ids) + 1
            if size > c.input_size:
                notices.append(f"Input size raised to {size} so that token id {size - 1} exists.")
                c = replace(c, input_size=size)
    elif c.inputs == "tf_example":
        c = replace(c, **TF_EXAMPLE_SHAPE)
    elif c.inputs == "notebook":
        c = replace(c, cell="rnn", nonlinearity="tanh", layers=1, bidirectional=False, weights="init",
                    output_size=max(c.output_size, 1), init=DEFAULT.init, scale=DEFAULT.scale,
                    zero_bias=DEFAULT.zero_bias, input_seed=DEFAULT.input_seed)
    if model_dims and c.weights == "upload" and c.inputs != "notebook":
        c = replace(c, **model_dims)
        if c.inputs == "text" and vocab_from_text(c.text).size > c.input_size:
            notices.append(
                f"The text has {vocab_from_text(c.text).size} different characters but the uploaded model "
                f"reads {c.input_size}; showing random token ids instead."
            )
            c = replace(c, inputs="random_ids")
    # states of every layer, plus the inputs and the logits and probabilities (T x I, 2 x T x O)
    per_sample = c.length * (c.hidden * GATES[c.cell] * c.layers * c.num_directions + c.input_size + 2 * c.output_size)
    if per_sample * c.batch > MAX_TRACE_NUMBERS:
        batch = max(1, MAX_TRACE_NUMBERS // per_sample)
        if batch != c.batch:
            notices.append(f"Batch size reduced to {batch} so the recorded trace stays under "
                           f"{MAX_TRACE_NUMBERS / 1e6:g} million numbers per kind of array.")
            c = replace(c, batch=batch)
    if not (model_dims and c.weights == "upload"):
        c = _fit_parameters(c, notices)
    c = _fit_forward_work(c, notices)
    if c.cell != "rnn" and c.nonlinearity != "tanh":
        c = replace(c, nonlinearity="tanh")  # LSTM/GRU have fixed nonlinearities
    c = replace(
        c,
        sample=min(c.sample, c.batch - 1),
        step=min(c.step, c.length - 1),
        unit=min(c.unit, c.hidden - 1),
        layer=min(c.layer, c.layers - 1),
        direction=c.direction if c.bidirectional else "forward",
        topk=min(c.topk, max(c.output_size, 1)),
    )
    return c, notices


def _fit_vocab(text: str, limit: int, notices: list[str]) -> str:
    """The longest start of ``text`` with at most ``limit`` different characters (one-hot inputs)."""
    seen: set[str] = set()
    for i, char in enumerate(text):
        seen.add(char)
        if len(seen) > limit:
            notices.append(f"The text has {len(set(text))} different characters; one-hot inputs allow {limit}, "
                           f"so only its first {i} characters are read.")
            return text[:i]
    return text


def forward_work(c: Config) -> int:
    """Multiply-adds of one forward pass, as MAX_FORWARD_WORK counts them."""
    return c.length * (c.batch * _sample_step_work(c) + c.layers * c.num_directions * FORWARD_STEP_OVERHEAD)


def _sample_step_work(c: Config) -> int:
    inputs = c.layers * c.hidden + c.input_size + (c.layers - 1) * c.num_directions * c.hidden
    return c.num_directions * GATES[c.cell] * c.hidden * inputs


def _fit_parameters(c: Config, notices: list[str]) -> Config:
    """Reduce the hidden size until the model has at most MAX_PARAMETERS weights."""
    if _sample_step_work(c) <= MAX_PARAMETERS:
        return c
    hidden = c.hidden
    while hidden > 1 and _sample_step_work(replace(c, hidden=hidden)) > MAX_PARAMETERS:
        hidden = int(hidden * 0.95)
    notices.append(f"Hidden size reduced to {hidden} so that the model has at most {MAX_PARAMETERS / 1e6:g} million "
                   f"weights ({c.cell.upper()}, {c.layers} layer(s), {c.num_directions} direction(s)).")
    return replace(c, hidden=hidden, unit=min(c.unit, hidden - 1))


def _fit_forward_work(c: Config, notices: list[str]) -> Config:
    """Reduce the batch, then the sequence length, until one forward pass fits MAX_FORWARD_WORK."""
    if forward_work(c) <= MAX_FORWARD_WORK:
        return c
    per_sample, fixed = _sample_step_work(c), c.layers * c.num_directions * FORWARD_STEP_OVERHEAD
    batch = max(1, (MAX_FORWARD_WORK // c.length - fixed) // per_sample)
    why = f"so that one forward pass stays under {MAX_FORWARD_WORK / 1e6:g} million multiply-adds"
    if batch < c.batch:
        notices.append(f"Batch size reduced to {batch} {why}.")
        c = replace(c, batch=batch)
    if forward_work(c) <= MAX_FORWARD_WORK:
        return c
    length = max(1, MAX_FORWARD_WORK // (per_sample * c.batch + fixed))
    notices.append(f"Sequence length cut to {length} {why} (hidden size {c.hidden}, {c.layers} layer(s), "
                   f"{c.num_directions} direction(s)).")
    if c.inputs == "text":
        vocab = vocab_from_text(c.text[:length])
        return replace(c, text=c.text[:length], input_size=vocab.size, output_size=vocab.size, length=length)
    if c.inputs == "ids":
        return replace(c, ids=c.ids[:length], length=length)
    return replace(c, length=length)


# ---------------------------------------------------------------- presets


@dataclass(frozen=True)
class Preset:
    title: str
    question: str  # which question of a student it answers
    values: dict = field(default_factory=dict)


PRESETS: dict[str, Preset] = {
    "hello": Preset(
        "Default: a small RNN reads “hello world”",
        "What does a hidden state look like, step by step?",
        {},
    ),
    "class": Preset(
        "Class formulation (MinimalRNN: 10 in, 20 hidden, 5 out)",
        "What does a min-char-rnn style class compute for inputs [1, 2, 3, 4, 5]?",
        dict(notation="class", inputs="ids", ids=(1, 2, 3, 4, 5), input_size=10, hidden=20, output_size=5,
             init="normal", scale=0.01, zero_bias=True, step=0),
    ),
    "functional": Preset(
        "Functional formulation (notebook: np.random.seed(1), n_x=3, n_a=5, n_y=2, m=10, T_x=4)",
        "Do my rnn_forward numbers match? (a[4][1], y_pred[1][3] ...)",
        dict(notation="functional", inputs="notebook", input_size=3, hidden=5, output_size=2, batch=10,
             length=4, weight_seed=1, sample=1, step=0, unit=4),
    ),
    "torch": Preset(
        "PyTorch nn.RNN(4, 3, batch_first=True)",
        "What do PyTorch's weight_ih_l0 / weight_hh_l0 do to a batch?",
        dict(notation="torch", inputs="random_dense", input_size=4, hidden=3, output_size=0, batch=2, length=5,
             init="torch_default", step=0),
    ),
    "tensorflow": Preset(
        "TensorFlow two-step example (3 inputs, 5 neurons, 4 instances)",
        "What are Y0 and Y1 for the book's mini-batch X0, X1?",
        dict(notation="tensorflow", inputs="tf_example", hidden=5, output_size=0, init="normal", scale=1.0,
             zero_bias=True, step=0),
    ),
    "lstm": Preset(
        "LSTM reading “hello world”",
        "What do the gates i, f, g, o do at each character?",
        dict(cell="lstm", hidden=12),
    ),
    "bidirectional": Preset(
        "Bidirectional GRU",
        "How do the forward and reverse halves line up and concatenate?",
        dict(cell="gru", bidirectional=True, hidden=8),
    ),
}


def apply_preset(name: str) -> Config:
    """The config a preset stands for (everything else at its default)."""
    cfg, _ = from_values(dict(PRESETS[name].values))
    return cfg


# Display names of choice values (the URL keeps the short value).
CHOICE_LABELS = {
    "notation": {"torch": "PyTorch (weight_ih, weight_hh)", "class": "class (Wxh, Whh, Why)",
                 "functional": "functional notebook (Wax, Waa, Wya)", "tensorflow": "TensorFlow (Wx, Wy, b)"},
    "cell": {"rnn": "vanilla RNN", "lstm": "LSTM", "gru": "GRU"},
    "nonlinearity": {"tanh": "tanh", "relu": "ReLU"},
    "inputs": {"text": "typed text (one-hot characters)", "ids": "typed token ids", "random_ids": "random token ids",
               "random_dense": "random dense vectors", "tf_example": "TensorFlow example mini-batch",
               "notebook": "functional notebook draws"},
    "weights": {"init": "random initialisation", "upload": "upload .npz (PyTorch names)"},
    "init": {"torch_default": "PyTorch default U(±1/√H)", "uniform": "uniform U(±scale)", "normal": "normal N(0, scale²)"},
    "direction": {"forward": "forward", "reverse": "reverse"},
}


def choice_label(name: str, value: str) -> str:
    return CHOICE_LABELS.get(name, {}).get(value, str(value))
