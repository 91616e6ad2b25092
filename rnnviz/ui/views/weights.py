"""Weight matrices as heatmaps, named and shaped as the chosen formulation writes them."""
from __future__ import annotations

import streamlit as st

from ...app.compute import Computed
from ...app.knobs import Config
from ...app.notation import weights_note, weight_matrices
from ...figures.model import matrix_heatmap
from ..charts import show


def render(cfg: Config, computed: Computed) -> None:
    mats = weight_matrices(computed.model, cfg.notation, cfg.layer, cfg.dir_index)
    st.caption(f"Notation: {weights_note(cfg.notation, cfg.cell)} (change it in the sidebar). "
               f"Layer {cfg.layer}, {cfg.direction} direction.")
    cols = st.columns(2)
    for k, mat in enumerate(mats):
        with cols[k % 2]:
            show(matrix_heatmap(mat.array, title=mat.title, rows=mat.rows, cols=mat.cols), key=f"weights_{k}")
