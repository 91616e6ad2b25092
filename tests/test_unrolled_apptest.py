"""The unrolled view's server side in the real app, through AppTest (the JS never runs here): the
toggle (in the URL), the arrays the component is given equal the engine's trace and an
independent loop, the view's data does not change with the step (no re-send), and whatever the
browser sends back is validated (never a traceback)."""
from __future__ import annotations


import numpy as np
import pytest
from conftest import open_app, rerun
from plotly_data import component_data, report

from rnnviz.network import forward, init_model
from rnnviz.ui.unrolled import COMPONENT, read_pick
from tests.unrolled_reference import reference_layers

pytestmark = pytest.mark.usefixtures("fresh_cache")
F32 = dict(rtol=3e-6, atol=3e-7)


def views(at) -> list:
    return [e for e in at.get("bidi_component") if e.proto.component_name == COMPONENT]


def view(at) -> tuple[dict, dict[str, np.ndarray], bytes]:
    """The view's data as the browser receives it: JSON half, decoded Arrow arrays, the element's bytes."""
    (element,) = views(at)
    meta, arrays = component_data(element)
    return meta, arrays, element.proto.SerializeToString()


def page_model(cell="rnn", hidden=16, text="hello world", layers=1, bidirectional=False):
    """The page's model for typed text, built from the engine (uniform ±0.5, seed 0: the defaults)."""
    chars = sorted(set(text))
    ids = np.array([chars.index(c) for c in text])
    model = init_model(cell, len(chars), hidden, len(chars), num_layers=layers, bidirectional=bidirectional,
                       init="uniform", scale=0.5, seed=0)
    return model, ids


def test_off_by_default_on_from_the_url_or_the_toggle():
    at = open_app(no_errors=True)
    assert views(at) == [] and at.toggle(key="w_unrolled").value is False
    at.toggle(key="w_unrolled").set_value(True)
    rerun(at)
    assert len(views(at)) == 1 and at.query_params["unrolled"] == "1"
    assert [e.key for e in at.get("bidi_component") if e.key != "_theme_watch"] == ["player", "unrolled_view"]  # below the player
    at.toggle(key="w_unrolled").set_value(False)
    rerun(at)
    assert views(at) == [] and "unrolled" not in at.query_params
    at = open_app(unrolled="1", no_errors=True)
    assert len(views(at)) == 1 and at.toggle(key="w_unrolled").value is True


@pytest.mark.parametrize("params, cell, layers, bidi", [
    ({}, "rnn", 1, False),
    ({"cell": "lstm", "hidden": 8}, "lstm", 1, False),
    ({"cell": "gru", "hidden": 8, "bidirectional": 1, "layers": 2, "notation": "class"}, "gru", 2, True),
])
def test_the_component_gets_the_trace(params, cell, layers, bidi):
    at = open_app(unrolled=1, **params, no_errors=True)
    meta, arrays, _ = view(at)
    H = int(params.get("hidden", 16))
    model, ids = page_model(cell, H, layers=layers, bidirectional=bidi)
    trace = forward(model, ids)
    ref = reference_layers(model, ids)
    T, D = len(ids), 2 if bidi else 1
    assert (meta["T"], meta["L"], meta["D"], meta["H"], meta["cell"]) == (T, layers, D, H, cell)
    assert meta["labels"][:5] == ["h", "e", "l", "l", "o"] and meta["labels"][5] == "␣"
    hs = arrays["hs"].reshape(layers * D, T, H)
    for r in range(layers * D):
        l, d = divmod(r, D)
        np.testing.assert_array_equal(hs[r], trace.layers[l][d].h[:, 0].astype(np.float32))
        m = meta["inner_meta"]
        block = arrays["inner"][m["offsets"][r]:m["offsets"][r + 1]].reshape(T, H, -1)
        for k, name in enumerate(m["slots"][r]):
            np.testing.assert_allclose(block[..., k], ref[l][d][name], **F32, err_msg=name)
    np.testing.assert_array_equal(arrays["ps"], trace.probs[:, 0].astype(np.float32).ravel())
    np.testing.assert_array_equal(arrays["xs"].reshape(T, -1), np.eye(len(set("hello world")))[ids])
    assert meta["view_row"] == 0 and "step" not in meta
    assert "array(" not in views(at)[0].proto.mixed.json  # nothing nested was stringified


def test_the_viewed_row_is_the_pages_layer_and_direction():
    at = open_app(unrolled=1, cell="gru", hidden=8, bidirectional=1, layers=2, layer=1, direction="reverse")
    assert view(at)[0]["view_row"] == 3


def test_a_step_report_does_not_resend_the_view():
    at = open_app(unrolled=1, step=3, unit=2, no_errors=True)
    before = view(at)[2]
    for step in (5, 7, 10):
        report(at, step=step)  # the player's report, as the browser sends it
        rerun(at)
        assert at.query_params["step"] == str(step)
        assert view(at)[2] == before  # byte-identical: Streamlit sends a cache reference


def test_at_512_by_500_a_unit_change_sends_that_units_internals():
    at = open_app(unrolled=1, inputs="random_dense", input_size=32, hidden=512, length=500, step=250, unit=100,
                  no_errors=True)
    meta, arrays, before = view(at)
    assert (meta["T"], meta["H"], meta["U"], meta["binned"]) == (500, 512, 32, True)
    assert meta["inner_meta"]["mode"] == "unit" and meta["inner_meta"]["unit"] == 100
    x = np.random.default_rng(0).standard_normal((500, 1, 32))  # the random-dense input mode, seed 0
    lt = forward(init_model("rnn", 32, 512, 8, init="uniform", scale=0.5, seed=0), x).layers[0][0]
    slots = meta["inner_meta"]["slots"][0]
    np.testing.assert_allclose(arrays["inner"].reshape(500, len(slots))[:, slots.index("h")], lt.h[:, 0, 100], **F32)
    np.testing.assert_allclose(arrays["hs"].reshape(500, 32)[:, 0], lt.h[:, 0, :16].mean(axis=1), **F32)
    sent = sum(a.nbytes for a in arrays.values())
    assert sent < 400_000  # the documented figure (docs/app.md): ~300 kB
    report(at, step=300)
    rerun(at)
    assert view(at)[2] == before
    report(at, step=300, unit=7)
    rerun(at)
    meta2, arrays2, _ = view(at)
    assert meta2["inner_meta"]["unit"] == 7 and meta2["sig"] == meta["sig"]
    np.testing.assert_allclose(arrays2["inner"].reshape(500, len(slots))[:, slots.index("h")], lt.h[:, 0, 7], **F32)


@pytest.mark.parametrize("value, expected", [
    ({"layer": 1, "direction": "reverse"}, (1, "reverse")),
    ({"layer": 0.0, "direction": "forward"}, (0, "forward")),
    ({"layer": 2, "direction": "forward"}, None),  # no layer 2
    ({"layer": -1, "direction": "forward"}, None),
    ({"layer": True, "direction": "forward"}, None),  # JSON true is not a layer
    ({"layer": "1", "direction": "forward"}, None),
    ({"layer": 0.5, "direction": "forward"}, None),
    ({"layer": 0, "direction": "sideways"}, None),
    ({"layer": 0, "direction": ["reverse"]}, None),
    ({"layer": 0}, None),
    ("layer 1", None),
    (None, None),
    ([1, "reverse"], None),
])
def test_a_pick_from_the_browser_is_validated(value, expected):
    assert read_pick(value, 2, True) == expected


def test_reverse_is_not_a_pick_without_a_reverse_direction():
    assert read_pick({"layer": 0, "direction": "reverse"}, 1, False) is None
    assert read_pick({"layer": 0, "direction": "forward"}, 1, False) == (0, "forward")


@pytest.mark.parametrize("forged", [{"pick": {"layer": 7, "direction": "up"}}, {"pick": "x" * 10_000}, {"other": 1},
                                    "not a dict", None])
def test_a_forged_message_is_never_a_traceback(forged):
    at = open_app(unrolled=1, bidirectional=1, no_errors=True)
    at.session_state["unrolled_view"] = forged
    rerun(at)
    assert not at.error and len(views(at)) == 1
    cfg = at.session_state["cfg"]
    assert (cfg.layer, cfg.direction) == (0, "forward")


def test_bad_url_value_and_a_lesson_link():
    at = open_app(unrolled="maybe")
    assert "Unrolled network: ignored 'maybe' (expected 1/0 or true/false); using 0." in [
        w.value.replace("\\", "") for w in at.warning]  # markdown_literal escapes the colon
    assert views(at) == []
    at = open_app(unrolled=1, hide="unrolled", no_errors=True)  # a lesson shows the view and hides its toggle
    assert len(views(at)) == 1 and not [t for t in at.toggle if t.key == "w_unrolled"]
