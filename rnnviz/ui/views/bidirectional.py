"""Bidirectional: the forward and reverse halves apart, then as PyTorch concatenates them."""
from __future__ import annotations

import streamlit as st

from ...app.compute import Computed
from ...app.knobs import Config
from ...figures.model import concat_figure
from ...figures.model import units_heatmap
from ..charts import show
from ..common import state_kind


def render(cfg: Config, computed: Computed) -> None:
    fwd, rev = computed.trace.layers[cfg.layer]
    b, kind = cfg.sample, state_kind(cfg)
    labels = computed.batch.step_labels(b)
    T = len(labels)
    st.markdown(
        f"Layer {cfg.layer} runs twice. The **forward** half reads x[0] → x[{T - 1}]; the **reverse** half reads "
        f"x[{T - 1}] → x[0]. PyTorch (and rnnviz) store the reverse states **at the time index of the input they just "
        "read**, so column t of both halves belongs to input t, and `output[t] = [h_fwd[t] ; h_rev[t]]`. "
        "(A common hand-written version forgets to re-reverse the backward outputs; then column t of the reverse "
        "half would belong to input T-1-t.)"
    )
    left, right = st.columns(2)
    with left:
        show(units_heatmap(fwd.h[:, b], labels, title="forward h_t (reads left → right)", kind=kind), key="bidir_fwd")
    with right:
        show(units_heatmap(rev.h[:, b], labels, title="reverse h_t (reads right → left)", kind=kind), key="bidir_rev")
    show(concat_figure(fwd.h[:, b], rev.h[:, b], labels, kind=kind), key="bidir_concat")
    st.caption(f"h_n holds the forward state after x[{T - 1}] (its last column) and the reverse state after x[0] "
               "(its first column).")
