"""Rules that keep a Config's fields consistent with each other, applied after every change.

``normalise`` runs them in order: the input mode decides some sizes, an uploaded or trained
model decides others, the work limits (limits.py) cut what would be too big, and the view
indices are clamped into range. ``locked_fields`` tells the UI which fields it must not offer.
"""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from .. import cells, corpora, pretrained
from ..text import DEFAULT_TEXT, vocab_from_text
from . import limits
from .inputs import TF_EXAMPLE_SHAPE
from .knobs import DEFAULT, Config, bounds, trained_name

NOTEBOOK_FIXED = ("cell", "nonlinearity", "layers", "bidirectional", "weights", "init", "scale", "zero_bias",
                  "input_seed")
MODEL_FIELDS = ("cell", "layers", "bidirectional", "hidden", "input_size", "output_size", "init", "scale",
                "zero_bias", "weight_seed")  # what a model read from a file or trained here decides
SHIPPED_FIELDS = ("cell", "nonlinearity", "layers", "bidirectional", "hidden", "input_size", "output_size")


def external_weights(cfg: Config) -> bool:
    """Whether the weights come from an uploaded file, the Train tab or a shipped trained model
    rather than the seed (the notebook mode always draws its own)."""
    return (cfg.weights in ("upload", "session") or shipped(cfg) is not None) and cfg.inputs != "notebook"


def shipped(cfg: Config) -> str | None:
    """The name of the shipped trained model the weights come from (Weights = "trained:<name>"), if any.

    Unlike an upload or a model trained in a session, a shipped model travels in a link: its name
    is all the page needs (rnnviz/pretrained.py reads it from the package's data)."""
    name = trained_name(cfg.weights)
    return name if name is not None and name in pretrained.names() else None


def shipped_dims(name: str) -> dict:
    """The config fields a shipped model decides, read from its card (no weights loaded)."""
    card = pretrained.card(name)
    return {"cell": card.cell, "nonlinearity": card.nonlinearity, "layers": card.num_layers, "bidirectional": False,
            "hidden": card.hidden_size, "input_size": len(card.vocab), "output_size": len(card.vocab)}


@lru_cache(maxsize=None)
def shipped_excerpt(name: str, limit: int = 80) -> str:
    """Whole lines from the start of a shipped model's corpus (at most ``limit`` characters): what the
    page reads when the typed text means nothing to the model.

    It starts with the first line break: in training a zero state only ever began the very first
    line (the streams run on through the corpus), so a model starting from zero on a line is
    confused for a few characters (brackets-rnn gives ")" 100% at depth 0 on the corpus's first
    line); after reading a line break it is where every other line found it."""
    text = corpora.load_corpus(pretrained.card(name).corpus).text
    start = max(text.find("\n"), 0)
    head = text[start:start + limit]
    cut = head.rfind("\n")
    return head[: cut + 1] if cut > 0 else head


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
    name = shipped(cfg) if cfg.inputs != "notebook" else None
    if name is not None:
        # its sizes are always known (no file needed): the URL leaves them out and normalise sets them;
        # the initialisation fields only lose their meaning (the URL keeps them for the way back)
        reason = f"set by the trained model {name}"
        for field in SHIPPED_FIELDS if not external else MODEL_FIELDS + ("nonlinearity",):
            locked.setdefault(field, reason)
    elif external and external_weights(cfg):
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
    name = shipped(cfg) if cfg.inputs != "notebook" else None
    if name is not None:  # a shipped model: its card gives the sizes, its vocabulary the readable inputs
        cfg = _shipped_inputs(cfg, name, notices)
        model_dims = shipped_dims(name)
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
    if c.inputs == "ids" and max(c.ids) >= c.input_size:  # typed ids the model has no input for
        kept = tuple(i for i in c.ids if i < c.input_size) or (0,)
        notices.append(f"The model reads token ids 0–{c.input_size - 1}; dropped larger ones.")
        c = replace(c, ids=kept, length=len(kept))
    if c.inputs == "text" and vocab_from_text(c.text).size > c.input_size:
        notices.append(
            f"The text has {vocab_from_text(c.text).size} different characters but the model "
            f"reads {c.input_size}; showing random token ids instead."
        )
        c = replace(c, inputs="random_ids")
    return c


def _shipped_inputs(c: Config, name: str, notices: list[str]) -> Config:
    """A shipped model reads only its corpus's characters: the typed text keeps those, with a
    notice naming the others (``pretrained.cannot_read_message``); the default text, which nobody
    typed, silently becomes the start of the model's corpus, and so does a text with nothing left.
    Typed token ids must be below its vocabulary's size (larger ones are dropped, with a notice)."""
    card = pretrained.card(name)
    if c.inputs == "ids":
        size = len(card.vocab)
        c = replace(c, input_size=size)
        if max(c.ids) >= size:
            kept = tuple(i for i in c.ids if i < size) or (0,)
            notices.append(f"The trained model {name} reads token ids 0–{size - 1} (its {size} characters); "
                           "dropped larger ones.")
            c = replace(c, ids=kept)
        return c
    if c.inputs != "text":
        return c
    if c.text == DEFAULT_TEXT and pretrained.unreadable(card, c.text):
        return replace(c, text=shipped_excerpt(name))
    message = pretrained.cannot_read_message(card, c.text)
    if message is None:
        return c
    known = set(card.vocab)
    kept = "".join(ch for ch in c.text if ch in known)
    notices.append(message + (" Left them out." if kept else " Showing the start of that corpus instead."))
    return replace(c, text=kept or shipped_excerpt(name))


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
