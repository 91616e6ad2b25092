"""Decode what Streamlit sends for a Plotly chart (Plotly 7 sends NumPy arrays as base64 typed arrays)."""
from __future__ import annotations

import base64
import json

import numpy as np


def decode(value):
    """A typed-array dict ``{"dtype", "bdata", "shape"}`` or a plain list, as a NumPy array."""
    if isinstance(value, dict) and "bdata" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), np.dtype(value["dtype"]).newbyteorder("<"))
        if "shape" in value:
            arr = arr.reshape([int(s) for s in str(value["shape"]).split(",")])
        return arr
    return np.asarray(value)


def figure(at, key: str) -> dict:
    """The figure JSON of the chart with ``key`` in an AppTest run."""
    for element in at.get("plotly_chart"):
        if getattr(element, "key", None) == key:
            return json.loads(element.proto.spec)
    raise KeyError(f"no chart {key!r}; have {charts(at)}")


def charts(at) -> list[str]:
    return [getattr(e, "key", None) for e in at.get("plotly_chart")]


def trace_named(spec: dict, name: str) -> dict:
    return next(t for t in spec["data"] if t.get("name") == name)


def step_title(spec: dict) -> str:
    """The time strip's title ("step 4: reading ...") in the combined step chart."""
    texts = (a["text"].replace("<b>", "").replace("</b>", "") for a in spec["layout"]["annotations"])
    return next(t for t in texts if t.startswith("step "))


def player(at) -> tuple[dict, dict[str, np.ndarray]]:
    """The step player's data as the browser receives it: the JSON half and the decoded Arrow arrays
    (1-D float32, reshape with meta["T"], meta["H"] ...)."""
    # the page's other component (the theme watcher, rnnviz/ui/theme.py) is not the player
    (element,) = [e for e in at.get("bidi_component") if e.proto.component_name.endswith("rnnviz_player")]
    return component_data(element)


def component_data(element) -> tuple[dict, dict[str, np.ndarray]]:
    """A components-v2 element's data as the browser receives it: the JSON half and the decoded
    one-column ("value") Arrow tables."""
    import pyarrow as pa

    meta = json.loads(element.proto.mixed.json)
    arrays = {}
    for key, value in list(meta.items()):
        if isinstance(value, dict) and "__streamlit_arrow_ref__" in value:
            blob = element.proto.mixed.arrow_blobs[value["__streamlit_arrow_ref__"]].data
            arrays[key] = pa.ipc.open_stream(blob).read_all().column("value").to_numpy()
            del meta[key]
    return meta, arrays


def hexed(scale) -> list[list]:
    """plotly.colors' 'rgb(r, g, b)' / '#rrggbb' stops as [position, '#rrggbb']."""
    out = []
    for p, c in scale:
        if c.startswith("rgb"):
            c = "#" + "".join(f"{int(v):02x}" for v in c[c.index("(") + 1:-1].split(","))
        out.append([round(float(p), 9), c.lower()])
    return out


def report(at, **state) -> None:
    """What the player's browser side would report (setStateValue): e.g. ``report(at, step=3, unit=2)``."""
    current = at.session_state["player"] if "player" in at.session_state else {}
    at.session_state["player"] = {"step": 0, "unit": 0, "speed": 2.0, **(current or {}), **state}
