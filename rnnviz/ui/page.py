"""The pages: the app (sidebar, a short story of what is on screen, an open lesson's panel, the
tabs; the URL is kept in sync) and the list of lessons, as ``st.navigation`` pages."""
from __future__ import annotations

from functools import partial

import streamlit as st

from ..app import prose, rules
from ..app.compute import Computed
from ..app.knobs import Config
from ..app.markdown import markdown_literal
from . import compute, controls, lessons, projector, session, state, theme
from .timing import timed
from .views import TABS


def main() -> None:
    # the projector layout starts with the sidebar collapsed: decided from the URL (first run) or the
    # Config before anything else runs
    st.set_page_config(page_title="rnnviz: watch an RNN think", page_icon="🔁", layout="wide",
                       initial_sidebar_state=projector.sidebar_state())
    app = st.Page(_page, title="The app", icon=":material/play_circle:", url_path="", default=True)
    lesson_list = st.Page(partial(lessons.list_page, app), title="Lessons", icon=":material/school:",
                          url_path="lessons")
    page = st.navigation([app, lesson_list], position="top")
    with timed("full"):
        page.run()


def _page() -> None:
    state.bootstrap()
    lessons.follow_url()  # ?lesson=<id>&q=<n>: a lesson link, or a lesson picked on the Lessons page
    cfg = state.current()
    controls.sidebar(cfg)
    with st.sidebar:
        theme.watch()  # charts follow the browser's theme (a change reruns the page)
    cfg = state.current()
    projector.style(cfg)
    computed = compute.current(cfg)
    _header(cfg, computed, story=not lessons.waiting(cfg, computed))  # the story may give a lesson's answer away
    if not lessons.panel(cfg, computed):  # a prediction is waiting: no view may show its answer yet
        _sync_url()
        return
    tabs = [tab for tab in TABS if tab.visible(cfg, computed)]
    # Lazy tabs: only the open tab runs and is sent (the others would cost server and browser
    # time on every rerun); the open tab is part of the URL (?tab=...).
    containers = st.tabs([tab.title for tab in tabs], key=session.TAB, on_change="rerun", bind="query-params")
    for tab, container in zip(tabs, containers):
        if container.open:
            with container:
                tab.render(cfg, computed)
    _sync_url()


def _sync_url() -> None:
    cfg = state.current()
    state.sync_url(cfg)
    lessons.remember_url(cfg)


def _header(cfg: Config, computed: Computed, *, story: bool = True) -> None:
    short = cfg.layout == projector.PROJECTOR  # the projector layout: no title, the story in one line
    if not short:
        st.title("rnnviz: watch a recurrent network think")
    if cfg.note:
        st.info(markdown_literal(cfg.note))  # URL text: shown as typed, never as Markdown/HTML
    if computed.overflow:
        st.warning(computed.overflow)
    for notice in session.get(session.NOTICES, []):
        st.warning(markdown_literal(notice))  # notices quote what the URL held
    if not story:
        return
    trained = session.trained_active(cfg)
    uploaded = cfg.weights == "upload" and session.external_model(cfg) is not None
    shipped = rules.shipped(cfg)
    if short:
        weights = prose.weights_short(cfg, shipped=shipped, trained_corpus=trained.corpus if trained else None,
                                      uploaded=uploaded)
        projector.one_line(prose.story_line(cfg, weights=weights))
        return
    weights = prose.shipped_sentence(shipped) if shipped else prose.weights_sentence(
        cfg, trained=(trained.corpus, trained.steps, trained.bits) if trained else None, uploaded=uploaded)
    st.markdown(prose.story(cfg) + weights)
