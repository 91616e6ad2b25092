"""Sending a figure spec (rnnviz.figures) to the page without Plotly re-validating it.

``st.plotly_chart`` turns a dict into a ``go.Figure`` (validating every property: 20-40 ms a
chart) and then back into a dict. A ``BaseFigure`` instance is taken as already validated and
only ``to_dict()`` is called, so this wrapper hands the spec straight through. The specs are
validated as ``go.Figure`` in the tests (tests/test_figures.py).

Every chart is dressed here for the page (``figures.style.themed``): the browser's theme (light or
dark: backgrounds, text, grid), the projector layout's larger text and the chosen palette.
"""
from __future__ import annotations

import streamlit as st
from plotly.basedatatypes import BaseFigure

from ..figures.style import themed
from . import session, theme
from .common import PLOTLY_CONFIG


class _Prevalidated(BaseFigure):
    def __init__(self, spec: dict):  # no BaseFigure.__init__: that is the validation we skip
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec


def show(spec: dict, *, key: str, config: dict | None = None, **kwargs):
    """``st.plotly_chart`` for a figure spec, dressed for the page's theme, layout and palette;
    returns what ``st.plotly_chart`` returns (the selection for on_select)."""
    cfg = session.config()
    spec = themed(spec, theme.look(), projector=cfg.layout == "projector", palette=cfg.palette)
    return st.plotly_chart(_Prevalidated(spec), key=key, config=config or PLOTLY_CONFIG, theme=None, **kwargs)
