"""The step player's server side in the real app, through AppTest (the JS never runs here): the
arrays the component is given equal the engine's trace computed in the test, the browser's
reports move the step, the Config and the URL, bad reports are clamped or ignored, and the
server moves the browser only with a new command."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import open_app, rerun
from plotly_data import player, report

from rnnviz.network import forward, init_model

pytestmark = pytest.mark.usefixtures("fresh_cache")
F32 = dict(rtol=2e-6, atol=2e-7)


def page_model(cell="rnn", hidden=16, text="hello world", bidirectional=False):
    """The page's model for typed text, built from the engine (uniform ±0.5, seed 0: the defaults)."""
    chars = sorted(set(text))
    ids = np.array([chars.index(c) for c in text])
    model = init_model(cell, len(chars), hidden, len(chars), bidirectional=bidirectional, init="uniform",
                       scale=0.5, seed=0)
    return model, ids, chars


def element(at):
    (el,) = [e for e in at.get("bidi_component") if e.proto.component_name.endswith("rnnviz_player")]
    return el


def warnings(at) -> list[str]:
    return [w.value.replace("\\", "") for w in at.warning]


@pytest.mark.parametrize("params, cell, direction", [
    ({}, "rnn", 0),
    ({"cell": "lstm", "hidden": 8}, "lstm", 0),
    ({"cell": "gru", "hidden": 8, "bidirectional": 1, "direction": "reverse"}, "gru", 1),
])
def test_the_component_gets_the_trace(params, cell, direction):
    at = open_app(**params)
    meta, arrays = player(at)
    hidden = int(params.get("hidden", 16))
    model, ids, chars = page_model(cell, hidden, bidirectional=bool(direction))
    trace = forward(model, ids)
    lt = trace.layers[0][direction]
    T, H = len(ids), hidden
    assert (meta["T"], meta["H"], meta["cell"], meta["reverse"]) == (T, H, cell, bool(direction))
    shown = [c if c != " " else "␣" for c in chars]
    assert meta["labels"] == [shown[i] for i in ids] and meta["out_labels"] == shown
    np.testing.assert_array_equal(arrays["h"], lt.h[:, 0].astype(np.float32).ravel())
    np.testing.assert_allclose(arrays["dh"].reshape(T, H), lt.h[:, 0] - lt.h_prev[:, 0], **F32)
    np.testing.assert_array_equal(arrays["probs"], trace.probs[:, 0].astype(np.float32).ravel())
    # "true next" only for a one-direction model guessing its next input
    assert meta["next_token"] == (not direction)
    if not direction:
        np.testing.assert_array_equal(arrays["true_next"], np.append(ids[1:], -1).astype(np.float32))
    if cell != "rnn":
        np.testing.assert_array_equal(arrays["gates"], lt.gates[:, 0].astype(np.float32).ravel())
    assert ("c" in arrays) == (cell == "lstm")
    assert "array(" not in element(at).proto.mixed.json  # nothing nested was stringified


def test_url_step_and_unit_open_there_and_reports_move_step_config_and_url():
    at = open_app(step=7, unit=3)
    meta, _ = player(at)
    assert meta["cmd"] == {"seq": 1, "step": 7, "unit": 3}
    assert element(at).value == {"step": 7, "unit": 3, "speed": 2.0}
    before = element(at).proto.SerializeToString()
    report(at, step=9, unit=5, speed=4.0)  # = setStateValue from the browser
    rerun(at)
    cfg = at.session_state["cfg"]
    assert (cfg.step, cfg.unit, cfg.speed) == (9, 5, 4.0)
    assert at.query_params["step"] == "9" and at.query_params["unit"] == "5" and at.query_params["speed"] == "4"
    # the browser's report does not come back in `data`: the element is byte-identical (no re-send)
    assert element(at).proto.SerializeToString() == before


def test_out_of_range_url_is_clamped_with_the_notice():
    at = open_app(step=999, unit=-3)
    assert "Time step: '999' is outside [0, 499]; using 499." in warnings(at)
    assert "Unit: '-3' is outside [0, 511]; using 0." in warnings(at)
    assert player(at)[0]["cmd"] == {"seq": 1, "step": 10, "unit": 0}  # and into "hello world"'s 11 steps


def test_a_forged_report_with_wrong_types_is_ignored_and_out_of_range_is_clamped():
    at = open_app(step=4, unit=2)
    report(at, step="abc", unit=[1], speed={"x": 1})
    rerun(at)
    cfg = at.session_state["cfg"]
    assert (cfg.step, cfg.unit, cfg.speed) == (4, 2, 2.0)
    report(at, step=50, unit=99, speed=2.0)
    rerun(at)
    cfg = at.session_state["cfg"]
    assert (cfg.step, cfg.unit) == (10, 15)
    assert "Time step: 50 is outside [0, 10]; using 10." in warnings(at)
    assert "Unit: 99 is outside [0, 15]; using 15." in warnings(at)
    report(at, step=True, unit=None)
    rerun(at)
    assert (at.session_state["cfg"].step, at.session_state["cfg"].unit) == (10, 15)


def test_a_step_moved_elsewhere_becomes_one_new_command():
    at = open_app(step=6, unit=2)
    report(at, step=8, unit=2)
    rerun(at)
    assert player(at)[0]["cmd"] == {"seq": 1, "step": 6, "unit": 2}  # a report is never echoed back
    at.session_state["tab"] = "Explore"  # the open tab (st.tabs' key)
    rerun(at)
    at.selectbox(key="explore_model").set_value("page")  # the page's model (Explore opens on a shipped one)
    at.segmented_control(key="explore_view").set_value("Trajectory")
    rerun(at)
    at.slider(key="w_step").set_value(3)  # the trajectory view's step slider
    rerun(at)
    at.session_state["tab"] = "Step through time"
    rerun(at)
    assert player(at)[0]["cmd"] == {"seq": 2, "step": 3, "unit": 2}
    rerun(at)
    assert player(at)[0]["cmd"]["seq"] == 2  # once


def test_unit_mode_resends_the_equation_of_the_chosen_unit_only():
    at = open_app(inputs="random_dense", input_size=32, hidden=512, length=500, step=250, unit=100)
    meta, arrays = player(at)
    assert (meta["T"], meta["H"]) == (500, 512)
    assert arrays["h"].size == arrays["dh"].size == 500 * 512  # no row limit on the way to Arrow
    assert meta["eq"]["mode"] == "unit" and meta["eq"]["unit"] == 100 and arrays["eq_vals"].size == 500 * 6
    x = np.random.default_rng(0).standard_normal((500, 1, 32))  # the random-dense input mode, seed 0
    model = init_model("rnn", 32, 512, 8, init="uniform", scale=0.5, seed=0)
    lt = forward(model, x).layers[0][0]
    np.testing.assert_array_equal(arrays["h"], lt.h[:, 0].astype(np.float32).ravel())
    slots = meta["eq"]["slots"]
    np.testing.assert_allclose(arrays["eq_vals"].reshape(500, 6)[:, slots.index("h")], lt.h[:, 0, 100], **F32)
    sig = meta["sig"]
    report(at, step=250, unit=7)  # another unit: its numbers arrive, the model's arrays do not change
    rerun(at)
    meta, arrays = player(at)
    assert meta["eq"]["unit"] == 7 and meta["sig"] == sig
    np.testing.assert_allclose(arrays["eq_vals"].reshape(500, 6)[:, slots.index("h")], lt.h[:, 0, 7], **F32)
    before = element(at).proto.SerializeToString()
    report(at, step=300, unit=7)  # a step report alone changes nothing in the data
    rerun(at)
    assert element(at).proto.SerializeToString() == before


def test_another_model_is_another_sig_and_keeps_the_step():
    at = open_app(step=6)
    sig = player(at)[0]["sig"]
    at.selectbox(key="w_cell").set_value("lstm")
    rerun(at)
    meta, arrays = player(at)
    assert meta["sig"] != sig and meta["cell"] == "lstm" and "gates" in arrays
    assert at.session_state["cfg"].step == 6


def test_coming_back_to_the_tab_restarts_the_player_where_the_browser_was():
    at = open_app(step=2)
    report(at, step=8, unit=4)
    rerun(at)
    at.session_state["tab"] = "Weights"
    rerun(at)
    at.session_state["tab"] = "Step through time"
    rerun(at)
    meta, _ = player(at)
    assert meta["cmd"] == {"seq": 2, "step": 8, "unit": 4}  # not the old command (step 2)
    assert at.session_state["cfg"].step == 8
