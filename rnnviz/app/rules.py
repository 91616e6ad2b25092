"""Rules that keep a Config's fields consistent with each other, applied after every change.

``normalise`` runs them in order: the input mode decides some sizes, an uploaded or trained
model decides others, the work limits (limits.py) cut what would be too big, and the view
indices are clamped into range. ``locked_fields`` tells the UI which fields it must not offer.
"""
from __future__ import annotations

from dataclasses import replace

from .. import cells
from ..text import DEFAULT_TEXT, vocab_from_text
from . import limits
from .inputs import TF_EXAMPLE_SHAPE
from .knobs import DEFAULT, Config, bounds

NOTEBOOK_FIXED = ("cell", "nonlinearity", "layers", "bidirectional", "weights", "init", "scale", "zero_bias",
                  "input_seed")
MODEL_FIELDS = ("cell", "layers", "bidirectional", "hidden", "input_size", "output_size", "init", "scale",
                "zero_bias", "weight_seed")  # what a model read from a file or trained here decides


def external_weights(cfg: Config) -> bool:
    """Whether the weights come from an uploaded file or the Train tab rather than the seed
    (the notebook mode always draws its own)."""
    return cfg.weights in ("upload", "session") and cfg.inputs != "notebook"


def locked_fields(cfg: Config, *, external: bool = False) -> dict[str, str]:
    """Fields the input mode (or, when ``external``, the uploaded or trained model) decides, with
    the reason. The UI disables them; the URL leaves out the ones the input mode decides
    (``normalise`` recomputes them) but keeps the others (a link carries no model file)."""
    locked: dict[str, str] = {}
    if cfg.inputs == "text":
        reason = "set by the text (one-hot characters)"
        locked.update(input_size=reason, output_size=reason, length="the length of the text")
    elif cfg.inputs == "ids":
        locked["length"] = "the number of token ids"
    elif cfg.inputs == "tf_example":
        locked.update(dict.fromkeys(TF_EXAMPLE_SHAPE, "fixed by the TensorFlow example"))
    elif cfg.inputs == "notebook":
        locked.update(dict.fromkeys(NOTEBOOK_FIXED,
                                    "the functional notebook's RNN is a 1-layer tanh RNN with its own draws"))
    if external and external_weights(cfg):
        reason = "read from the uploaded file" if cfg.weights == "upload" else "set by the model trained here"
        for name in MODEL_FIELDS:
            locked.setdefault(name, reason)
    return locked


def normalise(cfg: Config, model_dims: dict | None = None) -> tuple[Config, list[str]]:
    """Make the fields agree with each other: sizes the input mode fixes, view indices in range.

    ``model_dims`` (hidden, input_size, output_size, layers, bidirectional, cell) override the
    config when the weights come from an uploaded or trained model. Returns the new config and
    notices for changes a user would not expect (a view index out of range is just clamped).
    """
    notices: list[str] = []
    c = _INPUT_MODE_RULES.get(cfg.inputs, _unchanged)(cfg, notices)
    external = bool(model_dims) and external_weights(c)
    if external:
        c = _model_decides(c, model_dims, notices)
    c = limits.fit_trace(c, notices)
    if not external:
        c = limits.fit_parameters(c, notices)
    c = limits.fit_forward_work(c, notices)
    c = replace(c, nonlinearity=cells.nonlinearity_for(c.cell, c.nonlinearity))  # LSTM/GRU: fixed
    return _clamp_view(c), notices


def _unchanged(c: Config, notices: list[str]) -> Config:
    return c


def _text_sizes(c: Config, notices: list[str]) -> Config:
    text = c.text
    if not text:
        text = DEFAULT_TEXT
        notices.append(f"The text was empty; using {DEFAULT_TEXT!r}.")
    text = _fit_vocab(text, int(bounds("input_size")[1]), notices)
    vocab = vocab_from_text(text)
    return replace(c, text=text, input_size=vocab.size, output_size=vocab.size, length=len(text))


def _ids_sizes(c: Config, notices: list[str]) -> Config:
    c = replace(c, length=len(c.ids))
    if max(c.ids) < c.input_size:
        return c
    limit = bounds("input_size")[1]
    size = max(c.ids) + 1
    if size > limit:
        notices.append(f"Token ids must be below {limit}; dropped larger ones.")
        ids = tuple(i for i in c.ids if i < limit) or DEFAULT.ids
        c = replace(c, ids=ids, length=len(ids))
        size = max(c.ids) + 1
    if size > c.input_size:
        notices.append(f"Input size raised to {size} so that token id {size - 1} exists.")
        c = replace(c, input_size=size)
    return c


def _tf_example_sizes(c: Config, notices: list[str]) -> Config:
    return replace(c, **TF_EXAMPLE_SHAPE)


def _notebook_setup(c: Config, notices: list[str]) -> Config:
    return replace(c, cell="rnn", nonlinearity="tanh", layers=1, bidirectional=False, weights="init",
                   output_size=max(c.output_size, 1), init=DEFAULT.init, scale=DEFAULT.scale,
                   zero_bias=DEFAULT.zero_bias, input_seed=DEFAULT.input_seed)


_INPUT_MODE_RULES = {"text": _text_sizes, "ids": _ids_sizes, "tf_example": _tf_example_sizes,
                     "notebook": _notebook_setup}


def _model_decides(c: Config, model_dims: dict, notices: list[str]) -> Config:
    c = replace(c, **model_dims)
    if c.inputs == "text" and vocab_from_text(c.text).size > c.input_size:
        notices.append(
            f"The text has {vocab_from_text(c.text).size} different characters but the model "
            f"reads {c.input_size}; showing random token ids instead."
        )
        c = replace(c, inputs="random_ids")
    return c


def _clamp_view(c: Config) -> Config:
    return replace(
        c,
        sample=min(c.sample, c.batch - 1),
        step=min(c.step, c.length - 1),
        unit=min(c.unit, c.hidden - 1),
        layer=min(c.layer, c.layers - 1),
        direction=c.direction if c.bidirectional else "forward",
        topk=min(c.topk, max(c.output_size, 1)),
    )


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


def fit_text(cfg: Config, vocab, *, fallback: str, source: str, notices: list[str]) -> Config:
    """A model trained here reads only its corpus's characters: drop the others from the typed
    text (``fallback`` when nothing is left), with a notice naming them."""
    if cfg.inputs != "text":
        return cfg
    known = set(vocab.chars)
    kept = "".join(c for c in cfg.text if c in known)
    if kept == cfg.text:
        return cfg
    dropped = sorted(set(cfg.text) - known)
    shown = ", ".join(repr(c) for c in dropped[:8]) + (" …" if len(dropped) > 8 else "")
    notices.append(f"The trained model only knows the characters of its corpus ({source}); left out {shown}.")
    return replace(cfg, text=kept or fallback)
