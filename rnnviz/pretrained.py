"""The trained models that ship with rnnviz: list them, read their model cards, load one.

Each model is two files in ``rnnviz/data/trained``: ``<name>.npz`` (the parameters in PyTorch
naming, read back through the safe loader :func:`rnnviz.weights_io.load_model_npz`) and
``<name>.json``, its model card: what the .npz cannot say (the characters the model reads, in
order, the corpus, the training settings) and what it has been measured to do (loss in bits per
character against the unigram baseline, the units that mean something and their Pearson r).
Both are written by ``python -m rnnviz.pretrain`` and never edited by hand: ``--check``
re-derives every card from its weights (see docs/training.md).

Cheap for a UI: the cards are read once and cached; :func:`load` builds a fresh model each call
(a Trainer updates its model in place, so callers may train it). NumPy only.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .naming import state_dict
from .network import RNNModel
from .text import Vocab
from .weights_io import WeightsError, load_model_npz

DATA_DIR = Path(__file__).resolve().parent / "data" / "trained"
CARD_FORMAT = 1
_CELL_NAMES = {"rnn": "Vanilla RNN", "lstm": "LSTM", "gru": "GRU"}


class UnknownModelError(KeyError, ValueError):
    """An unknown trained-model name; the message lists the known ones.

    Both a KeyError (a lookup by name) and a ValueError (bad input, as the rest of the engine
    raises); ``str()`` is the plain message, not KeyError's quoted repr, so a UI can show it.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class TrainingSettings:
    """How the model was trained: ``rnnviz.train.Trainer``'s arguments and the number of steps."""

    optimizer: str
    lr: float
    clip: str
    clip_value: float
    seq_len: int
    batch_size: int
    steps: int
    init: str  # rnnviz.network.init_model's scheme, seeded with ModelCard.seed

    @property
    def chars_seen(self) -> int:
        return self.steps * self.seq_len * self.batch_size


@dataclass(frozen=True)
class NotableUnit:
    """A hidden unit (layer 0) whose h_t follows a feature of the text (``rnnviz.analysis.FEATURES``).

    ``r``: Pearson correlation of the unit's h_t with the feature over the measured text;
    ``claim``: the |r| the unit is promised to reach (tests/test_pretrained.py checks it).
    """

    unit: int
    feature: str
    r: float
    claim: float
    what: str


@dataclass(frozen=True)
class ModelCard:
    name: str
    title: str
    corpus: str  # a name from rnnviz.corpora.builtin_names()
    vocab: tuple[str, ...]  # the characters the model reads, in input-id order
    cell: str
    nonlinearity: str
    num_layers: int
    hidden_size: int
    seed: int
    training: TrainingSettings
    measured_on: str
    bits_per_char: float  # next-character loss on the measured text
    max_bits_per_char: float  # the loss the model is promised to stay below
    unigram_bits_per_char: float  # the best guess without context: the corpus's character entropy
    units: tuple[NotableUnit, ...]
    weights_sha256: str  # digest of the arrays (names, dtypes, shapes, values): see weights_digest
    format: int = CARD_FORMAT

    @property
    def vocabulary(self) -> Vocab:
        return Vocab(self.vocab)

    @property
    def file(self) -> str:
        return f"{self.name}.npz"

    def to_json(self) -> dict:
        """A JSON-ready dict (floats round-trip exactly through ``json``)."""
        out = asdict(self)
        out["vocab"] = list(self.vocab)
        out["units"] = [asdict(u) for u in self.units]
        return out

    @classmethod
    def from_json(cls, data: dict) -> "ModelCard":
        if data.get("format") != CARD_FORMAT:
            raise ValueError(f"model card format {data.get('format')!r}; this rnnviz reads format {CARD_FORMAT}")
        fields = dict(data)
        fields["vocab"] = tuple(data["vocab"])
        fields["training"] = TrainingSettings(**data["training"])
        fields["units"] = tuple(NotableUnit(**u) for u in data["units"])
        return cls(**fields)

    def describe_model(self) -> str:
        """e.g. "Vanilla RNN (tanh), 1 layer of 16 units, 3 characters"."""
        kind = _CELL_NAMES.get(self.cell, self.cell)
        if self.cell == "rnn":
            kind += f" ({self.nonlinearity})"
        layers = f"{self.num_layers} layer{'s' if self.num_layers > 1 else ''}"
        return f"{kind}, {layers} of {self.hidden_size} units, {len(self.vocab)} characters"

    def summary(self) -> str:
        """A paragraph for the app (plain text; the corpus and unit descriptions are rnnviz's own)."""
        t = self.training
        text = (
            f"{self.describe_model()}, trained on the {self.corpus} corpus for {t.steps:,} steps "
            f"({t.chars_seen:,} characters; {t.optimizer}, learning rate {t.lr:g}, seed {self.seed}). "
            f"Loss {self.bits_per_char:.2f} bits per character on {self.measured_on}; the best guess "
            f"without context (unigram) needs {self.unigram_bits_per_char:.2f}."
        )
        for u in self.units:
            text += f" Unit {u.unit} {u.what} (r = {u.r:+.2f} with {u.feature})."
        return text


def weights_digest(state_dict: dict[str, np.ndarray]) -> str:
    """SHA-256 of the arrays, independent of the .npz container (whose zip timestamps change
    with every write): key, dtype, shape and little-endian bytes, in sorted key order."""
    h = hashlib.sha256()
    for key in sorted(state_dict):
        a = np.ascontiguousarray(state_dict[key])
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        h.update(f"{key}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


# --- the catalogue ---------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _catalogue(data_dir: Path) -> dict[str, ModelCard]:
    cards = {}
    for path in sorted(data_dir.glob("*.json")):
        card = ModelCard.from_json(json.loads(path.read_text(encoding="utf-8")))
        if card.name != path.stem:
            raise ValueError(f"{path.name} holds the card of {card.name!r}")
        cards[card.name] = card
    return cards


def names(data_dir: Path = DATA_DIR) -> tuple[str, ...]:
    """The shipped models, sorted by name (e.g. ``("brackets-rnn", "counting-gru", ...)``)."""
    return tuple(_catalogue(Path(data_dir)))


def card(name: str, data_dir: Path = DATA_DIR) -> ModelCard:
    """The model card of ``name``; :class:`UnknownModelError` listing the known names otherwise."""
    cards = _catalogue(Path(data_dir))
    if not isinstance(name, str) or name not in cards:
        known = ", ".join(cards) or "none"
        raise UnknownModelError(f"unknown trained model {name!r}; the trained models are: {known}")
    return cards[name]


def cards(data_dir: Path = DATA_DIR) -> tuple[ModelCard, ...]:
    return tuple(_catalogue(Path(data_dir)).values())


@lru_cache(maxsize=None)
def _weights_bytes(path: Path) -> bytes:
    return path.read_bytes()


def load(name: str, data_dir: Path = DATA_DIR) -> tuple[RNNModel, Vocab, ModelCard]:
    """A fresh float64 model (safe to train in place), the characters it reads, and its card.

    The .npz goes through the same safe loader as an upload, and must match the card's sizes
    and weight digest (a WeightsError says which part does not).
    """
    c = card(name, data_dir)
    model = load_model_npz(_weights_bytes(Path(data_dir) / c.file), nonlinearity=c.nonlinearity)
    got = (model.cell, model.num_layers, model.hidden_size, model.input_size, model.output_size)
    expected = (c.cell, c.num_layers, c.hidden_size, len(c.vocab), len(c.vocab))
    if got != expected or model.bidirectional:
        raise WeightsError(f"{c.file} holds a {got} model; its card describes {expected}")
    if weights_digest(state_dict(model)) != c.weights_sha256:
        raise WeightsError(f"{c.file} does not hold the weights its card describes (digest differs)")
    return model, c.vocabulary, c


def unreadable(name_or_card: str | ModelCard, text: str) -> tuple[str, ...]:
    """The characters of ``text`` the model cannot read (not in its vocabulary), each once, in
    order of first appearance: for "this trained model cannot read 'X', 'Y'"."""
    c = name_or_card if isinstance(name_or_card, ModelCard) else card(name_or_card)
    known = set(c.vocab)
    return tuple(dict.fromkeys(ch for ch in text if ch not in known))


def cannot_read_message(name_or_card: str | ModelCard, text: str, *, limit: int = 8) -> str | None:
    """The notice for text the model cannot read, or None when it reads all of ``text``.

    e.g. "This trained model (brackets-rnn) cannot read 'a', '\\t'; ...". Characters are shown
    as Python literals (``repr``: tabs, bidi controls and the like become visible escapes), at most
    ``limit`` of them, then "and N more". Plain text: escape it (``text.markdown_literal``) for
    ``st.markdown``.
    """
    c = name_or_card if isinstance(name_or_card, ModelCard) else card(name_or_card)
    missing = unreadable(c, text)
    if not missing:
        return None
    shown = ", ".join(repr(ch) for ch in missing[:limit])
    more = f" and {len(missing) - limit} more" if len(missing) > limit else ""
    return f"This trained model ({c.name}) cannot read {shown}{more}; it knows only the characters of the {c.corpus} corpus."
