"""LSTM / GRU: every gate and the cell state over time, for the viewed layer, direction and sample."""
from __future__ import annotations

import streamlit as st

from ... import cells
from ...app.compute import Computed
from ...app.knobs import Config
from ...figures.model import gates_figure
from ..charts import show
from ..common import viewed_layer, where


def render(cfg: Config, computed: Computed) -> None:
    lt = viewed_layer(cfg, computed)
    b = cfg.sample
    panels = {f"{g.name}: {g.title} ({g.meaning})": (lt.gate(g.name)[:, b], g.kind) for g in cells.get(cfg.cell).gates}
    if lt.c is not None:
        panels["c: cell state (unbounded: colour scale fits the values)"] = (lt.c[:, b], "free")
    panels["h: hidden state"] = (lt.h[:, b], "tanh")
    title = f"{cfg.cell.upper()} gates over time" + (f" — {where(cfg)}" if where(cfg) else "")
    show(gates_figure(panels, computed.batch.step_labels(b), title=title), key="gates")
    st.caption("Rows are units, columns are time steps. Sigmoid gates use a fixed [0, 1] scale, tanh values [-1, 1].")
