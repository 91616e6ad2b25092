"""The client-side step player (issue 9): an ``st.components.v2`` component that draws the step
views in the browser and steps through time with no server round trip.

``player(spec, key=...)`` mounts it with ``spec`` from :func:`rnnviz.figures.player.player_spec` and
returns what the browser last reported (``{"step", "unit", "speed"}``, unvalidated: pass it
through :func:`read_state`). The JS and CSS live next to this module and go inline (no package,
no build step, nothing fetched). Mount it inside an ``st.fragment``: a report then reruns only
the fragment, and since ``spec`` is byte-identical across those reruns Streamlit does not re-send
it (see ../shared/guides/client-side-components.md).
"""
from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import streamlit as st

from ...app.knobs import bounds, label
from ..client import bundle

JS, CSS = bundle(Path(__file__).resolve().parent, "player")  # with ../client's shared base
COMPONENT = "rnnviz_player"
STATE_NAMES = ("step", "unit", "speed")
SPEED_RANGE = bounds("speed")
# The clamp notices use the wording of the URL codec ("<label>: <value> is outside ...").
LABELS = {name: label(name) for name in STATE_NAMES}

# Registered once, at import (Streamlit re-registers it on a new runtime, e.g. each AppTest).
_mount = st.components.v2.component(COMPONENT, js=JS, css=CSS, isolate_styles=True)


# spec id -> (spec, the same dict with Arrow tables): the spec is kept so its id cannot be reused
_ARROW: OrderedDict[int, tuple[dict, dict]] = OrderedDict()
_ARROW_ENTRIES = 8


def _as_arrow(spec: dict) -> dict:
    """``spec`` with every NumPy array as a one-column ``pyarrow.Table`` ("value").

    Streamlit turns a NumPy array into Arrow through pandas on every rerun (most of a report's
    script time, measured with py-spy); a ``pa.Table`` takes its direct path. The browser receives
    the same Arrow table either way. Cached per spec object: a cached spec converts once.
    """
    hit = _ARROW.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    out = {k: pa.table({"value": v}) if isinstance(v, np.ndarray) else v for k, v in spec.items()}
    _ARROW[id(spec)] = (spec, out)
    while len(_ARROW) > _ARROW_ENTRIES:
        _ARROW.popitem(last=False)
    return out


def _noop() -> None:
    """State names need a callback to accept a ``default``; the fragment rerun is all we need."""


def player(spec: dict, *, key: str, on_change: Callable[[], None] | None = None) -> dict[str, Any]:
    """Mount the player; returns the state the browser reported (or the spec's command before that).

    ``on_change`` runs (as a widget callback) whenever the browser reports a new step, unit or speed.
    """
    callback = on_change or _noop
    cmd = spec["cmd"]
    result = _mount(
        key=key,
        data=_as_arrow(spec),
        default={"step": cmd["step"], "unit": cmd["unit"], "speed": spec["speed"]},
        on_step_change=callback,
        on_unit_change=callback,
        on_speed_change=callback,
        width="stretch",
    )
    return {name: result.get(name) for name in STATE_NAMES}


def read_state(
    value: Mapping[str, Any] | None,
    T: int,
    H: int,
    *,
    step: int = 0,
    unit: int = 0,
    speed: float = 2.0,
) -> tuple[int, int, float, list[str]]:
    """Validate what the browser (or a URL) reported: ``(step, unit, speed, notices)``.

    ``step`` / ``unit`` / ``speed`` are the values to keep when a reported one is missing or has
    the wrong type (a forged or stale message is ignored, never a traceback). An out-of-range
    number is clamped into ``[0, T-1]`` / ``[0, H-1]`` / ``[0.5, 10]`` with a notice sentence.
    """
    notices: list[str] = []
    if not isinstance(value, Mapping):
        return _clamp_int(step, T), _clamp_int(unit, H), _clamp_speed(speed), notices
    out_step = _checked_int(value.get("step"), "step", T - 1, step, notices)
    out_unit = _checked_int(value.get("unit"), "unit", H - 1, unit, notices)
    out_speed = _checked_speed(value.get("speed"), speed, notices)
    return out_step, out_unit, out_speed, notices


def _is_int(v: Any) -> bool:
    # bool is an int in Python; JSON's true is not a step number
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return (_is_int(v) or isinstance(v, float)) and math.isfinite(v)


def _shown(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:40] + "..."


def _checked_int(v: Any, name: str, hi: int, fallback: int, notices: list[str]) -> int:
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        v = int(v)  # JSON may carry 7.0 for 7
    if not _is_int(v):
        return _clamp_int(fallback, hi + 1)
    if 0 <= v <= hi:
        return v
    clamped = min(max(v, 0), hi)
    notices.append(f"{LABELS[name]}: {_shown(v)} is outside [0, {hi}]; using {clamped}.")
    return clamped


def _checked_speed(v: Any, fallback: float, notices: list[str]) -> float:
    if not _is_number(v):
        return _clamp_speed(fallback)
    lo, hi = SPEED_RANGE
    if lo <= v <= hi:
        return float(v)
    clamped = min(max(float(v), lo), hi)
    notices.append(f"{LABELS['speed']}: {_shown(v)} is outside [{lo:g}, {hi:g}]; using {clamped:g}.")
    return clamped


def _clamp_int(v: Any, n: int) -> int:
    try:
        return min(max(int(v), 0), max(n - 1, 0))
    except (TypeError, ValueError, OverflowError):
        return 0


def _clamp_speed(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return 2.0
    return min(max(f, SPEED_RANGE[0]), SPEED_RANGE[1]) if math.isfinite(f) else 2.0
