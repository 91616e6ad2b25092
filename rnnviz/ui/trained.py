"""The model trained in the Train tab as the session's model, so every other tab shows it.

It reuses the uploaded-weights override: ``compute.UPLOAD = (digest, model)`` and
``state.UPLOAD_DIMS`` (the sidebar then shows the model's sizes, locked). ``compute.TRAINED``
adds what an upload lacks: the characters the model reads and where it was trained.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

from ..build import model_dims
from ..config import Config
from ..network import RNNModel
from ..text import Vocab
from . import compute, state


def excerpt(text: str, limit: int = 60) -> str:
    """The start of ``text``, cut after the last newline within ``limit`` characters if there is one."""
    head = text[:limit]
    cut = head.rfind("\n")
    return head[: cut + 1] if cut > 0 else head


def install(model: RNNModel, vocab: Vocab, *, run_id: str, corpus: str, steps: int, bits: float | None,
            text: str) -> None:
    """Make a float64 snapshot of ``model`` the session's model (called after each training chunk)."""
    digest = f"trained:{run_id}:{steps}"
    snapshot = model.astype(np.float64)
    st.session_state[compute.UPLOAD] = (digest, snapshot)
    st.session_state[state.UPLOAD_DIMS] = model_dims(snapshot)
    st.session_state[compute.TRAINED] = dict(digest=digest, vocab=vocab, corpus=corpus, steps=steps, bits=bits,
                                             excerpt=excerpt(text))


def record() -> dict | None:
    """The trained model's record while it is the session's model (not replaced by an upload)."""
    trained = st.session_state.get(compute.TRAINED)
    upload = st.session_state.get(compute.UPLOAD)
    if trained and upload and upload[0] == trained["digest"]:
        return trained
    return None


def active(cfg: Config) -> dict | None:
    """The record when the page shows the trained model (weights = upload, not the notebook)."""
    return record() if cfg.weights == "upload" and cfg.inputs != "notebook" else None


def session_model() -> RNNModel | None:
    return st.session_state[compute.UPLOAD][1] if record() else None


def fit_text(cfg: Config) -> tuple[Config, list[str]]:
    """The trained model reads only its corpus's characters: drop the others from the typed text."""
    trained = active(cfg)
    if trained is None or cfg.inputs != "text":
        return cfg, []
    known = set(trained["vocab"].chars)
    kept = "".join(c for c in cfg.text if c in known)
    if kept == cfg.text:
        return cfg, []
    dropped = sorted(set(cfg.text) - known)
    shown = ", ".join(repr(c) for c in dropped[:8]) + (" …" if len(dropped) > 8 else "")
    if len(kept) < 1:
        kept = trained["excerpt"]
    return replace(cfg, text=kept), [f"The trained model only knows the characters of its corpus ({trained['corpus']}); "
                                     f"left out {shown}."]


def describe(trained: dict) -> str:
    bits = f", {trained['bits']:.2f} bits per character at the last step" if trained["bits"] is not None else ""
    return (f"Its weights were **trained here** on the *{trained['corpus']}* corpus for {trained['steps']} steps"
            f"{bits} (Train tab).")
