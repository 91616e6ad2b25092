"""Figure specs are valid Plotly figures (validated by go.Figure) and carry float32 typed arrays."""
from __future__ import annotations

import json

import numpy as np
import plotly.io as pio
import plotly.graph_objects  # noqa: F401  (to_figure imports it lazily)
import pytest

from plotly_data import decode
from rnnviz.figures import model as fig_model, step as fig_step, style as fig_style

rng = np.random.default_rng(0)
H_SEQ = rng.uniform(-1, 1, (11, 6))
LABELS = list("hello world")

SPECS = {
    "units_heatmap": lambda: fig_step.units_heatmap(H_SEQ, LABELS, title="h"),
    "units_heatmap_relu_big": lambda: fig_step.units_heatmap(np.abs(rng.standard_normal((300, 100))), [str(t) for t in range(300)],
                                                            title="h", kind="relu"),
    "time_strip": lambda: fig_step.time_strip(LABELS, 3, next_label="l"),
    "time_strip_long": lambda: fig_step.time_strip([str(t) for t in range(200)], 150),
    "state_bars": lambda: fig_step.state_bars(H_SEQ[3], H_SEQ[2], unit=2),
    "state_bars_many_units": lambda: fig_step.state_bars(rng.uniform(-1, 1, 300), rng.uniform(-1, 1, 300), unit=7),
    "state_bars_relu": lambda: fig_step.state_bars(np.abs(H_SEQ[3]), np.abs(H_SEQ[2]), unit=2, kind="relu"),
    "softmax_bars": lambda: fig_step.softmax_bars(np.full(8, 1 / 8), list("abcdefgh"), topk=3, true_next=2),
    "gates": lambda: fig_model.gates_figure({"i": (H_SEQ, "sigmoid"), "g": (H_SEQ, "tanh"), "c": (H_SEQ * 3, "free")}, LABELS,
                                          title="gates"),
    "matrix": lambda: fig_model.matrix_heatmap(rng.standard_normal((5, 3)), title="Wax", rows="n_a", cols="n_x"),
    "concat": lambda: fig_model.concat_figure(H_SEQ, -H_SEQ, LABELS),
    "step_figure": lambda: fig_step.step_figure(fig_step.time_strip(LABELS, 3), fig_step.state_bars(H_SEQ[3], H_SEQ[2], unit=2),
                                               fig_step.softmax_bars(np.full(8, 1 / 8), list("abcdefgh"), topk=3, true_next=2)),
    "step_figure_no_softmax": lambda: fig_step.step_figure(fig_step.time_strip(LABELS, 3),
                                                          fig_step.state_bars(H_SEQ[3], H_SEQ[2], unit=2), None),
    "inputs": lambda: fig_model.inputs_heatmap(rng.standard_normal((2, 3)), ["x0", "x1"], title="x", annotate=True),
}


@pytest.mark.parametrize("name", list(SPECS))
def test_every_spec_is_a_valid_plotly_figure(name):
    spec = SPECS[name]()
    fig_style.to_figure(json.loads(pio.to_json(spec, validate=False)))  # raises ValueError on unknown properties


def test_heatmap_sends_float32_typed_arrays_not_lists():
    spec = fig_step.units_heatmap(H_SEQ, LABELS, title="h")
    z = spec["data"][0]["z"]
    assert isinstance(z, dict) and z["dtype"] == "f4"
    np.testing.assert_allclose(decode(z), H_SEQ.T, atol=1e-7)
    clicks = spec["data"][1]
    assert decode(clicks["x"]).size == H_SEQ.size


def test_big_heatmap_has_no_click_overlay_and_tanh_scale_is_fixed():
    big = fig_step.units_heatmap(rng.uniform(-1, 1, (500, 512)), [str(t) for t in range(500)], title="h")
    assert len(big["data"]) == 1
    assert (big["data"][0]["zmin"], big["data"][0]["zmax"]) == (-1.0, 1.0)
