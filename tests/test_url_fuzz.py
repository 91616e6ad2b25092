"""Any query string a student can type opens the page: hypothesis generates them from the field
table (rnnviz/app/knobs.py) and the app runs each one through AppTest.

Property: no exception and no error element; every invalid value (unknown key, repeated key,
wrong type, out of range, too long) gets a visible notice naming the field; the resulting
config is within every bound of the table and the URL is rewritten to its canonical form.
500 query strings run through the app (3 tests), more through the parser alone.
"""
from __future__ import annotations

import math
import os
import re

import pytest
import streamlit as st
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as s
from streamlit.testing.v1 import AppTest

from conftest import APP
from rnnviz import pretrained
from rnnviz.app import codec, knobs, limits, rules

IGNORED_KEYS = {"embed", "embed_options", "tab"}  # Streamlit's own and the tab (bound to st.tabs)
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
TABS = ["Step through time", "Weights", "Share & export", "Gates & cell state", "Bidirectional", "nope", ""]
FUZZ = dict(deadline=None, derandomize=bool(os.environ.get("CI")), database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])

# Text a browser can send: any code point but lone surrogates (not encodable in a URL).
ANY_TEXT = s.text(s.characters(exclude_categories=("Cs",)), max_size=30)
UNICODE = s.sampled_from(["٣", "１２", "³", "½", "🙂", "e\u0301", "שלום", "مرحبا", "\u202e12", "\x00", "\r\n", "\t7",
                          "1_0", "0x10", "1e999", "-1e999", "nan", "inf", "-inf", "9" * 400, "-" + "9" * 400, " 3 "])


def _numbers(name: str):
    """(value, valid) pairs for a numeric field: inside, outside, negative, huge, not a number."""
    lo, hi = knobs.bounds(name)
    is_int = knobs.TYPES[name] is int
    inside = (s.integers(int(lo), int(hi)) if is_int else s.floats(lo, hi)).map(lambda v: (str(v), True))
    outside = s.one_of(
        s.integers(int(hi) + 1, 10**30).map(str) if is_int else s.floats(hi * 1.0001, 1e300).map(repr),
        s.integers(-(10**30), math.ceil(lo) - 1).map(str),
    ).map(lambda v: (v, False))
    junk = s.one_of(UNICODE, ANY_TEXT).filter(lambda v: not _parses_inside(v, lo, hi, is_int)).map(lambda v: (v, False))
    fractions = (s.floats(lo + 0.01, hi - 0.01).filter(lambda v: v != int(v)).map(lambda v: (repr(v), False))
                 if is_int and hi - lo > 1 else s.nothing())
    return s.one_of(inside, outside, junk, fractions)


def _parses_inside(raw: str, lo: float, hi: float, is_int: bool) -> bool:
    """Independent of the app's parser: what Python's float() makes of the text."""
    try:
        value = float(raw)
    except (ValueError, OverflowError):
        return False
    return math.isfinite(value) and lo <= value <= hi and (not is_int or value == int(value))


def values_of(name: str):
    """A strategy of (URL value, is it valid on its own) for config field ``name``."""
    meta, typ = knobs.KNOBS[name], knobs.TYPES[name]
    if typ in (int, float):
        return _numbers(name)
    if typ is bool:
        good = s.sampled_from(["0", "1", "true", "false", "yes", "no", "on", "off", "TRUE", " 1 "]).map(lambda v: (v, True))
        bad = s.one_of(UNICODE, ANY_TEXT).filter(lambda v: v.strip().lower() not in ("0", "1", "true", "false", "yes", "no", "on", "off"))
        return s.one_of(good, bad.map(lambda v: (v, False)))
    if meta.choices:
        good = s.sampled_from(list(meta.choices)).map(lambda v: (v, True))
        bad = s.one_of(s.sampled_from([c.upper() for c in meta.choices] + [c + " " for c in meta.choices]), UNICODE, ANY_TEXT)
        return s.one_of(good, bad.filter(lambda v: v not in meta.choices).map(lambda v: (v, False)))
    if name in ("text", "note"):
        limit = meta.max_len
        good = s.one_of(ANY_TEXT, UNICODE, s.sampled_from(["", "a", "🙂🙂", "a\x00b\rc\td", "\u202eabc", "e\u0301\u0301"]))
        long = s.integers(limit + 1, 3 * limit).map(lambda n: ("ab\x00🙂" * n)[:n])
        return s.one_of(good.map(lambda v: (v, True)), long.map(lambda v: (v, False)))
    if name == "ids":
        good = s.lists(s.integers(0, 255), min_size=1, max_size=40).map(lambda ids: (",".join(map(str, ids)), True))
        bad = s.one_of(s.lists(s.integers(-(10**6), -1), min_size=1, max_size=5).map(lambda ids: ",".join(map(str, ids))),
                       s.sampled_from(["", ",", "1,,x", "1.5", "a,b", "1e999", "½"]))
        return s.one_of(good, bad.map(lambda v: (v, False)))
    if name == "hide":
        good = s.lists(s.sampled_from(knobs.HIDEABLE), max_size=4).map(lambda names: (",".join(names), True))
        bad = s.lists(ANY_TEXT.filter(lambda v: v.strip() and "," not in v and ";" not in v and v.strip() not in knobs.HIDEABLE),
                      min_size=1, max_size=2).map(lambda names: (",".join(names), False))
        return s.one_of(good, bad)
    raise AssertionError(f"no strategy for field {name}")  # a new field type needs a strategy here


FIELD_VALUES = {name: values_of(name) for name in knobs.FIELDS}
UNKNOWN_KEYS = ANY_TEXT.filter(lambda k: k not in knobs.FIELDS and k.lower() not in IGNORED_KEYS and "\x00" not in k)


@s.composite
def query(draw, max_fields: int = 6, repeats: bool = True):
    """(query params as AppTest takes them, {key: reason it is invalid})."""
    params, invalid = {}, {}
    for name in draw(s.lists(s.sampled_from(list(knobs.FIELDS)), max_size=max_fields, unique=True)):
        count = draw(s.integers(1, 3)) if repeats else 1
        pairs = [draw(FIELD_VALUES[name]) for _ in range(count)]
        params[name] = pairs[0][0] if count == 1 else [v for v, _ in pairs]
        if count > 1:
            invalid[name] = "repeated"
        elif not pairs[-1][1]:
            invalid[name] = "invalid"
    for key in draw(s.lists(UNKNOWN_KEYS, max_size=2, unique=True)):
        params[key] = draw(ANY_TEXT)
        invalid[key] = "unknown"
    if draw(s.booleans()):
        params["tab"] = draw(s.sampled_from(TABS))
    return params, invalid


def open_with(params: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(params)
    at.run()
    return at


def assert_config_in_bounds(cfg: knobs.Config) -> None:
    for name, f in knobs.FIELDS.items():
        value, meta = getattr(cfg, name), knobs.KNOBS[f.name]
        if meta.lo is not None and name != "hidden" or name == "hidden" and cfg.weights not in ("upload", "session"):
            assert meta.lo <= value <= meta.hi, (name, value)
        if meta.choices:
            assert value in meta.choices, (name, value)
        if meta.max_len:
            assert len(value) <= meta.max_len, (name, len(value))
    assert set(cfg.hide) <= set(knobs.HIDEABLE)
    # what the page looks at exists
    assert cfg.step < cfg.length and cfg.unit < cfg.hidden and cfg.sample < cfg.batch and cfg.layer < cfg.layers
    assert cfg.bidirectional or cfg.direction == "forward"
    shipped = cfg.weights.startswith("trained:") and cfg.inputs != "notebook"
    if cfg.inputs == "text" and shipped:  # a shipped model: its vocabulary decides the one-hot size
        vocab = pretrained.card(cfg.weights.split(":", 1)[1]).vocab
        assert 1 <= len(cfg.text) == cfg.length and cfg.input_size == len(vocab) and set(cfg.text) <= set(vocab)
    elif cfg.inputs == "text":
        assert 1 <= len(cfg.text) == cfg.length and cfg.input_size == len(set(cfg.text))
    if cfg.inputs == "ids":
        assert len(cfg.ids) == cfg.length and max(cfg.ids) < cfg.input_size
    # the resource caps (written out here, independently of app/limits.py's formulas)
    D, G, H, L, T, B = 2 if cfg.bidirectional else 1, GATES[cfg.cell], cfg.hidden, cfg.layers, cfg.length, cfg.batch
    assert T * B * (G * H * L * D + cfg.input_size + 2 * cfg.output_size) <= limits.MAX_TRACE_NUMBERS or B == 1
    weights = sum(D * G * H * ((cfg.input_size if layer == 0 else D * H) + H) for layer in range(L))
    assert weights <= limits.MAX_PARAMETERS
    assert T * (B * weights + L * D * limits.FORWARD_STEP_OVERHEAD) <= limits.MAX_FORWARD_WORK


def check_page(params: dict, invalid: dict) -> None:
    at = open_with(params)
    assert not at.exception, (params, [e.message for e in at.exception])
    assert not at.error, (params, [e.value for e in at.error])
    cfg = at.session_state["cfg"]
    assert_config_in_bounds(cfg)
    shown = re.sub(r"\\(.)", r"\1", " ".join(w.value for w in at.warning))  # as rendered (Markdown escapes removed)
    for key, why in invalid.items():
        named = repr(key) if why == "unknown" else knobs.label(key)
        assert named in shown, (key, why, params, shown)
    # the address bar now holds the canonical URL of what is shown (no junk, no repeats)
    left = {k: v for k, v in at.query_params.items() if k not in IGNORED_KEYS}
    assert left == codec.to_query(cfg), (params, left)


@pytest.fixture(autouse=True)
def _fresh_cache():
    st.cache_data.clear()


@settings(max_examples=int(os.environ.get("FUZZ_N", 220)), **FUZZ)
@given(query(max_fields=3, repeats=False))
def test_single_values_of_every_field(case):
    check_page(*case)


@settings(max_examples=int(os.environ.get("FUZZ_N", 200)), **FUZZ)
@given(query(max_fields=8, repeats=True))
def test_mixed_repeated_and_unknown_parameters(case):
    check_page(*case)


SIZE_FIELDS = ("hidden", "layers", "length", "batch", "input_size", "output_size", "scale")


@settings(max_examples=int(os.environ.get("FUZZ_N", 80)), **FUZZ)
@given(s.fixed_dictionaries({
    "cell": s.sampled_from(["rnn", "lstm", "gru"]),
    "bidirectional": s.sampled_from(["0", "1"]),
    "inputs": s.sampled_from(["random_dense", "random_ids", "text", "ids", "notebook"]),
    "text": s.sampled_from(["x" * 500, "🙂" * 500, "".join(map(chr, range(0x400, 0x400 + 500)))]),
    "ids": s.just(",".join(map(str, range(256))) + ",255" * 244),
}, optional={name: s.sampled_from(["0", "-1", "1e30", "99999999999999999999", "1e999"]) for name in SIZE_FIELDS}))
def test_extreme_sizes_are_capped(params):
    check_page(params, {})


@settings(max_examples=2000, **FUZZ)
@given(query(max_fields=10, repeats=False))
def test_parser_alone_keeps_every_bound(case):
    params, invalid = case
    cfg, notices = codec.from_query(params)
    assert_config_in_bounds(cfg)
    assert rules.normalise(cfg)[0] == cfg  # normalising twice changes nothing
    shown = " ".join(notices)
    for key, why in invalid.items():
        assert (repr(key) if why == "unknown" else knobs.label(key)) in shown, (key, params, notices)
