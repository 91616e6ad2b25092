"""Time navigation and the views of the current step, in one fragment.

Moving the step reruns only this fragment: the big heatmap above it is not rebuilt or re-sent,
and the forward pass is read from the cache. Play uses the fragment's ``run_every``.
"""
from __future__ import annotations

import time

import numpy as np
import streamlit as st

from ..app import prose
from ..app.equations import unit_equations
from ..figures import step as figures
from . import compute, controls, session, state
from .charts import show
from .common import state_kind, state_symbol, viewed_layer
from .session import LAST_TICK, PLAYING, RESTART, STEP_VIEWS, USER_ACTION
from .timing import timed


def render() -> None:
    cfg = state.current()
    interval = 1.0 / cfg.speed if session.get(PLAYING) else None
    st.fragment(run_every=interval)(_timeline)()


def _timeline() -> None:
    with timed("fragment"):
        _step_views()


def _step_views() -> None:
    if session.pop(RESTART, False):
        st.rerun()  # play/pause/speed change: redraw the fragment with the new timer
    cfg = state.current()
    _advance_if_playing(cfg)
    cfg = state.current()
    computed = compute.current(cfg)
    _controls(cfg)
    cfg = state.current()
    labels = computed.batch.step_labels(cfg.sample)
    targets = computed.batch.targets(cfg.sample)
    t, b = cfg.step, cfg.sample
    meaning = prose.output_meaning(cfg)  # "true next" only for a next-token model
    true_next = None if targets is None or targets[t] < 0 or not meaning.show_true_next else int(targets[t])
    next_label = None
    if true_next is not None and computed.batch.token_labels and true_next < len(computed.batch.token_labels):
        next_label = computed.batch.token_labels[true_next]
    lt = viewed_layer(cfg, computed)
    symbol = state_symbol(cfg)
    strip = figures.time_strip(labels, t, next_label=next_label)
    bars = figures.state_bars(lt.h[t, b], lt.h_prev[t, b], unit=cfg.unit, kind=state_kind(cfg), symbol=symbol,
                              change_label=prose.change_label(cfg, symbol))
    softmax = None
    if computed.trace.probs is not None:
        controls.widget("topk", cfg, container=st.columns([3, 2])[1])
        out_labels = _output_labels(computed, computed.trace.probs.shape[-1])
        softmax = figures.softmax_bars(computed.trace.probs[t, b], out_labels, topk=cfg.topk, true_next=true_next,
                                       axis_title=meaning.axis_title)
    # one chart for all step views: each changed chart is drawn anew in the browser
    show(figures.step_figure(strip, bars, softmax), key=STEP_VIEWS)
    if softmax is None:
        st.caption(f"This model has no output layer (output size 0), so there is no softmax: its outputs are the "
                   f"hidden states {symbol}_t themselves.")
    _equations(cfg, computed, lt)
    state.sync_url(state.current())  # a fragment rerun must keep the URL in step too


def _controls(cfg) -> None:
    T = cfg.length
    prev_col, next_col, slider_col, play_col, speed_col = st.columns([1.4, 1.4, 5, 1.4, 2.2], vertical_alignment="bottom")
    prev_col.button("◀ Prev", key="prev", on_click=_shift, args=(-1,), disabled=cfg.step == 0, shortcut="Left",
                    width="stretch", help="Previous step (← key)")
    next_col.button("Next ▶", key="next", on_click=_shift, args=(1,), disabled=cfg.step >= T - 1, shortcut="Right",
                    width="stretch", help="Next step (→ key)")
    playing = session.get(PLAYING, False)
    with slider_col:
        if playing:
            # No slider while playing: the browser would send its (stale) slider value back on each tick.
            st.progress(cfg.step / max(T - 1, 1), text=f"Playing: step {cfg.step} of {T - 1}")
        else:
            session.put(session.widget_key("step"), cfg.step)
            controls.widget("step", cfg, on_change=_on_step, args=())
    play_col.button("⏸ Pause" if playing else "▶ Play", key="play", on_click=_toggle_play, type="primary",
                    disabled=T < 2, width="stretch", shortcut="P", help="Play / pause (P key)")
    with speed_col:
        controls.widget("speed", cfg, on_change=_on_speed, args=())


def _shift(delta: int) -> None:
    session.put(USER_ACTION, True)
    cfg = state.current()
    state.update(step=min(max(cfg.step + delta, 0), cfg.length - 1))


def _on_step() -> None:
    session.put(USER_ACTION, True)
    state.on_widget_change("step")


def _on_speed() -> None:
    state.on_widget_change("speed")
    if session.get(PLAYING):
        session.put(RESTART, True)


def _toggle_play() -> None:
    playing = not session.get(PLAYING, False)
    session.put(PLAYING, playing)
    session.put(USER_ACTION, True)
    session.put(RESTART, True)
    cfg = state.current()
    if playing and cfg.step >= cfg.length - 1:
        state.update(step=0)
    session.put(LAST_TICK, time.monotonic())


def _advance_if_playing(cfg) -> None:
    if not session.get(PLAYING):
        return
    if session.pop(USER_ACTION, False):
        return
    now = time.monotonic()
    if now - session.get(LAST_TICK, 0.0) < 0.7 / cfg.speed:
        return
    session.put(LAST_TICK, now)
    if cfg.step >= cfg.length - 1:
        session.put(PLAYING, False)
        st.rerun()  # stop the timer
    state.update(step=cfg.step + 1)


def _output_labels(computed, size: int) -> list[str]:
    labels = computed.batch.token_labels
    if labels and len(labels) == size:
        return labels
    return [str(i) for i in range(size)]


def _equations(cfg, computed, lt) -> None:
    symbol = state_symbol(cfg)
    st.subheader(f"Live equation: unit {cfg.unit} at step {cfg.step}")
    cols = st.columns([2, 3])
    with cols[0]:
        controls.widget("unit", cfg)
    cols[1].caption("Pick a unit here or click a cell of the heatmap (that also jumps to its step).")
    input_label = None
    if computed.batch.tokens and cfg.layer == 0:
        input_label = computed.batch.step_labels(cfg.sample)[cfg.step]
    lines = unit_equations(computed.model, lt, layer=cfg.layer, direction=cfg.dir_index, t=cfg.step, b=cfg.sample,
                           j=cfg.unit, notation=cfg.notation, input_label=input_label)
    for line in lines:
        st.latex(line)
    value = float(lt.h[cfg.step, cfg.sample, cfg.unit])
    value = f"{value:.4f}" if np.isfinite(value) else "overflow (not finite)"
    st.caption(f"The heatmap shows {symbol}[unit {cfg.unit}, step {cfg.step}] = {value}; "
               "the last number above is that value.")
    T = cfg.length
    if T <= 50:
        over_time = np.array2string(lt.h[:, cfg.sample, cfg.unit], precision=8, separator=" ", max_line_width=120)
        lines = [f"{symbol}[{cfg.unit}][{cfg.sample}] over time = {over_time}"]
        if lt.hidden_size <= 16:
            state_now = np.array2string(lt.h[cfg.step, cfg.sample], precision=8, separator=" ", max_line_width=120)
            lines.append(f"{symbol}_t at step {cfg.step} (all units) = {state_now}")
        if cfg.notation == "functional" and computed.trace.probs is not None:
            for k in range(computed.trace.probs.shape[-1]):
                probs = np.array2string(computed.trace.probs[:, cfg.sample, k], precision=8, separator=" ", max_line_width=120)
                lines.append(f"y_pred[{k}][{cfg.sample}] = {probs}")
        st.code("\n".join(lines), language=None)
