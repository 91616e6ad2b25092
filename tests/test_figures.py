"""Figure specs are valid Plotly figures (validated by go.Figure) and carry float32 typed arrays."""
from __future__ import annotations

import json

import numpy as np
import plotly.io as pio
import plotly.graph_objects  # noqa: F401  (to_figure imports it lazily)
import pytest

from plotly_data import decode
from rnnviz.figures import model as fig_model, style as fig_style

rng = np.random.default_rng(0)
H_SEQ = rng.uniform(-1, 1, (11, 6))
LABELS = list("hello world")

SPECS = {
    "units_heatmap": lambda: fig_model.units_heatmap(H_SEQ, LABELS, title="h"),
    "units_heatmap_relu_big": lambda: fig_model.units_heatmap(np.abs(rng.standard_normal((300, 100))), [str(t) for t in range(300)],
                                                            title="h", kind="relu"),
    "gates": lambda: fig_model.gates_figure({"i": (H_SEQ, "sigmoid"), "g": (H_SEQ, "tanh"), "c": (H_SEQ * 3, "free")}, LABELS,
                                          title="gates"),
    "matrix": lambda: fig_model.matrix_heatmap(rng.standard_normal((5, 3)), title="Wax", rows="n_a", cols="n_x"),
    "concat": lambda: fig_model.concat_figure(H_SEQ, -H_SEQ, LABELS),
    "inputs": lambda: fig_model.inputs_heatmap(rng.standard_normal((2, 3)), ["x0", "x1"], title="x", annotate=True),
}


@pytest.mark.parametrize("name", list(SPECS))
def test_every_spec_is_a_valid_plotly_figure(name):
    spec = SPECS[name]()
    fig_style.to_figure(json.loads(pio.to_json(spec, validate=False)))  # raises ValueError on unknown properties


def test_heatmap_sends_float32_typed_arrays_not_lists():
    spec = fig_model.units_heatmap(H_SEQ, LABELS, title="h")
    z = spec["data"][0]["z"]
    assert isinstance(z, dict) and z["dtype"] == "f4"
    np.testing.assert_allclose(decode(z), H_SEQ.T, atol=1e-7)


def test_colour_scales_are_explicit_stops_plotly_js_can_read():
    """A spec skips go.Figure, so a plotly.py-only name such as "RdBu_r" would reach plotly.js, which
    does not know it and falls back to another scale: every scale must be stops or a plotly.js name."""
    import plotly.colors as pc

    def stops(name):  # plotly.py's own definition, as [position, "#rrggbb"]
        return [[pytest.approx(float(p)), c if c.startswith("#") else "#%02x%02x%02x" % tuple(map(int, pc.unlabel_rgb(c)))]
                for p, c in pc.get_colorscale(name)]

    assert fig_model.units_heatmap(H_SEQ, LABELS, title="h")["data"][0]["colorscale"] == stops("RdBu_r")
    relu = fig_model.units_heatmap(np.abs(H_SEQ), LABELS, title="h", kind="relu")["data"][0]["colorscale"]
    assert relu == stops("Viridis")
    for name, build in SPECS.items():
        for trace in build()["data"]:
            scale = trace.get("colorscale")
            assert scale is None or isinstance(scale, list) or scale in ("Blues",), (name, scale)


def test_big_heatmap_tanh_scale_is_fixed():
    big = fig_model.units_heatmap(rng.uniform(-1, 1, (500, 512)), [str(t) for t in range(500)], title="h")
    assert len(big["data"]) == 1
    assert (big["data"][0]["zmin"], big["data"][0]["zmax"]) == (-1.0, 1.0)
