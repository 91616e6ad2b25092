"""figures/style.py's ``themed``: every chart dressed for the browser's theme (light / dark), the
projector layout's text sizes and the colour-blind safe palette, without touching the data.

References: plotly.colors for the colour scales, Streamlit 1.67's frontend theme definitions for
the theme colours (written out here), go.Figure validation for the dressed specs.
"""
from __future__ import annotations

import copy
import json

import numpy as np
import plotly.colors as pc
import plotly.graph_objects  # noqa: F401  (to_figure imports it lazily)
import plotly.io as pio
import pytest
from plotly_data import hexed

from rnnviz.figures import explore as fig_explore, model as fig_model, style

rng = np.random.default_rng(1)
H = rng.uniform(-1, 1, (11, 6))
LABELS = list("hello world")
DARK = ("#171614", "#edebe8")  # Streamlit 1.67's dark theme: bgColor, bodyText
LIGHT = ("#ffffff", "#2f2d2b")
BUILT_LIGHT = {"white", "#ffffff", "#31333f", "#e6e9ef", "lightgray", "black", "gray", "#555"}  # what builders write

SPECS = {
    "units_heatmap": lambda: fig_model.units_heatmap(H, LABELS, title="h"),
    "relu_heatmap": lambda: fig_model.units_heatmap(np.abs(H), LABELS, title="h", kind="relu"),
    "gates": lambda: fig_model.gates_figure({"i": (H, "sigmoid"), "g": (H, "tanh")}, LABELS, title="gates"),
    "matrix": lambda: fig_model.matrix_heatmap(rng.standard_normal((4, 3)), title="W", rows="r", cols="c"),
    "concat": lambda: fig_model.concat_figure(H, -H, LABELS),
    "loss": lambda: fig_explore.loss_figure(np.linspace(2, 1, 30), baseline=1.5),
    "neuron": lambda: fig_explore.text_activation_figure("hello world", H[:, 0], columns=5),
    "ranking": lambda: fig_explore.unit_ranking_figure(rng.uniform(-1, 1, 6), np.arange(6)),
    "trajectory2": lambda: fig_explore.trajectory_figure(rng.standard_normal((11, 2)), "hello world", step=3),
    "trajectory3": lambda: fig_explore.trajectory_figure(rng.standard_normal((11, 3)), "hello world", step=3),
    "flow": lambda: fig_explore.gradient_flow_figure({"RNN": np.tril(rng.uniform(0.1, 1, (6, 6)))}),
    "decay": lambda: fig_explore.gradient_decay_figure({"RNN": (np.arange(1, 5), np.array([1, .5, .2, .1]))}, mark=2),
    "changed": lambda: fig_explore.what_changed_figure(np.abs(H), 2, text="hello world"),
    "guesses": lambda: fig_explore.guesses_figure("hey", np.array([[0, 1], [1, 2], [2, 0]]),
                                                  np.array([[.6, .3], [.5, .4], [.9, .1]]), ["a", "b", "c"]),
}


def colours(obj, key="") -> list[str]:
    """Every value of a colour-naming key in a spec (data arrays skipped)."""
    if isinstance(obj, dict):
        if "bdata" in obj:
            return []
        return [c for k, v in obj.items() for c in colours(v, k)]
    if isinstance(obj, list):
        return [c for v in obj for c in colours(v, key)]
    return [obj] if isinstance(obj, str) and key.endswith("color") else []


def font_sizes(obj, key="") -> list[float]:
    if isinstance(obj, dict):
        own = [obj["size"]] if key.endswith("font") and "size" in obj else []
        return own + [s for k, v in obj.items() for s in font_sizes(v, k)]
    if isinstance(obj, list):
        return [s for v in obj for s in font_sizes(v, key)]
    return []


def test_colour_blind_scales_are_colorbrewer_puor_reversed_and_cividis():
    assert hexed(style.PUOR_R) == hexed(pc.get_colorscale("PuOr_r"))
    assert hexed(style.CIVIDIS) == hexed(pc.get_colorscale("Cividis"))
    assert style.colorscale("tanh", "cb") is style.PUOR_R and style.colorscale("relu", "cb") is style.CIVIDIS
    assert style.colorscale("tanh") is style.DIVERGING and style.colorscale("sigmoid") is style.SEQUENTIAL


@pytest.mark.parametrize("name", list(SPECS))
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_dressed_spec_is_valid_and_takes_the_theme(name, theme):
    spec = SPECS[name]()
    before = copy.deepcopy(spec)
    out = style.themed(spec, theme, projector=True, palette="cb")
    assert spec == before  # the builder's spec is not modified (it may be cached)
    style.to_figure(json.loads(pio.to_json(out, validate=False)))  # raises on any unknown property
    bg, fg = DARK if theme == "dark" else LIGHT
    layout = out["layout"]
    assert (layout["paper_bgcolor"], layout["plot_bgcolor"], layout["font"]["color"]) == (bg, bg, fg)
    if theme == "dark":
        assert not set(c.lower() for c in colours(out)) & BUILT_LIGHT, name
    # projector: no text below 16 px, the base font (tick labels inherit it) at least 18
    assert layout["font"]["size"] >= 18 and min(font_sizes(out)) >= 16
    # the data is the builder's, byte for byte
    for a, b in zip(before["data"], out["data"]):
        for key in ("x", "y", "z"):
            if isinstance(a.get(key), dict):
                assert a[key] == b[key]


def test_the_palette_swaps_only_the_default_scales():
    spec = style.themed(SPECS["units_heatmap"](), "light", palette="cb")
    assert hexed(spec["data"][0]["colorscale"]) == hexed(pc.get_colorscale("PuOr_r"))
    relu = style.themed(SPECS["relu_heatmap"](), "light", palette="cb")
    assert hexed(relu["data"][0]["colorscale"]) == hexed(pc.get_colorscale("Cividis"))
    changed = style.themed(SPECS["changed"](), "light", palette="cb")  # magma (|Δh|) is kept
    assert changed["data"][0]["colorscale"] == SPECS["changed"]()["data"][0]["colorscale"]
    same = style.themed(SPECS["units_heatmap"](), "light")
    assert same["data"][0]["colorscale"] == SPECS["units_heatmap"]()["data"][0]["colorscale"]


def test_page_layout_keeps_the_builders_sizes():
    spec = SPECS["matrix"]()
    out = style.themed(spec, "light")
    assert font_sizes(out) == font_sizes(spec) and out["layout"]["height"] == spec["layout"]["height"]
    big = style.themed(spec, "light", projector=True)
    assert big["layout"]["height"] > spec["layout"]["height"]
    assert big["layout"]["margin"]["l"] > spec["layout"]["margin"]["l"]


def test_theme_takes_reported_colours_and_ignores_anything_else():
    t = style.theme("dark", "#102030", "#F0E0D0")
    assert (t.bg, t.fg, t.strong) == ("#102030", "#f0e0d0", "#f0e0d0")
    # lines are mixed between background and text: the grid is 12% of the way, by hand
    assert t.grid == "#" + "".join(f"{round(a + (b - a) * 0.12):02x}" for a, b in ((0x10, 0xf0), (0x20, 0xe0), (0x30, 0xd0)))
    for bad in ("red", "url(x)", "#12345", None, 7):
        assert style.theme("light", bad, bad) == style.theme("light")
    assert style.theme("sepia").name == "light"
