"""LSTM / GRU: every gate and the cell state over time, for the viewed layer, direction and sample."""
from __future__ import annotations

import streamlit as st

from ... import figures
from ...build import Run
from ...config import Config
from ..charts import show
from ..common import viewed_layer, where

GATE_INFO = {
    "lstm": {"i": ("i: input gate (how much of g to write)", "sigmoid"),
             "f": ("f: forget gate (how much of c to keep)", "sigmoid"),
             "g": ("g: candidate values", "tanh"),
             "o": ("o: output gate (how much of tanh(c) to show)", "sigmoid")},
    "gru": {"r": ("r: reset gate (how much of h_{t-1} the candidate sees)", "sigmoid"),
            "z": ("z: update gate (1 = keep h_{t-1})", "sigmoid"),
            "n": ("n: candidate state", "tanh")},
}


def render(cfg: Config, run: Run) -> None:
    lt = viewed_layer(cfg, run)
    b = cfg.sample
    panels = {title: (lt.gate(name)[:, b], kind) for name, (title, kind) in GATE_INFO[cfg.cell].items()}
    if lt.c is not None:
        panels["c: cell state (unbounded: colour scale fits the values)"] = (lt.c[:, b], "free")
    panels["h: hidden state"] = (lt.h[:, b], "tanh")
    title = f"{cfg.cell.upper()} gates over time" + (f" — {where(cfg)}" if where(cfg) else "")
    show(figures.gates_figure(panels, run.batch.step_labels(b), title=title), key="gates")
    st.caption("Rows are units, columns are time steps. Sigmoid gates use a fixed [0, 1] scale, tanh values [-1, 1].")
