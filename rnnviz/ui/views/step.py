"""Step through time: the client-side player (heatmap, time strip, h_t and Δh bars, softmax,
gates, live equation, time controls) drawn and stepped in the browser.

The browser gets the step views' arrays once per model or view change and redraws a step by
indexing them (rnnviz/figures/player.py, rnnviz/ui/player/). It reports step, unit and speed
back, throttled, so the Config, the URL and the other tabs follow; a report reruns only the
fragment below, whose data is the same cached dict, so Streamlit does not re-send it. The
server moves the browser only by a *command* (a new ``seq``): when the Config's step or unit
changed elsewhere (the URL, another tab, a lesson), never to echo a report.
"""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import streamlit as st

from ...app import prose
from ...app.compute import Computed
from ...app.knobs import VIEW_FIELDS, Config
from ...figures import model as model_figures
from ...figures.player import PROJECTOR_SIZES, player_spec, unit_in_data
from ...figures.style import CB_COLORS, colorscale
from .. import compute, controls, session, state
from ..charts import show
from ..common import state_kind, state_symbol, viewed_layer
from ..player import player, read_state
from .. import unrolled
from ..timing import timed

SPEC_ENTRIES = 8  # cached player specs (each holds the viewed layer's arrays, ~1-8 MB at 512 x 500)
# view fields the player's data does not hold (or only through the command)
_NOT_DRAWN = ("step", "unit", "speed", "hide", "note", "unrolled", "lesson", "q")


def render(cfg: Config, computed: Computed) -> None:
    _view_selectors(cfg)
    projector = cfg.layout == "projector"  # the player first: it must fit the screen
    if not projector:
        _inputs(cfg, computed)
    st.fragment(_steps)()
    if projector:
        _inputs(cfg, computed)


def _inputs(cfg: Config, computed: Computed) -> None:
    """Dense inputs as a heatmap (token inputs are the player's time strip)."""
    if not computed.batch.tokens:
        x = computed.trace.inputs[:, cfg.sample]
        labels = computed.batch.step_labels(cfg.sample)
        show(model_figures.inputs_heatmap(x, labels, title=f"Inputs x_t ({x.shape[1]} features × {x.shape[0]} steps)",
                                          annotate=x.size <= 120), key="inputs")


def _view_selectors(cfg: Config) -> None:
    """What the player shows: which layer and direction, and how many top guesses."""
    names = [n for n in ("layer", "direction") if (n == "layer" and cfg.layers > 1) or (n == "direction" and cfg.bidirectional)]
    if cfg.output_size:
        names.append("topk")
    if not names:
        return
    if cfg.layout == "projector":  # the projector layout keeps the screen for the player: they go to the sidebar
        with st.sidebar:
            st.subheader("Step view")
            for name in names:
                controls.widget(name, cfg)
        return
    for col, name in zip(st.columns(max(len(names), 3)), names):
        controls.widget(name, cfg, container=col)


def _steps() -> None:
    with timed("fragment"):
        mounted = session.has(session.PLAYER)  # False when the tab was closed (Streamlit dropped the widget)
        cfg = _apply_report(state.current())
        computed = compute.current(cfg)
        command = _command(cfg, remount=not mounted, model=compute.model_token(cfg))
        spec = _spec(cfg, computed, command, session.get(session.LESSON_HIGHLIGHT))
        shown = player(spec, key=session.PLAYER)
        if session.get(session.PLAYER_REPORT) is None:  # its first value is our own default, not a report
            session.put(session.PLAYER_REPORT, tuple(shown.get(n) for n in ("step", "unit", "speed")))
        if spec["O"] == 0:
            st.caption(spec["texts"]["no_output"])
        unrolled.section(cfg, computed)  # the network unrolled in time, following the player in the browser
        _notebook_printout(cfg, computed)
        state.sync_url(state.current())  # a fragment rerun must keep the URL in step too


def _reported() -> tuple | None:
    """The player's state as the browser last set it (or our default): (step, unit, speed), unchecked."""
    value = session.get(session.PLAYER)
    return None if not isinstance(value, dict) else tuple(value.get(n) for n in ("step", "unit", "speed"))


def _apply_report(cfg: Config) -> Config:
    """What the browser reported last, validated (a forged message is ignored), into the Config."""
    reported, key = session.get(session.PLAYER), _reported()
    if key is None or key == session.get(session.PLAYER_REPORT):
        return cfg  # nothing new: a report stays in the widget's state after it was applied
    session.put(session.PLAYER_REPORT, key)
    step, unit, speed, notices = read_state(reported, cfg.length, cfg.hidden, step=cfg.step, unit=cfg.unit,
                                            speed=cfg.speed)
    session.put(session.PLAYER_SEEN, (step, unit))
    if (step, unit, speed) != (cfg.step, cfg.unit, cfg.speed):
        cfg = state.update(step=step, unit=unit, speed=speed)
    for notice in notices:
        st.warning(notice)
    return cfg


def _command(cfg: Config, *, remount: bool, model: tuple) -> dict:
    """The command for the browser: a new one (next ``seq``) when the Config's step or unit is not
    where the browser is known to be (moved by the URL, another tab or a lesson), or when the
    player may be mounted anew (it would start from an old command): the tab was closed, or
    another model changed the page around it (Streamlit may then rebuild the element)."""
    command = session.get(session.PLAYER_COMMAND) or {"seq": 0}
    if remount or command.get("model") != model or session.get(session.PLAYER_SEEN) != (cfg.step, cfg.unit):
        # the speed goes with the command: the player's initial speed; the browser's own changes
        # come back as reports and must not change the data (a re-send)
        command = {"seq": command["seq"] + 1, "step": cfg.step, "unit": cfg.unit, "speed": cfg.speed, "model": model}
        session.put(session.PLAYER_COMMAND, command)
        session.put(session.PLAYER_SEEN, (cfg.step, cfg.unit))
        # what the widget holds now is old news (a stale report, or nothing before the mount)
        session.put(session.PLAYER_REPORT, None if remount else _reported())
    return command


def _spec(cfg: Config, computed: Computed, command: dict, highlight: dict | None = None) -> dict:
    """The player's data, the very same dict while nothing it shows changed (then Streamlit does
    not re-send it). The chosen unit enters it only when the equation numbers of all units would
    be too big to send (hidden 512 x length 500). ``highlight``: what a lesson's revealed answer
    outlines (rnnviz/ui/lessons.py)."""
    view = tuple((name, getattr(cfg, name)) for name in VIEW_FIELDS if name not in _NOT_DRAWN)
    eq_unit = cfg.unit if unit_in_data(cfg.cell, cfg.notation, cfg.length, cfg.hidden) else -1
    key = (compute.model_token(cfg), view, command["seq"], command["step"], command["unit"], eq_unit,
           command["speed"], json.dumps(highlight, sort_keys=True) if highlight else "")
    # Most reruns are step reports that change nothing here: the session's last spec is compared
    # as a tuple, which skips st.cache_resource's argument hashing (several ms a report)
    last = session.get(session.LAST_SPEC)
    if last is not None and last[0] == key:
        return last[1]
    spec = _cached_spec(*key, computed)
    session.put(session.LAST_SPEC, (key, spec))
    return spec


@st.cache_resource(max_entries=SPEC_ENTRIES, show_spinner=False)
def _cached_spec(model_token: tuple, view: tuple, seq: int, step: int, unit: int, eq_unit: int, speed: float,
                 highlight: str, _computed: Computed) -> dict:
    # cache_resource, not cache_data: the same object comes back, so its Arrow form is made once
    cfg = replace(_computed.cfg, **dict(view))  # the computation's Config is keyed on the model only: add the view
    return spec_for(cfg, _computed.batch, _computed.trace, _computed.model, step=step, unit=unit, seq=seq, speed=speed,
                    eq_unit=None if eq_unit < 0 else eq_unit, highlight=json.loads(highlight) if highlight else None)


def spec_for(cfg: Config, batch, trace, model, *, step: int, unit: int, seq: int, speed: float,
             eq_unit: int | None = None, highlight: dict | None = None) -> dict:
    """The player's data for ``cfg``'s view (layer, direction, sample, look) of ``trace``: the page's,
    or a lesson's trace cut short before the step it asks about."""
    sample = min(cfg.sample, trace.batch_size - 1)
    meaning = prose.output_meaning(cfg)  # "true next" only for a next-token model
    symbol = "h" if cfg.direction == "reverse" else state_symbol(cfg)  # the reverse direction: PyTorch's h
    out_labels = None
    if trace.probs is not None:
        size = trace.probs.shape[-1]
        labels = batch.token_labels
        out_labels = labels if labels and len(labels) == size else [str(i) for i in range(size)]
    return player_spec(
        trace, model, layer=cfg.layer, direction=["forward", "reverse"].index(cfg.direction),
        sample=sample, step_labels=batch.step_labels(sample), output_labels=out_labels,
        true_next=batch.targets(sample) if meaning.show_true_next else None, kind=state_kind(cfg), topk=cfg.topk,
        notation=cfg.notation, step=step, unit=unit, seq=seq, speed=speed, eq_unit=eq_unit,
        texts={"out_title": meaning.axis_title or "output", "dh_bars": prose.change_label(cfg, symbol)},
        **_look(cfg.layout, cfg.palette, state_kind(cfg)), highlight=highlight,
    )


def _look(layout: str, palette: str, kind: str) -> dict:
    """The player's sizes, arrangement and colours for the page's layout and palette."""
    look: dict = {}
    if layout == "projector":
        look.update(sizes=PROJECTOR_SIZES, layout="side")
    if palette != "default":
        look.update(colorscale=colorscale(kind, palette), colors=CB_COLORS)
    return look


def _notebook_printout(cfg: Config, computed: Computed) -> None:
    """The chosen unit over time (and h_t) as the functional notebook prints them, to compare digits."""
    if cfg.length > 50:
        return
    lt = viewed_layer(cfg, computed)
    symbol = state_symbol(cfg)
    over_time = np.array2string(lt.h[:, cfg.sample, cfg.unit], precision=8, separator=" ", max_line_width=120)
    lines = [f"{symbol}[{cfg.unit}][{cfg.sample}] over time = {over_time}"]
    if lt.hidden_size <= 16:
        now = np.array2string(lt.h[cfg.step, cfg.sample], precision=8, separator=" ", max_line_width=120)
        lines.append(f"{symbol}_t at step {cfg.step} (all units) = {now}")
    if cfg.notation == "functional" and computed.trace.probs is not None:
        for k in range(computed.trace.probs.shape[-1]):
            probs = np.array2string(computed.trace.probs[:, cfg.sample, k], precision=8, separator=" ", max_line_width=120)
            lines.append(f"y_pred[{k}][{cfg.sample}] = {probs}")
    with st.expander("The numbers as NumPy prints them", expanded=cfg.notation == "functional"):
        st.code("\n".join(lines), language=None)
