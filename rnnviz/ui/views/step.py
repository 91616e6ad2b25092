"""Step through time: the hidden-state heatmap (step independent), then the time controls and
everything that depends on the current step (in a fragment, see ``timeline``)."""
from __future__ import annotations

import streamlit as st

from ...app.compute import Computed
from ...app.knobs import Config
from ...figures import model as model_figures
from ...figures import step as figures
from .. import controls, session, state, timeline
from ..charts import show
from ..common import state_kind, state_symbol, viewed_layer, where


def render(cfg: Config, computed: Computed) -> None:
    _view_selectors(cfg)
    labels = computed.batch.step_labels(cfg.sample)
    if not computed.batch.tokens:
        x = computed.trace.inputs[:, cfg.sample]
        show(
            model_figures.inputs_heatmap(x, labels, title=f"Inputs x_t ({x.shape[1]} features × {x.shape[0]} steps)",
                                   annotate=x.size <= 120),
            key="inputs",
        )
    lt = viewed_layer(cfg, computed)
    symbol = state_symbol(cfg)
    title = f"Hidden state {symbol}_t, units × time" + (f" — {where(cfg)}" if where(cfg) else "")
    fig = figures.units_heatmap(lt.h[:, cfg.sample], labels, title=title, kind=state_kind(cfg), colorbar_title=symbol)
    event = show(fig, key=session.HEATMAP, on_select="rerun", selection_mode="points")
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
    if session.get(session.LAST_CLICK) == click:
        return
    session.put(session.LAST_CLICK, click)
    state.update(step=click[0], unit=click[1])
