"""The one expensive step, cached: model + inputs + forward pass for the fields that define them.

View fields (step, unit, sample, ...) are not part of the cache key, so moving through time,
picking a unit or switching tabs reads the cached trace and never reruns the forward pass.
"""
from __future__ import annotations

import hashlib

import streamlit as st

from ..app.compute import Computed, compute
from ..app.knobs import FIELDS, VIEW_FIELDS, Config
from ..network import RNNModel
from ..text import Vocab
from ..weights_io import WeightsError, load_model_npz
from . import session

CACHE_ENTRIES = 6  # each entry is at most ~40 MB (app.limits.MAX_TRACE_NUMBERS)


def model_key(cfg: Config) -> tuple:
    """The fields that decide the model, inputs and trace, as plain hashable values."""
    return tuple((name, getattr(cfg, name)) for name in FIELDS if name not in VIEW_FIELDS)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Running the network…")
def _cached(key: tuple, model_digest: str | None, _model: RNNModel | None, _vocab: Vocab | None = None) -> Computed:
    # model_digest stands for _model (and _vocab) in the cache key: arguments with "_" are not hashed
    return compute(Config(**dict(key)), _model, _vocab)


def current(cfg: Config) -> Computed:
    """What ``cfg`` shows (from the cache when the model and inputs did not change).

    Most reruns (a step report, a view change) ask for the same computation as the last one: the
    session keeps it, which skips st.cache_data's argument hashing (measured: ~17% of a rerun's
    server time under load)."""
    digest, model, vocab = session.external_model(cfg) or (None, None, None)
    key = (model_key(cfg), digest)
    last = session.get(session.LAST_COMPUTED)
    if last is not None and last[0] == key:
        return last[1]
    computed = _cached(key[0], digest, model, vocab)
    session.put(session.LAST_COMPUTED, (key, computed))
    return computed


def model_token(cfg: Config) -> tuple:
    """A cache key for anything computed from the page's model: its config and, when it
    replaces the seeded one, the uploaded or trained model's digest."""
    found = session.external_model(cfg)
    return model_key(cfg), found[0] if found else None


def load_upload(data: bytes, nonlinearity: str) -> str | None:
    """Load uploaded parameters; returns an error message for the user, or None when it worked."""
    digest = hashlib.sha256(data).hexdigest() + nonlinearity
    if session.upload() is not None and session.upload().digest == digest:
        return None
    try:
        model = load_model_npz(data, nonlinearity=nonlinearity)
    except WeightsError as exc:
        forget_upload()
        return f"Could not use this file: {exc}"
    session.put(session.UPLOAD, session.Upload(digest, model))
    return None


def forget_upload() -> None:
    session.put(session.UPLOAD, None)
