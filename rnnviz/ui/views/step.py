"""Step through time: the hidden-state heatmap (step independent), then the time controls and
everything that depends on the current step (in a fragment, see ``timeline``)."""
from __future__ import annotations

import streamlit as st

from ... import figures
from ...build import Run
from ...config import Config
from .. import controls, state, timeline
from ..charts import show
from ..common import state_kind, state_symbol, viewed_layer, where

HEATMAP_KEY = "heatmap"
LAST_CLICK = "_last_heatmap_click"


def render(cfg: Config, run: Run) -> None:
    _view_selectors(cfg)
    labels = run.batch.step_labels(cfg.sample)
    if not run.batch.tokens:
        x = run.trace.inputs[:, cfg.sample]
        show(
            figures.inputs_heatmap(x, labels, title=f"Inputs x_t ({x.shape[1]} features × {x.shape[0]} steps)",
                                   annotate=x.size <= 120),
            key="inputs",
        )
    lt = viewed_layer(cfg, run)
    symbol = state_symbol(cfg)
    title = f"Hidden state {symbol}_t, units × time" + (f" — {where(cfg)}" if where(cfg) else "")
    fig = figures.units_heatmap(lt.h[:, cfg.sample], labels, title=title, kind=state_kind(cfg), colorbar_title=symbol)
    event = show(fig, key=HEATMAP_KEY, on_select="rerun", selection_mode="points")
    _apply_click(event)
    timeline.render()


def _view_selectors(cfg: Config) -> None:
    names = [n for n in ("layer", "direction") if (n == "layer" and cfg.layers > 1) or (n == "direction" and cfg.bidirectional)]
    if not names:
        return
    for col, name in zip(st.columns(len(names) + 2)[: len(names)], names):
        controls.widget(name, cfg, container=col)


def _apply_click(event) -> None:
    """A click on a heatmap cell moves to that step and explains that unit."""
    points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) or event else []
    if not points:
        return
    point = points[0]
    if "x" not in point or "y" not in point:
        return
    click = (int(point["x"]), int(point["y"]))
    if st.session_state.get(LAST_CLICK) == click:
        return
    st.session_state[LAST_CLICK] = click
    state.update(step=click[0], unit=click[1])
