"""Weight matrices as heatmaps, named and shaped as the chosen formulation writes them."""
from __future__ import annotations

import streamlit as st

from ...app.compute import Computed
from ...app.knobs import Config
from ...app.notation import TITLES, spoken, weight_matrices
from ...figures.model import matrix_heatmap
from ..charts import show


def render(cfg: Config, computed: Computed) -> None:
    mats = weight_matrices(computed.model, cfg.notation, cfg.layer, cfg.dir_index)
    note = TITLES[cfg.notation]
    if spoken(cfg.notation, cfg.cell) != cfg.notation:
        note += " — that formulation is for vanilla RNNs, so LSTM/GRU weights keep PyTorch's names (gate blocks stacked)"
    st.caption(f"Notation: {note} (change it in the sidebar). Layer {cfg.layer}, {cfg.direction} direction.")
    cols = st.columns(2)
    for k, mat in enumerate(mats):
        with cols[k % 2]:
            title = f"{mat.name}  ({mat.rows} × {mat.cols} = {mat.shape_text})"
            show(matrix_heatmap(mat.array, title=title, rows=mat.rows, cols=mat.cols),
                            key=f"weights_{k}")
