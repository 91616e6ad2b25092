"""The Streamlit app, headless (AppTest): every control and preset runs, the charts show the
engine's numbers (expected values computed independently), the URL reproduces the state."""
from __future__ import annotations

import io

import numpy as np
import pytest

from conftest import open_app, rerun
from plotly_data import decode, figure, player, report
from rnnviz.app import codec, knobs, presets, rules
from rnnviz.network import forward, init_model

pytestmark = pytest.mark.usefixtures("fresh_cache")


def heatmap(at) -> np.ndarray:
    """The hidden states the step player draws, (T, H)."""
    meta, arrays = player(at)
    return arrays["h"].reshape(meta["T"], meta["H"])


def hello_world_trace(**overrides):
    """The default page's model, built straight from the engine (not through the app's builder)."""
    text = "hello world"
    chars = sorted(set(text))
    ids = np.array([chars.index(c) for c in text])
    kw = dict(num_layers=1, bidirectional=False, nonlinearity="tanh", init="uniform", scale=0.5, seed=0)
    kw.update(overrides)
    cell = kw.pop("cell", "rnn")
    hidden = kw.pop("hidden", 16)
    model = init_model(cell, len(chars), hidden, len(chars), **kw)
    return chars, forward(model, ids[:, None])


def test_default_page_tells_the_hello_world_story():
    at = open_app()
    assert "watch a recurrent network think" in at.title[0].value
    assert "hello world" in at.markdown[0].value and "16 hidden units" in at.markdown[0].value
    chars, trace = hello_world_trace()
    meta, arrays = player(at)
    h = heatmap(at)
    assert h.shape == (11, 16) and h.dtype == np.float32
    np.testing.assert_allclose(h, trace.layers[0][0].h[:, 0], atol=1e-6)
    assert (meta["scale"]["zmin"], meta["scale"]["zmax"]) == (-1, 1)
    np.testing.assert_allclose(arrays["probs"].reshape(11, 8), trace.probs[:, 0], atol=1e-6)
    assert meta["out_labels"] == [c if c != " " else "␣" for c in chars]
    # the true next character of every step: " " after "hello" (step 4)
    assert arrays["true_next"][knobs.DEFAULT.step] == chars.index(" ")
    assert meta["cmd"]["step"] == knobs.DEFAULT.step
    assert dict(at.query_params) == {}


def test_the_step_views_get_the_trace_numbers():
    at = open_app(step=6, unit=3)
    _, trace = hello_world_trace()
    lt = trace.layers[0][0]
    meta, arrays = player(at)
    assert meta["cmd"] == {"seq": 1, "step": 6, "unit": 3} and meta["labels"][6] == "w"
    np.testing.assert_allclose(arrays["dh"].reshape(11, 16)[6], lt.h[6, 0] - lt.h[5, 0], atol=1e-6)
    slots = meta["eq"]["slots"]
    eq = arrays["eq_vals"].reshape(11, 16, len(slots))
    assert eq[6, 3, slots.index("h")] == pytest.approx(lt.h[6, 0, 3], abs=1e-6)
    assert eq[6, 3, slots.index("pre")] == pytest.approx(lt.ih[6, 0, 3] + lt.hh[6, 0, 3], abs=1e-6)


def test_moving_the_step_in_the_browser_moves_config_and_url_but_resends_nothing():
    at = open_app()
    before = at.get("bidi_component")[0].proto.SerializeToString()
    report(at, step=knobs.DEFAULT.step + 1)
    rerun(at)
    assert at.session_state["cfg"].step == knobs.DEFAULT.step + 1
    assert at.query_params["step"] == str(knobs.DEFAULT.step + 1)
    assert at.get("bidi_component")[0].proto.SerializeToString() == before


def test_the_step_is_clamped_when_the_length_shrinks():
    at = open_app(inputs="random_dense", length=30, step=25)
    at.slider(key="w_length").set_value(10)
    rerun(at)
    assert at.session_state["cfg"].step == 9 and player(at)[0]["cmd"]["step"] == 9


SIDEBAR_CHANGES = [
    ("cell", "lstm"), ("cell", "gru"), ("nonlinearity", "relu"), ("layers", 3), ("bidirectional", True),
    ("hidden", 64), ("hidden", 1), ("notation", "class"), ("notation", "functional"), ("notation", "tensorflow"),
    ("inputs", "ids"), ("inputs", "random_ids"), ("inputs", "random_dense"), ("inputs", "tf_example"),
    ("inputs", "notebook"), ("text", "abracadabra"), ("batch", 5), ("weights", "upload"), ("weights", "session"), ("init", "normal"),
    ("init", "torch_default"), ("scale", 3.0), ("zero_bias", True), ("weight_seed", 7),
]


def _set(at, name, value):
    key = knobs.FIELDS[name] and f"w_{name}"
    for getter in (at.slider, at.selectbox, at.toggle, at.number_input, at.text_area, at.text_input):
        try:
            widget = getter(key=key)
        except KeyError:
            continue
        widget.set_value(value)
        return
    raise KeyError(key)


@pytest.mark.parametrize("name, value", SIDEBAR_CHANGES, ids=[f"{n}={v}" for n, v in SIDEBAR_CHANGES])
def test_every_sidebar_control_runs(name, value):
    at = open_app()
    _set(at, name, value)
    rerun(at)
    cfg = at.session_state["cfg"]
    if name not in rules.locked_fields(cfg):
        assert getattr(cfg, name) == value
    meta, arrays = player(at)
    assert arrays["h"].size == meta["T"] * meta["H"] == cfg.length * cfg.hidden


def test_lstm_gates_show_the_trace():
    at = open_app(cell="lstm", hidden=6, tab="Gates & cell state")
    _, trace = hello_world_trace(cell="lstm", hidden=6)
    lt = trace.layers[0][0]
    data = figure(at, "gates")["data"]
    for k, name in enumerate("ifgo"):
        np.testing.assert_allclose(decode(data[k]["z"]), lt.gate(name)[:, 0].T, atol=1e-6)
    np.testing.assert_allclose(decode(data[4]["z"]), lt.c[:, 0].T, atol=1e-6)


def test_bidirectional_halves_and_concatenation():
    at = open_app(cell="gru", bidirectional=1, hidden=4, direction="reverse")
    fwd, rev = hello_world_trace(cell="gru", hidden=4, bidirectional=True)[1].layers[0]
    np.testing.assert_allclose(heatmap(at), rev.h[:, 0], atol=1e-6)
    at = open_app(cell="gru", bidirectional=1, hidden=4, direction="reverse", tab="Bidirectional")
    _, trace = hello_world_trace(cell="gru", hidden=4, bidirectional=True)
    fwd, rev = trace.layers[0]
    np.testing.assert_allclose(decode(figure(at, "bidir_fwd")["data"][0]["z"]), fwd.h[:, 0].T, atol=1e-6)
    concat = decode(figure(at, "bidir_concat")["data"][0]["z"])
    np.testing.assert_allclose(concat, trace.output[:, 0].T, atol=1e-6)


def notebook_oracle():
    """The functional notebook, written out by hand: a_t = tanh(Wax x_t + Waa a_{t-1} + ba), y = softmax(Wya a + by)."""
    np.random.seed(1)
    x = np.random.randn(3, 10, 4)
    a0 = np.random.randn(5, 10)
    Waa, Wax, Wya = np.random.randn(5, 5), np.random.randn(5, 3), np.random.randn(2, 5)
    ba, by = np.random.randn(5, 1), np.random.randn(2, 1)
    a, y, a_prev = np.zeros((5, 10, 4)), np.zeros((2, 10, 4)), a0
    for t in range(4):
        a_prev = np.tanh(Wax @ x[:, :, t] + Waa @ a_prev + ba)
        logits = Wya @ a_prev + by
        e = np.exp(logits - logits.max(axis=0))
        a[:, :, t], y[:, :, t] = a_prev, e / e.sum(axis=0)
    return x, a, y, {"Wax": Wax, "Waa": Waa, "Wya": Wya, "ba": ba, "by": by}


def test_functional_preset_shows_the_numbers_the_notebook_prints():
    at = open_app()
    at.selectbox(key="preset").set_value("functional")
    rerun(at)
    x, a, y, params = notebook_oracle()
    # what the notebook prints for these draws
    np.testing.assert_allclose(a[4][1], [-0.99999375, 0.77911235, -0.99861469, -0.99833267], atol=1e-8)
    np.testing.assert_allclose(y[1][3], [0.79560373, 0.86224861, 0.11118257, 0.81515947], atol=1e-8)
    cfg = at.session_state["cfg"]
    b = cfg.sample
    np.testing.assert_allclose(heatmap(at).T, a[:, b, :], atol=1e-6)
    np.testing.assert_allclose(decode(figure(at, "inputs")["data"][0]["z"]), x[:, b, :], atol=1e-6)
    meta, arrays = player(at)
    np.testing.assert_allclose(arrays["probs"].reshape(meta["T"], meta["O"]).T, y[:, b, :], atol=1e-6)
    printed = at.code[0].value
    assert "a[4][1] over time = [-0.99999375  0.77911235 -0.99861469 -0.99833267]" in printed
    weights_tab = open_app(**codec.to_query(presets.preset_config("functional")), tab="Weights")
    weights = {figure(weights_tab, f"weights_{k}")["layout"]["title"]["text"].removeprefix("<b>").split(":")[0]: figure(weights_tab, f"weights_{k}")
               for k in range(5)}
    for name in ("Wax", "Waa", "Wya"):
        np.testing.assert_allclose(decode(weights[name]["data"][0]["z"]), params[name], atol=1e-6)
    np.testing.assert_allclose(decode(weights["ba"]["data"][0]["z"]), params["ba"], atol=1e-6)
    at.slider(key="w_sample").set_value(3)
    rerun(at)
    assert "y_pred[1][3] = [0.79560373 0.86224861 0.11118257 0.81515947]" in at.code[0].value


def test_tensorflow_preset_shows_the_books_minibatch():
    at = open_app()
    at.selectbox(key="preset").set_value("tensorflow")
    rerun(at)
    x0 = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 0, 1]])
    x1 = np.array([[9, 8, 7], [0, 0, 0], [6, 5, 4], [3, 2, 1]])
    for sample in range(4):
        at.slider(key="w_sample").set_value(sample)
        rerun(at)
        np.testing.assert_array_equal(decode(figure(at, "inputs")["data"][0]["z"]), np.stack([x0[sample], x1[sample]]).T)
    weights_tab = open_app(**codec.to_query(presets.preset_config("tensorflow")), tab="Weights")
    names = [figure(weights_tab, f"weights_{k}")["layout"]["title"]["text"].removeprefix("<b>") for k in range(3)]
    assert names[0].startswith("Wx") and "3 × 5" in names[0] and names[1].startswith("Wy") and "5 × 5" in names[1]


@pytest.mark.parametrize("preset", list(presets.PRESETS))
def test_every_preset_runs_and_lands_in_the_url(preset):
    at = open_app()
    at.selectbox(key="preset").set_value(preset)
    rerun(at)
    assert at.session_state["cfg"] == presets.preset_config(preset)
    assert dict(at.query_params) == codec.to_query(presets.preset_config(preset))


def test_url_round_trip_reproduces_the_view():
    at = open_app()
    _set(at, "cell", "gru")
    rerun(at)
    _set(at, "hidden", 24)
    rerun(at)
    report(at, step=7, unit=11)  # the step player
    rerun(at)
    params = dict(at.query_params)
    assert params == {"cell": "gru", "hidden": "24", "step": "7", "unit": "11"}
    again = open_app(**params)
    assert again.session_state["cfg"] == at.session_state["cfg"]
    meta, arrays = player(again)
    assert meta["cmd"] == {"seq": 1, "step": 7, "unit": 11}
    for name, array in player(at)[1].items():
        np.testing.assert_array_equal(arrays[name], array)


def test_bad_url_values_show_notices_not_tracebacks():
    at = open_app(hidden="lots", step="-4", cell="transformer", zz="1", scale="inf")
    warnings = " ".join(w.value for w in at.warning)
    assert "Hidden size" in warnings and "Cell" in warnings and "'zz'" in warnings and "Init scale" in warnings
    assert at.session_state["cfg"].step == 0 and player(at)[0]["cmd"]["step"] == 0


def test_lesson_link_hides_chosen_controls():
    at = open_app(hide="cell,hidden,weight_seed", note="Watch unit 3.", tab="Share & export")
    keys = {w.key for w in at.sidebar.get("slider")} | {w.key for w in at.sidebar.get("selectbox")}
    assert "w_cell" not in keys and "w_hidden" not in keys and "w_layers" in keys
    assert "w_weight_seed" not in {w.key for w in at.sidebar.get("number_input")}
    assert at.info[0].value == "Watch unit 3."
    assert "preset" not in {w.key for w in at.sidebar.get("selectbox")}  # no preset escapes the lesson
    lesson = at.multiselect(key="lesson_hide")
    lesson.set_value(["cell", "text"])
    rerun(at)
    assert "hide=cell%2Ctext" in at.code[-1].value or "hide=cell,text" in at.code[-1].value


def test_downloads_hold_the_trace_and_torch_named_parameters():
    from rnnviz.app.compute import compute
    from rnnviz.export import trace_npz
    from rnnviz.weights_io import save_npz

    cfg = rules.normalise(knobs.DEFAULT)[0]
    result = compute(cfg)
    _, trace = hello_world_trace()
    with np.load(io.BytesIO(trace_npz(result.trace)), allow_pickle=False) as npz:
        np.testing.assert_allclose(npz["h_l0"], trace.layers[0][0].h)
        np.testing.assert_allclose(npz["probs"], trace.probs)
    with np.load(io.BytesIO(save_npz(result.model)), allow_pickle=False) as npz:
        assert set(npz.files) == {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "out.weight", "out.bias"}
    at = open_app(tab="Share & export")
    assert {b.proto.label for b in at.get("download_button")} >= {"Trace (.npz)", "Parameters (.npz, PyTorch names)"}


def test_view_controls_run():
    at = open_app(cell="gru", layers=2, bidirectional=1, hidden=5)
    _, trace = hello_world_trace(cell="gru", hidden=5, num_layers=2, bidirectional=True)
    at.slider(key="w_layer").set_value(1)
    rerun(at)
    at.selectbox(key="w_direction").set_value("reverse")
    rerun(at)
    np.testing.assert_allclose(heatmap(at), trace.layers[1][1].h[:, 0], atol=1e-6)
    at.slider(key="w_topk").set_value(5)
    rerun(at)
    meta, arrays = player(at)
    assert meta["K"] == 5
    np.testing.assert_array_equal(arrays["top"].reshape(11, 5), np.argsort(-trace.probs[:, 0], axis=-1, kind="stable")[:, :5])
    report(at, speed=4.0)  # the player's speed control
    rerun(at)
    assert dict(at.query_params)["speed"] == "4" and dict(at.query_params)["topk"] == "5"
