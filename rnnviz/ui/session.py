"""Every key this app keeps in ``st.session_state``, and the typed records behind them.

The only module that names session keys: others call the accessors below (or import a key for
a widget they draw). It imports nothing else from ``rnnviz.ui``, so any UI module can use it.

Three kinds of model can replace the seeded one:
- an uploaded ``.npz`` (``Weights = upload``): :class:`Upload`, in its session slot;
- the model trained in this session's Train tab (``Weights = session``): :class:`TrainedHere`;
- a trained model that ships with rnnviz (``Weights = trained:<name>``): no session slot, it is
  read once per server process (:func:`shipped_model`) and shared, never modified.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from .. import pretrained
from ..app.compute import model_dims
from ..app.knobs import Config
from ..app.rules import external_weights, shipped
from ..network import RNNModel
from ..text import Vocab
from ..train import Trainer

# --- keys --------------------------------------------------------------------------------------
CONFIG, NOTICES = "cfg", "notices"  # the page's Config and the notices of its last change
UPLOAD, UPLOAD_ERROR = "upload", "upload_error"  # the last good upload; why the last one failed
TRAINED = "trained_here"  # TrainedHere: the model of the Train tab, after each chunk
TRAINER, TRAINING_JOB, TRAINING, TRAINING_ERROR = "trainer", "training_job", "training", "training_error"
# the step player (a client-side component): its widget key; the command it was last given
# ({"seq", "step", "unit"}: the browser jumps there once per seq); where the browser is known to
# be; the last report of the browser that was applied (a report stays in the widget's state)
PLAYER, PLAYER_COMMAND, PLAYER_SEEN, PLAYER_REPORT = "player", "_player_command", "_player_seen", "_player_report"
# the unrolled view (a client-side component): its widget key; a row pick was applied (rerun the page)
UNROLLED, UNROLLED_PICKED = "unrolled_view", "_unrolled_picked"
NEURON_RANKING = "_neuron_ranking"  # Explore: the ranking the unit picker was last reset for
LAST_COMPUTED = "_last_computed"  # (cache key, Computed) this session used last: reruns skip the cache lookup
LAST_SPEC = "_last_spec"  # (cache key, player data) the step player got last: the same, for its data
# widget keys that code outside the widget's own call reads or writes
PRESET_WIDGET, UPLOAD_WIDGET, NEURON_UNIT_WIDGET = "preset", "upload_file", "neuron_unit"
TAB = "tab"  # the open tab, bound to the URL by st.tabs (the codec leaves it alone)
EXPLORE_MODEL = "explore_model"  # Explore: which model its views read (a shipped one, or the page's)
TRAIN_START = "train_start_from"  # Train: start from random weights or from a shipped model
THEME_WATCH = "_theme_watch"  # the small component that reruns the page when the browser's theme changes
EXPLORE_VIEW_WIDGET = "explore_view"  # Explore's view picker: a lesson's reveal opens Vanishing gradients
# lessons (rnnviz/ui/lessons.py): the (lesson, step) the URL held after the last run; the
# commitments {(lesson, q): LessonCommit}; the tally (right, asked); the (lesson, q, token) a teacher
# revealed; what the step player outlines ({"slot", "out", "steps", "step", "unit"} or None); a bad
# lesson link's message and the Config it was shown for
LESSON_AT, LESSON_COMMITS, LESSON_TALLY = "_lesson_at", "_lesson_commits", "_lesson_tally"
LESSON_SHOWN, LESSON_HIGHLIGHT, LESSON_ERROR = "_lesson_shown", "_lesson_highlight", "_lesson_error"
LESSON_INPUT_ERROR = "_lesson_input_error"  # why the last Commit was not taken (no answer, not a number)
LESSON_OPENED = "_lesson_opened"  # the (lesson, step) whose values were last applied


def widget_key(name: str) -> str:
    """The key of the widget of Config field ``name``."""
    return f"w_{name}"


def has(key: str) -> bool:
    """``key in st.session_state`` without its cost (``in`` copies the whole state on every call)."""
    try:
        st.session_state[key]
    except KeyError:
        return False
    return True


def get(key: str, default: Any = None) -> Any:
    return st.session_state.get(key, default)


def put(key: str, value: Any) -> None:
    st.session_state[key] = value


def pop(key: str, default: Any = None) -> Any:
    return st.session_state.pop(key, default)


# --- records -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Upload:
    """A model read from an uploaded file."""

    digest: str  # of the file's bytes and the nonlinearity it was read with
    model: RNNModel


@dataclass(frozen=True)
class TrainedHere:
    """A snapshot (float64) of the model the Train tab trains, with what an upload lacks."""

    digest: str  # changes with every snapshot: caches key on it
    model: RNNModel
    vocab: Vocab  # the characters it reads
    corpus: str  # its name
    text: str  # the corpus itself (Explore shows units over it)
    steps: int
    bits: float | None  # loss of the last step, bits per character

    @property
    def excerpt(self) -> str:
        """The start of the corpus, cut after the last newline within 60 characters if there is one."""
        head = self.text[:60]
        cut = head.rfind("\n")
        return head[: cut + 1] if cut > 0 else head


@dataclass(frozen=True)
class LessonCommit:
    """A student's committed prediction for one lesson step, for the numbers it was made on."""

    choice: str  # the option key, or the typed text
    right: bool
    token: tuple  # the model and inputs (and viewed sample) it was graded against


@dataclass
class TrainingJob:
    """What the Train tab is training: the settings that make a new job, and its progress."""

    signature: tuple  # corpus, model and optimizer settings; a change starts a new job
    id: str
    corpus: str
    vocab: Vocab
    text: str
    baseline: float  # unigram entropy of the corpus, nats per character
    target: int = 0  # steps to reach
    seconds: float = 0.0  # spent training


# --- accessors ---------------------------------------------------------------------------------

def config() -> Config:
    return st.session_state[CONFIG]


def upload() -> Upload | None:
    return get(UPLOAD)


def trained() -> TrainedHere | None:
    return get(TRAINED)


def trained_active(cfg: Config) -> TrainedHere | None:
    """The model trained here, when it is the page's model (Weights = trained here)."""
    return trained() if cfg.weights == "session" and external_weights(cfg) else None


@st.cache_resource(max_entries=8, show_spinner=False)
def shipped_model(name: str) -> tuple[str, RNNModel, Vocab]:
    """``(digest, model, vocab)`` of a shipped trained model, loaded once per process and shared by
    every session: read it, never train it (the Train tab calls ``pretrained.load`` for a fresh copy)."""
    model, vocab, card = pretrained.load(name)
    return f"shipped:{name}:{card.weights_sha256[:16]}", model, vocab


def external_model(cfg: Config) -> tuple[str, RNNModel, Vocab | None] | None:
    """``(digest, model, vocab)`` of the model that replaces the seeded one for ``cfg``, if any."""
    if not external_weights(cfg):
        return None
    name = shipped(cfg)
    if name is not None:
        return shipped_model(name)
    if cfg.weights == "upload" and upload() is not None:
        return upload().digest, upload().model, None  # a .npz holds no vocabulary
    trained_model = trained_active(cfg)
    if trained_model is not None:
        return trained_model.digest, trained_model.model, trained_model.vocab
    return None


def external_dims(cfg: Config) -> dict | None:
    """The config fields the replacing model decides, for ``rules.normalise``."""
    found = external_model(cfg)
    return model_dims(found[1]) if found else None


def trainer() -> Trainer | None:
    return get(TRAINER)


def training_job() -> TrainingJob | None:
    return get(TRAINING_JOB)


def training() -> bool:
    return bool(get(TRAINING, False))
