"""The config table: URL parsing clamps or ignores bad values with a notice, round trips, presets."""
from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnviz.app import codec, knobs, presets, rules
from rnnviz.app.codec import from_query, to_query
from rnnviz.app.knobs import DEFAULT, Config
from rnnviz.app.rules import normalise


def test_defaults_make_an_empty_url():
    assert to_query(DEFAULT) == {}
    cfg, notices = from_query({})
    assert cfg == normalise(DEFAULT)[0] and notices == []


def test_default_page_is_a_small_tanh_rnn_reading_hello_world():
    cfg, _ = from_query({})
    assert (cfg.cell, cfg.nonlinearity, cfg.inputs, cfg.text) == ("rnn", "tanh", "text", "hello world")
    assert cfg.length == 11 and cfg.input_size == cfg.output_size == len(set("hello world"))


@pytest.mark.parametrize(
    "params, field, expected, fragment",
    [
        ({"hidden": "9999"}, "hidden", 512, "512"),
        ({"hidden": "0"}, "hidden", 1, "outside"),
        ({"layers": "7"}, "layers", 3, "using 3"),
        ({"scale": "1e9"}, "scale", 100.0, "100"),
        ({"hidden": "abc"}, "hidden", 16, "ignored"),
        ({"hidden": "2.5"}, "hidden", 16, "whole number"),
        ({"scale": "nan"}, "scale", 0.5, "finite"),
        ({"cell": "transformer"}, "cell", "rnn", "not one of"),
        ({"bidirectional": "maybe"}, "bidirectional", False, "1/0"),
        ({"inputs": "ids", "ids": "1,x,3"}, "ids", (1, 2, 3, 4, 5), "ignored"),
        ({"hide": "cell,nonsense"}, "hide", frozenset({"cell"}), "nonsense"),
    ],
)
def test_bad_url_values_are_clamped_or_ignored_with_a_notice(params, field, expected, fragment):
    cfg, notices = from_query(params)
    assert getattr(cfg, field) == expected
    assert any(fragment in n for n in notices), notices


def test_unknown_parameters_get_a_notice_but_streamlit_embed_ones_do_not():
    _, notices = from_query({"bogus": "1", "embed": "true"})
    assert notices == ["Ignored unknown URL parameter 'bogus'."]


def test_view_indices_are_clamped_to_the_model():
    cfg, _ = from_query({"step": "400", "unit": "300", "hidden": "8", "layer": "2", "direction": "reverse"})
    assert cfg.step == len("hello world") - 1
    assert cfg.unit == 7 and cfg.layer == 0 and cfg.direction == "forward"


def test_the_step_is_clamped_when_the_sequence_gets_shorter():
    cfg, _ = from_query({"inputs": "random_dense", "length": "50", "step": "40"})
    assert cfg.step == 40
    shorter, _ = codec.from_values({"length": 10}, base=cfg)
    assert shorter.step == 9


def test_text_mode_sizes_come_from_the_text():
    cfg, _ = from_query({"text": "abcabcd", "input_size": "3", "length": "100"})
    assert (cfg.input_size, cfg.output_size, cfg.length) == (4, 4, 7)
    assert "input_size" not in to_query(cfg) and "length" not in to_query(cfg)


def test_token_ids_larger_than_the_input_size_raise_it_with_a_notice():
    cfg, notices = from_query({"inputs": "ids", "ids": "0,9,3", "input_size": "4"})
    assert cfg.input_size == 10 and cfg.length == 3
    assert any("raised to 10" in n for n in notices)


def test_functional_preset_is_the_notebook_setup():
    cfg = presets.preset_config("functional")
    # n_x=3, n_a=5, n_y=2, m=10, T_x=4, np.random.seed(1), as the issue states
    assert (cfg.input_size, cfg.hidden, cfg.output_size, cfg.batch, cfg.length) == (3, 5, 2, 10, 4)
    assert cfg.weight_seed == 1 and cfg.inputs == "notebook" and cfg.cell == "rnn" and cfg.nonlinearity == "tanh"


def test_other_presets_match_their_formulations():
    cls = presets.preset_config("class")
    assert (cls.input_size, cls.hidden, cls.output_size, cls.ids, cls.scale, cls.init, cls.weight_seed) == (
        10, 20, 5, (1, 2, 3, 4, 5), 0.01, "class", 0)  # the class's own draws: MinimalRNN(10, 20, 5, seed=0)
    torch = presets.preset_config("torch")
    assert (torch.input_size, torch.hidden, torch.init) == (4, 3, "torch_default")
    tf = presets.preset_config("tensorflow")
    assert (tf.input_size, tf.hidden, tf.batch, tf.length, tf.inputs) == (3, 5, 4, 2, "tf_example")


def test_notebook_mode_locks_the_cell():
    cfg, _ = from_query({"inputs": "notebook", "cell": "lstm", "layers": "3", "bidirectional": "1"})
    assert (cfg.cell, cfg.layers, cfg.bidirectional) == ("rnn", 1, False)
    assert "cell" in rules.locked_fields(cfg)


def _value(name: str):
    meta, default = knobs.KNOBS[name], knobs.FIELDS[name].default
    if meta.choices:
        return st.sampled_from(list(meta.choices))
    if isinstance(default, bool):
        return st.booleans()
    if isinstance(default, int):
        return st.integers(int(meta.lo), min(int(meta.hi), 600))
    if isinstance(default, float):
        return st.floats(meta.lo, meta.hi, allow_nan=False).map(lambda v: float(f"{v:g}"))
    if name == "ids":
        return st.lists(st.integers(0, 40), min_size=1, max_size=30).map(tuple)
    if name == "hide":
        return st.frozensets(st.sampled_from(knobs.HIDEABLE), max_size=4)
    return st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=meta.max_len)


_configs = st.fixed_dictionaries({name: _value(name) for name in knobs.FIELDS}).map(lambda d: normalise(Config(**d))[0])


@settings(max_examples=200, deadline=None)
@given(_configs)
def test_url_round_trip_reproduces_any_config(cfg):
    again, notices = from_query(to_query(cfg))
    assert notices == []
    assert again == cfg


def test_preset_urls_round_trip():
    for name in presets.PRESETS:
        cfg = presets.preset_config(name)
        assert from_query(to_query(cfg))[0] == cfg, name


def test_view_fields_are_real_fields_and_left_out_of_the_cache_key():
    from rnnviz.ui.compute import model_key

    assert set(knobs.VIEW_FIELDS) <= set(knobs.FIELDS)
    assert model_key(replace(DEFAULT, step=3, unit=2, sample=0)) == model_key(DEFAULT)
    assert model_key(replace(DEFAULT, hidden=3)) != model_key(DEFAULT)


def test_huge_requests_are_capped_by_the_batch():
    cfg, notices = from_query({"inputs": "random_dense", "cell": "lstm", "layers": "3", "bidirectional": "1",
                               "hidden": "512", "length": "500", "batch": "64"})
    assert cfg.batch == 1 and any("Batch size reduced" in n for n in notices)
    small, notices = from_query({"inputs": "random_dense", "hidden": "128", "length": "500", "batch": "8"})
    assert small.batch == 8 and notices == []
