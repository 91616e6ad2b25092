"""Share and export: the link to this exact view, lesson links with hidden controls, downloads."""
from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

import streamlit as st

from ...app import codec
from ...app.compute import Computed
from ...app.knobs import HIDEABLE, KNOBS, Config, label
from ...export import trace_npz
from ...weights_io import save_npz
from .. import worksheet


def page_url() -> str:
    """This page's address without its query (``st.context.url`` when the browser sent it)."""
    url = getattr(st.context, "url", None) or "http://localhost:8501/"
    return url.split("?")[0]


def link(cfg: Config) -> str:
    query = codec.to_query(cfg)
    return page_url() + ("?" + urlencode(query) if query else "")


def render(cfg: Config, computed: Computed) -> None:
    st.subheader("Link to exactly this view")
    st.caption("The address bar always holds the whole state: model, weights seed, inputs, step and unit.")
    st.code(link(cfg), language=None)
    if cfg.weights in ("upload", "session") and cfg.inputs != "notebook":
        st.warning("Uploaded or trained weights are not part of a link: whoever opens it sees seeded random weights.")

    st.subheader("Lesson link")
    st.caption("Hide the controls students should not touch (like TensorFlow Playground's lesson links) and add a note.")
    hide = st.multiselect("Controls to hide", HIDEABLE, default=sorted(cfg.hide), key="lesson_hide",
                          format_func=label)
    note = st.text_input("Note shown at the top", value=cfg.note, max_chars=KNOBS["note"].max_len, key="lesson_note")
    st.code(link(replace(cfg, hide=frozenset(hide), note=note)), language=None)

    st.subheader("Downloads")
    cols = st.columns(2)
    cols[0].download_button("Trace (.npz)", data=lambda: trace_npz(computed.trace), file_name="rnnviz_trace.npz",
                            mime="application/octet-stream", on_click="ignore", key="download_trace",
                            help="inputs, output, h_n, logits, probs, and per layer h_l{k}, ih_l{k}, hh_l{k}, gates_l{k}, c_l{k} (+ _reverse; time-major)")
    cols[1].download_button("Parameters (.npz, PyTorch names)", data=lambda: save_npz(computed.model),
                            file_name="rnnviz_parameters.npz", mime="application/octet-stream", on_click="ignore",
                            key="download_params", help="weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, …, out.weight, out.bias")
    st.caption("Each chart's toolbar has a camera button that saves it as PNG. "
               "Upload parameters in the sidebar: Weights → upload .npz.")

    st.subheader("Worksheet: one step by hand")
    st.caption("A printable sheet for a small network (hidden, input and length up to 4): its weights, inputs and "
               "initial state rounded to 2 decimals, empty boxes for every step, and an answer key computed from "
               "the printed numbers.")
    worksheet.section(cfg, computed, link_for=link, key="share_worksheet")
