"""The unrolled view (issue 11): an ``st.components.v2`` component that draws the network unrolled
in time, as the textbooks do, and follows the step player in the browser.

The data comes from :func:`rnnviz.figures.unrolled.unrolled_spec` and holds no step: the view
hears the player's step on ``window`` (the "rnnviz:step" event) and moves it with "rnnviz:goto",
so stepping never costs a round trip and never re-sends this data. The browser reports one thing
back: a row pick ``{"layer", "direction"}`` (a click on a cell row), which the page applies to the
Config (the player and every tab then view that layer and direction). The JS and CSS live next
to this module and go inline (no package, no build step, nothing fetched).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import streamlit as st

from ...app.compute import Computed
from ...app.knobs import DIRECTIONS, Config
from ...figures.unrolled import PROJECTOR_SIZES, unit_in_data, unrolled_spec
from .. import compute, controls, session, state
from ..client import bundle
from ..common import state_kind

JS, CSS = bundle(Path(__file__).resolve().parent, "unrolled")  # with ../client's shared base
COMPONENT = "rnnviz_unrolled"
SPEC_ENTRIES = 4  # cached specs (each well under 1 MB, see figures/unrolled.py's size rules)

# Registered once, at import (Streamlit re-registers it on a new runtime, e.g. each AppTest).
_mount = st.components.v2.component(COMPONENT, js=JS, css=CSS, isolate_styles=True)


def unrolled(data: dict, *, key: str, on_pick: Callable[[], None]) -> None:
    """Mount the view with ``data`` (its Arrow form, see :func:`as_arrow`). ``on_pick`` runs (as a
    widget callback, before the rerun) when the browser sends a row pick; the pick is then in
    ``st.session_state[key]["pick"]``, unvalidated (use :func:`read_pick`)."""
    _mount(key=key, data=data, on_pick_change=on_pick, width="stretch")


def as_arrow(spec: dict) -> dict:
    """``spec`` with every NumPy array as a one-column ``pyarrow.Table`` ("value"): Streamlit's
    direct path (a NumPy array would go through pandas on every rerun); the browser receives the
    same Arrow table either way."""
    return {k: pa.table({"value": v}) if isinstance(v, np.ndarray) else v for k, v in spec.items()}


def read_pick(value: Any, layers: int, bidirectional: bool) -> tuple[int, str] | None:
    """A pick the browser sent, validated: ``(layer, direction)``, or None for anything else (a
    forged or stale message is ignored, never a traceback)."""
    if not isinstance(value, Mapping):
        return None
    layer, direction = value.get("layer"), value.get("direction")
    if isinstance(layer, float) and layer.is_integer():
        layer = int(layer)  # JSON may carry 1.0 for 1
    if not isinstance(layer, int) or isinstance(layer, bool) or not 0 <= layer < layers:
        return None
    if not isinstance(direction, str) or direction not in DIRECTIONS or (direction == "reverse" and not bidirectional):
        return None
    return layer, direction


def section(cfg: Config, computed: Computed) -> None:
    """The toggle and, when it is on, the view (mounted in the step tab's fragment, below the player)."""
    controls.widget("unrolled", cfg)
    if not cfg.unrolled:
        return
    unrolled(_data(cfg, computed), key=session.UNROLLED, on_pick=_on_pick)
    if session.pop(session.UNROLLED_PICKED, False):
        st.rerun(scope="app")  # the layer and direction selectors sit outside the fragment


def _on_pick() -> None:
    """A click on a cell row: the page views that layer and direction (validated; a forged or
    stale pick is ignored). Runs as a callback, before any widget of the rerun exists."""
    value = session.get(session.UNROLLED)
    cfg = state.current()
    pick = read_pick(value.get("pick") if isinstance(value, Mapping) else None, cfg.layers, cfg.bidirectional)
    if pick is not None and pick != (cfg.layer, cfg.direction):
        state.update(layer=pick[0], direction=pick[1])
        session.put(session.UNROLLED_PICKED, True)


def _data(cfg: Config, computed: Computed) -> dict:
    """The view's data (Arrow form), the very same dict while nothing it shows changed (then
    Streamlit does not re-send it). The chosen unit enters it only when the internals of every
    unit would be too big to send."""
    unit = cfg.unit if unit_in_data(cfg.cell, cfg.length, cfg.hidden, cfg.layers, cfg.num_directions, cfg.notation,
                                    cfg.nonlinearity) else -1
    # a projector layout (issue 11, part 1: ``?layout=projector``, a field of another branch) passes bigger sizes
    projector = getattr(cfg, "layout", "") == "projector"
    return _cached(compute.model_token(cfg), cfg.sample, cfg.notation, cfg.layer, cfg.dir_index, unit, projector,
                   computed)[1]


@st.cache_resource(max_entries=SPEC_ENTRIES, show_spinner=False)
def _cached(model_token: tuple, sample: int, notation: str, layer: int, direction: int, unit: int, projector: bool,
            _computed: Computed) -> tuple[dict, dict]:
    # cache_resource, not cache_data: the same object comes back, so its Arrow form is made once
    cfg = replace(_computed.cfg, sample=sample, notation=notation)
    batch, trace = _computed.batch, _computed.trace
    out_labels = None
    if trace.probs is not None:
        size = trace.probs.shape[-1]
        labels = batch.token_labels
        out_labels = labels if labels and len(labels) == size else [str(i) for i in range(size)]
    spec = unrolled_spec(
        trace, _computed.model, sample=sample, step_labels=batch.step_labels(sample), output_labels=out_labels,
        notation=notation, kind=state_kind(cfg), view_layer=layer, view_direction=direction,
        unit=max(unit, 0), sizes=PROJECTOR_SIZES if projector else None,
    )
    return spec, as_arrow(spec)
