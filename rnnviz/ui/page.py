"""The page: sidebar, a short story of what is on screen, the tabs; the URL is kept in sync."""
from __future__ import annotations

import streamlit as st

from ..build import Run
from ..config import Config, choice_label
from ..text import markdown_literal
from . import compute, controls, state, trained
from .timing import timed
from .views import TAB_KEY, TABS


def main() -> None:
    st.set_page_config(page_title="rnnviz: watch an RNN think", page_icon="🔁", layout="wide")
    with timed("full"):
        _page()


def _page() -> None:
    state.bootstrap()
    cfg = state.current()
    controls.sidebar(cfg)
    cfg = state.current()
    run = compute.current_run(cfg)
    _header(cfg, run)
    tabs = [tab for tab in TABS if tab.visible(cfg, run)]
    # Lazy tabs: only the open tab runs and is sent (the others would cost server and browser
    # time on every rerun); the open tab is part of the URL (?tab=...).
    containers = st.tabs([tab.title for tab in tabs], key=TAB_KEY, on_change="rerun", bind="query-params")
    for tab, container in zip(tabs, containers):
        if container.open:
            with container:
                tab.render(cfg, run)
    state.sync_url(state.current())


def _header(cfg: Config, run: Run) -> None:
    st.title("rnnviz: watch a recurrent network think")
    if cfg.note:
        st.info(markdown_literal(cfg.note))  # URL text: shown as typed, never as Markdown/HTML
    if run.overflow:
        st.warning(run.overflow)
    for notice in st.session_state.get(state.NOTICES, []):
        st.warning(markdown_literal(notice))  # notices quote what the URL held
    st.markdown(story(cfg, run))


def story(cfg: Config, run: Run) -> str:
    """One paragraph saying what the page shows right now."""
    cell = choice_label("cell", cfg.cell) + (f" ({cfg.nonlinearity})" if cfg.cell == "rnn" else "")
    shape = f"{cfg.layers}-layer " if cfg.layers > 1 else ""
    shape += "bidirectional " if cfg.bidirectional else ""
    what = {
        "text": f"reads “{markdown_literal(cfg.text if len(cfg.text) <= 40 else cfg.text[:40] + '…')}” one character at a time",
        "ids": f"reads the token ids {list(cfg.ids[:12])}{'…' if len(cfg.ids) > 12 else ''}",
        "random_ids": f"reads {cfg.length} random token ids",
        "random_dense": f"reads {cfg.length} random {cfg.input_size}-dimensional vectors",
        "tf_example": "reads the TensorFlow example's mini-batch (X0, X1: 4 instances × 3 features)",
        "notebook": f"runs the functional notebook's set-up (np.random.seed({cfg.weight_seed}): x, a0, Waa, Wax, Wya, ba, by)",
    }[cfg.inputs]
    text = (f"A {shape}**{cell}** with **{cfg.hidden} hidden units** {what}. Each column of the heatmap is its "
            "hidden state after reading that input (blue negative, red positive); ")
    if run.trace.probs is not None:
        text += "the bars on the right are its softmax guess for the next token. "
    else:
        text += "it has no output layer. "
    if trained.active(cfg):
        text += trained.describe(trained.active(cfg))
    elif cfg.weights == "upload" and st.session_state.get(compute.UPLOAD):
        text += "The weights come from your uploaded file."
    elif cfg.inputs != "notebook":
        text += (f"Its weights are random (seed {cfg.weight_seed}): it has not learned anything yet, so watch the "
                 "mechanics, not the meaning. Press **▶ Play** or click a cell to explain it.")
    return text
