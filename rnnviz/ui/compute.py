"""The one expensive step, cached: model + inputs + forward pass for the fields that define them.

View fields (step, unit, sample, ...) are not part of the cache key, so moving through time,
picking a unit or switching tabs reads the cached trace and never reruns the forward pass.
"""
from __future__ import annotations

import hashlib

import streamlit as st

from .. import config
from ..build import Run, model_dims, run
from ..config import Config
from ..network import RNNModel
from ..weights_io import WeightsError, load_model_npz
from . import state

UPLOAD = "upload_model"  # (digest, model) of the last good upload
CACHE_ENTRIES = 6  # each entry is at most ~40 MB (config.MAX_TRACE_NUMBERS)


def model_key(cfg: Config) -> tuple:
    """The fields that decide the model, inputs and trace, as plain hashable values."""
    return tuple((name, getattr(cfg, name)) for name in config.FIELDS if name not in config.VIEW_FIELDS)


TRAINED = "trained_model"  # {"digest", "vocab", ...} of the model trained in the Train tab (ui/trained.py)


def session_vocab(digest: str | None):
    """The characters the session's trained model reads, when it is the model in use."""
    trained = st.session_state.get(TRAINED)
    return trained["vocab"] if trained and digest and trained["digest"] == digest else None


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Running the network…")
def _cached_run(key: tuple, upload_digest: str | None, _model: RNNModel | None, _vocab=None) -> Run:
    return run(Config(**dict(key)), _model, _vocab)


def current_run(cfg: Config) -> Run:
    """The run for ``cfg`` (from the cache when the model and inputs did not change)."""
    digest, model = None, None
    if cfg.weights == "upload" and cfg.inputs != "notebook" and st.session_state.get(UPLOAD):
        digest, model = st.session_state[UPLOAD]
    return _cached_run(model_key(cfg), digest, model, session_vocab(digest))


def load_upload(data: bytes, nonlinearity: str) -> str | None:
    """Load uploaded parameters; returns an error message for the user, or None when it worked."""
    digest = hashlib.sha256(data).hexdigest() + nonlinearity
    if st.session_state.get(UPLOAD) and st.session_state[UPLOAD][0] == digest:
        return None
    try:
        model = load_model_npz(data, nonlinearity=nonlinearity)
    except WeightsError as exc:
        forget_upload()
        return f"Could not use this file: {exc}"
    st.session_state[UPLOAD] = (digest, model)
    st.session_state[state.UPLOAD_DIMS] = model_dims(model)
    return None


def forget_upload() -> None:
    st.session_state[UPLOAD] = None
    st.session_state[state.UPLOAD_DIMS] = None
