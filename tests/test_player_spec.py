"""The client-side player's data (rnnviz/figures/player.py) and the browser-report validation
(rnnviz/ui/player read_state). References: an independent NumPy loop (tests/player_reference.py)."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from rnnviz.network import forward, init_model
from rnnviz.figures.mathml import tex_to_mathml
from rnnviz.figures.player import EQ_ALL_UNITS_MAX_BYTES, equation_bytes_all_units, player_spec, unit_in_data
from rnnviz.figures.style import DIVERGING as RDBU_R
from rnnviz.figures.style import SEQUENTIAL as VIRIDIS
from rnnviz.ui.player import read_state
from tests.player_reference import demo_model, reference_model

F32 = dict(rtol=2e-6, atol=2e-7)  # float32 rounding of float64 values of order 1


def build(cell="rnn", *, hidden=6, length=9, bidirectional=False, direction=0, notation="torch", output="next",
          nonlinearity="tanh", **kw):
    model, ids, step_labels, out_labels, true_next = demo_model(cell, hidden, length, "hello world", bidirectional,
                                                                output, nonlinearity)
    trace = forward(model, ids)
    spec = player_spec(trace, model, direction=direction, step_labels=step_labels,
                       output_labels=out_labels,
                       true_next=true_next if output == "next" else None, notation=notation,
                       kind="relu" if nonlinearity == "relu" else "tanh", **kw)
    return model, ids, trace, spec


CASES = [("rnn", False, 0), ("lstm", False, 0), ("gru", False, 0), ("rnn", True, 1), ("lstm", True, 1), ("gru", True, 1)]


@pytest.mark.parametrize("cell,bidirectional,direction", CASES)
def test_arrays_equal_the_trace_and_an_independent_loop(cell, bidirectional, direction):
    model, ids, trace, spec = build(cell, bidirectional=bidirectional, direction=direction)
    ref = reference_model(model, ids)
    r = ref["dirs"][direction]
    T, H = len(ids), 6
    lt = trace.layers[0][direction]
    assert spec["T"] == T and spec["H"] == H and spec["reverse"] == bool(direction)
    np.testing.assert_array_equal(spec["h"], lt.h[:, 0].astype(np.float32).ravel())  # exactly the trace, as float32
    np.testing.assert_allclose(spec["h"].reshape(T, H), r["h"], **F32)
    # h_prev is h_{t-1} forward and h_{t+1} in reverse: the reference's loop order says which
    np.testing.assert_allclose(spec["dh"].reshape(T, H), r["h"] - r["h_prev"], **F32)
    O = spec["O"]
    np.testing.assert_allclose(spec["probs"].reshape(T, O), ref["probs"], **F32)
    top = spec["top"].reshape(T, spec["K"]).astype(int)
    for t in range(T):
        p = ref["probs"][t]
        assert list(p[top[t]]) == sorted(p[top[t]], reverse=True)  # best first
        assert p[top[t]].min() >= np.delete(p, top[t]).max()  # nothing left out beats them
    np.testing.assert_array_equal(spec["true_next"], np.append(ids[1:], -1).astype(np.float32))
    if cell == "rnn":
        assert "gates" not in spec and "c" not in spec and spec["gate_names"] == []
    else:
        np.testing.assert_allclose(spec["gates"].reshape(T, -1), r["gates"], **F32)
        assert spec["gate_names"] == (["i", "f", "g", "o"] if cell == "lstm" else ["r", "z", "n"])
    if cell == "lstm":
        np.testing.assert_allclose(spec["c"].reshape(T, H), r["c"], **F32)


@pytest.mark.parametrize("cell,bidirectional,direction", CASES)
@pytest.mark.parametrize("notation", ["torch", "class"])
def test_equation_slots_equal_an_independent_computation(cell, bidirectional, direction, notation):
    model, ids, _, spec = build(cell, bidirectional=bidirectional, direction=direction, notation=notation)
    r = reference_model(model, ids)["dirs"][direction]
    T, H = len(ids), 6
    eq = spec["eq"]
    assert eq["mode"] == "all" and eq["unit"] == -1
    names = eq["slots"]
    vals = spec["eq_vals"].reshape(T, H, len(names))
    expected_names = {
        "rnn": ["xw", "bih", "hw", "bhh", "pre", "h"],
        "lstm": [f"{g}_{n}" if n else g for g in "ifgo" for n in ("xw", "bi", "hw", "bh", "pre", "")]
        + ["c_prev", "c", "tanh_c", "h"],
        "gru": [f"{g}_{n}" if n else g for g in "rzn" for n in ("xw", "bi", "hw", "bh", "pre", "")] + ["h_prev", "h"],
    }[cell]
    if cell == "rnn" and notation == "class" and not direction:  # one bias b_h = b_ih + b_hh
        expected_names = ["xw", "hw", "b", "pre", "h"]
    assert names == expected_names
    for k, name in enumerate(names):
        ref = r[name]
        ref = np.broadcast_to(ref, (T, H)) if ref.ndim == 2 else ref
        np.testing.assert_allclose(vals[:, :, k], ref, **F32, err_msg=name)
    # every slot of the templates has values, and every value has a place in the templates
    used = set()
    for row in eq["rows"]:
        used |= set(re.findall(r'data-slot="([A-Za-z0-9_]+)"', row["num"]))
    assert used == set(names)


def test_relu_and_notations_name_the_symbols_of_notation_py():
    text = lambda mathml: re.sub(r"<[^>]+>", "", mathml).replace("&#x2061;", "")  # noqa: E731
    _, _, _, spec = build("rnn", notation="functional")
    assert text(spec["eq"]["rows"][0]["sym"]).startswith("a⟨t⟩=tanh(Waxx⟨t⟩+Waaa⟨t−1⟩+ba)")
    assert spec["symbol"] == "a"
    _, _, _, spec = build("rnn", notation="tensorflow")
    assert text(spec["eq"]["rows"][0]["sym"]).startswith("Yt=tanh(XtWx+Yt−1Wy+b)")  # row-major
    _, _, _, spec = build("rnn", notation="class")
    assert text(spec["eq"]["rows"][0]["sym"]).startswith("ht=tanh(Wxhxt+Whhht−1+bh)")
    _, _, _, spec = build("rnn", bidirectional=True, direction=1, notation="functional")
    assert text(spec["eq"]["rows"][0]["sym"]).startswith("ht=tanh(Wihxt+bih+Whhht+1+bhh)")  # reverse: h_{t+1}
    assert spec["texts"]["dh_bars"] == "change from h_{t+1}"  # the reverse direction is written in PyTorch's h, as its equation
    _, _, _, spec = build("gru", bidirectional=True, direction=1)
    assert text(spec["eq"]["rows"][-1]["sym"]) == "ht=(1−zt)⊙nt+zt⊙ht+1"
    # n = tanh(W_in x + b_in + r · (W_hn h + b_hn)): the r slot multiplies the bracket
    assert '<mn data-slot="r">…</mn><mo>·</mo><mo stretchy="false">(</mo>' in spec["eq"]["rows"][2]["num"]
    _, _, _, spec = build("rnn", nonlinearity="relu")
    assert "relu" in spec["eq"]["rows"][0]["sym"] and spec["scale"]["kind"] == "relu"
    assert spec["scale"]["zmin"] == 0 and spec["scale"]["zmax"] == pytest.approx(float(spec["h"].max()), rel=1e-6)
    assert spec["scale"]["stops"] == VIRIDIS


def test_templates_are_well_formed_mathml_and_bad_tex_is_rejected():
    for cell in ("rnn", "lstm", "gru"):
        _, _, _, spec = build(cell)
        for row in spec["eq"]["rows"]:
            for part in ("sym", "num"):
                root = ET.fromstring(row[part])  # raises on unbalanced markup
                assert root.tag == "math"
    with pytest.raises(ValueError):
        tex_to_mathml("\\frac{a}{b}")
    with pytest.raises(ValueError):
        tex_to_mathml("h_{t")
    with pytest.raises(ValueError):
        tex_to_mathml('\\slot{a"b}')


def test_colour_scales_are_plotlys():
    import plotly.colors as pc

    def hexed(scale):
        out = []
        for pos, col in scale:
            if col.startswith("rgb"):
                col = "#" + "".join(f"{int(c):02x}" for c in re.findall(r"\d+", col))
            out.append([pytest.approx(float(pos)), col])
        return out

    assert RDBU_R == hexed(pc.get_colorscale("RdBu_r"))
    assert VIRIDIS == hexed(pc.get_colorscale("Viridis"))
    _, _, _, spec = build("rnn")
    assert spec["scale"] == {"stops": RDBU_R, "zmin": -1.0, "zmax": 1.0, "kind": "tanh"}


def test_transport_rules_arrays_first_level_float32_and_json_elsewhere():
    _, _, _, spec = build("lstm")
    for key, value in spec.items():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32 and value.ndim == 1 and value.flags["C_CONTIGUOUS"], key
    meta = {k: v for k, v in spec.items() if not isinstance(v, np.ndarray)}
    json.dumps(meta)  # everything else is plain JSON (no ndarray, no numpy scalar hiding below)
    assert set(spec) >= {"v", "sig", "cell", "T", "H", "O", "K", "reverse", "symbol", "labels", "out_labels",
                         "next_token", "scale", "ranges", "gate_names", "gate_kinds", "texts", "sizes", "colors",
                         "speed", "cmd", "eq", "h", "dh", "probs", "top", "true_next", "gates", "c", "eq_vals"}


def test_same_inputs_same_bytes_and_the_command_does_not_change_the_sig():
    _, _, _, a = build("gru", step=3, unit=2, seq=1)
    _, _, _, b = build("gru", step=3, unit=2, seq=1)
    _, _, _, c = build("gru", step=5, unit=1, seq=2)
    for key in a:
        if isinstance(a[key], np.ndarray):
            assert a[key].tobytes() == b[key].tobytes() == c[key].tobytes(), key
        elif key != "cmd":
            assert json.dumps(a[key]) == json.dumps(b[key]) == json.dumps(c[key]), key
    assert a["cmd"] == {"seq": 1, "step": 3, "unit": 2} and c["cmd"] == {"seq": 2, "step": 5, "unit": 1}
    _, _, _, other = build("gru", topk=2)
    assert other["sig"] != a["sig"]  # another view: the browser rebuilds


def test_command_is_clamped_into_range():
    _, _, _, spec = build("rnn", step=99, unit=-4, speed=50)
    assert spec["cmd"] == {"seq": 0, "step": 8, "unit": 0} and spec["speed"] == 10.0


def test_size_rule_all_units_when_small_else_the_chosen_unit():
    _, _, _, small = build("lstm", eq_unit=4)
    assert small["eq"]["mode"] == "all" and small["eq_vals"].size == 9 * 6 * 28
    _, _, _, small2 = build("lstm", eq_unit=1)
    assert small2["eq_vals"].tobytes() == small["eq_vals"].tobytes()  # the unit does not enter the data
    assert not unit_in_data("lstm", "torch", 9, 6)
    # the same model over the threshold: only the chosen unit, shape (T, S)
    full = small["eq_vals"].reshape(9, 6, 28)
    _, _, _, one = build("lstm", max_eq_bytes=100, eq_unit=4)
    assert one["eq"]["mode"] == "unit" and one["eq"]["unit"] == 4 and one["eq_vals"].size == 9 * 28
    np.testing.assert_array_equal(one["eq_vals"].reshape(9, 28), full[:, 4])
    _, _, _, other = build("lstm", max_eq_bytes=100, eq_unit=5)
    assert other["sig"] == one["sig"]  # a unit change re-sends the numbers, the browser keeps the model
    assert unit_in_data("lstm", "torch", 9, 6, max_eq_bytes=100)
    # the documented threshold: 2 MB; hidden 512 x length 500 is over it for every cell
    assert EQ_ALL_UNITS_MAX_BYTES == 2_000_000
    assert equation_bytes_all_units("rnn", "torch", 500, 512) == 500 * 512 * 6 * 4
    assert unit_in_data("rnn", "torch", 500, 512) and not unit_in_data("rnn", "torch", 11, 16)


def test_no_output_layer_and_a_classifier():
    _, _, _, spec = build("rnn", output="none")
    assert spec["O"] == 0 and "probs" not in spec and "true_next" not in spec and not spec["next_token"]
    _, _, _, spec = build("rnn", output="class")
    assert spec["O"] == 4 and not spec["next_token"] and "true_next" not in spec
    assert spec["texts"]["out_title"] == "output class" and spec["out_labels"] == [f"class {k}" for k in range(4)]


def test_overflow_stays_visible_as_inf_and_axes_stay_finite():
    model = init_model("rnn", 3, 4, None, nonlinearity="relu", init="normal", scale=1e3, seed=0)
    ids = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2])
    with np.errstate(over="ignore", invalid="ignore"):
        trace = forward(model, ids)
        spec = player_spec(trace, model, step_labels=[str(i) for i in ids], kind="relu")
    assert not np.isfinite(spec["h"]).all()
    assert all(np.isfinite(v) for r in spec["ranges"].values() for v in r)
    assert np.isfinite(spec["scale"]["zmax"])


def test_labels_must_match_the_sizes():
    model, ids, step_labels, out_labels, _ = demo_model("rnn", 4, 5)
    trace = forward(model, ids)
    with pytest.raises(ValueError):
        player_spec(trace, model, step_labels=step_labels[:-1])
    with pytest.raises(ValueError):
        player_spec(trace, model, step_labels=step_labels, output_labels=out_labels[:-1])


# ---------------------------------------------------------------- read_state


def test_read_state_passes_good_values():
    assert read_state({"step": 3, "unit": 2, "speed": 4.5}, 11, 16) == (3, 2, 4.5, [])
    assert read_state({"step": 3.0, "unit": 2}, 11, 16, speed=3) == (3, 2, 3.0, [])  # JSON 3.0 is 3


def test_read_state_clamps_with_the_config_notice_wording():
    step, unit, speed, notices = read_state({"step": 999, "unit": -3, "speed": 50}, 11, 16)
    assert (step, unit, speed) == (10, 0, 10.0)
    assert notices == ["Time step: 999 is outside [0, 10]; using 10.", "Unit: -3 is outside [0, 15]; using 0.",
                       "Play speed (steps/s): 50 is outside [0.5, 10]; using 10."]


@pytest.mark.parametrize("bad", ["7", None, True, [1], {"a": 1}, 2.5, float("nan"), float("inf"), b"1"])
def test_read_state_ignores_wrong_types(bad):
    step, unit, speed, notices = read_state({"step": bad, "unit": bad, "speed": bad if bad is not None else "x"},
                                            11, 16, step=4, unit=5, speed=3.0)
    expected_speed = 2.5 if bad == 2.5 else 3.0  # 2.5 is a fine speed, just not a step
    assert (step, unit, speed, notices) == (4, 5, expected_speed, [])


@pytest.mark.parametrize("value", [None, "step=3", 3, ["step", 3]])
def test_read_state_of_something_that_is_not_a_mapping(value):
    assert read_state(value, 11, 16, step=20, unit=1, speed=0.1) == (10, 1, 0.5, [])


def test_title_says_which_direction_only_when_it_matters():
    _, _, _, spec = build("gru", bidirectional=True, direction=1)
    assert spec["texts"]["title"] == "Hidden state h_t, units × time — reverse direction"
    _, _, _, spec = build("gru")
    assert spec["texts"]["title"] == "Hidden state h_t, units × time"
    _, _, _, spec = build("gru", texts={"title": "Mine"})
    assert spec["texts"]["title"] == "Mine" and spec["texts"]["x_title"] == "time step (input read)"
