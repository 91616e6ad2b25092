"""Bidirectional: the forward and reverse halves apart, then as PyTorch concatenates them (the
top layer's concatenation is PyTorch's ``output``; a lower layer's feeds the layer above)."""
from __future__ import annotations

import streamlit as st

from ...app import prose
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
    said = prose.bidirectional_text(cfg, T)
    st.markdown(said.text)
    left, right = st.columns(2)
    with left:
        show(units_heatmap(fwd.h[:, b], labels, title="forward h_t (reads left → right)", kind=kind), key="bidir_fwd")
    with right:
        show(units_heatmap(rev.h[:, b], labels, title="reverse h_t (reads right → left)", kind=kind), key="bidir_rev")
    show(concat_figure(fwd.h[:, b], rev.h[:, b], labels, kind=kind, title=said.title, halves=said.halves),
         key="bidir_concat")
    st.caption(said.h_n)
