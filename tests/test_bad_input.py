"""Odd text, exploding numbers, bounded caches and isolated sessions (issue 5), through AppTest.

Expected labels are written out by hand; chart data is decoded from what Streamlit sends.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import numpy as np
import pytest

from conftest import open_app as _open_app
from plotly_data import player, report
from plotly_data import decode

pytestmark = pytest.mark.usefixtures("fresh_cache")
ROOT = Path(__file__).resolve().parents[1]



def open_app(**params):
    """The app at ``?params``: no exception and no error box."""
    return _open_app(no_errors=True, **params)


def shown_text(at) -> str:
    """Warnings and info boxes as a reader sees them (Markdown escapes removed)."""
    return re.sub(r"\\(.)", r"\1", " ".join(e.value for e in [*at.warning, *at.info]))


def strip_labels(at) -> list[str]:
    """The labels the step player writes on its time strip and axis, in time order (the browser
    sets them as text, never as HTML)."""
    return player(at)[0]["labels"]


def heatmap(at) -> np.ndarray:
    """The hidden states the step player draws, (T, H)."""
    meta, arrays = player(at)
    return arrays["h"].reshape(meta["T"], meta["H"])


def unescaped(markdown: str, chars: str) -> list[str]:
    """Characters of ``chars`` that occur in ``markdown`` without a backslash before them."""
    return [c for c in chars if re.search(rf"(?<!\\){re.escape(c)}", markdown)]


# ------------------------------------------------------------------ text

TEXTS = {  # text -> its labels on the chart, in time order (hand-written)
    "a": ["a"],
    "🙂a🙂": ["🙂", "a", "🙂"],
    "e\u0301a\u0300": ["e", "\u25cc\u0301", "a", "\u25cc\u0300"],  # combining marks on a dotted circle
    "שלום": ["ש", "ל", "ו", "ם"],
    "مرحبا": ["م", "ر", "ح", "ب", "ا"],
    "a\x00b\rc\td\x1b\x7f": ["a", "␀", "b", "␍", "c", "⇥", "d", "␛", "␡"],
    "\u202eab\u200f": ["U+202E", "a", "b", "U+200F"],  # bidi controls cannot reorder the chart
    "a b␣": ["a", "U+0020", "b", "␣"],  # the space symbol typed itself: both stay distinct
}


@pytest.mark.parametrize("text", list(TEXTS), ids=[repr(t) for t in TEXTS])
def test_odd_text_is_read_and_labelled_visibly(text):
    at = open_app(text=text, step=0)
    cfg = at.session_state["cfg"]
    assert cfg.text == text and cfg.length == len(text)
    assert strip_labels(at) == TEXTS[text]
    z = heatmap(at)
    assert z.shape == (len(text), 16) and np.isfinite(z).all()


def test_empty_text_falls_back_with_a_notice():
    at = open_app(text="")
    assert at.session_state["cfg"].text == "hello world"
    assert "The text was empty" in shown_text(at)


def test_a_one_megabyte_paste_is_cut_with_a_notice():
    paste = ("abc🙂\x00\n" * 200_000)[:1_000_000]  # the browser lets 10_000 characters through
    at = open_app()
    at.text_area(key="w_text").set_value(paste[:10_000])
    at.run()
    assert not at.exception
    cfg = at.session_state["cfg"]
    assert cfg.text == paste[:500] and cfg.length == 500
    assert "Text: cut to 500 characters" in shown_text(at)
    via_url = open_app(text=paste[:100_000])
    assert via_url.session_state["cfg"].text == paste[:500] and "Text: cut to 500 characters" in shown_text(via_url)
    assert via_url.query_params["text"] == paste[:500]  # the URL keeps the cut text only
    # Streamlit itself ignores a query string over 512 KiB: the page opens with the defaults
    assert open_app(text=paste).session_state["cfg"].text == "hello world"


def test_more_distinct_characters_than_one_hot_inputs_allow():
    text = "".join(map(chr, range(0x4E00, 0x4E00 + 300)))  # 300 different characters; one-hot allows 256
    at = open_app(text=text)
    cfg = at.session_state["cfg"]
    assert cfg.text == text[:256] and cfg.input_size == 256
    assert "only its first 256 characters" in shown_text(at)


MARKUP = "**b** [x](http://e.test) ![i](http://e.test/i.png) <b>h</b> <script>x</script> $x^2$ :red[r] `c` &lt; # h"


def test_user_text_is_never_markdown_or_html():
    at = open_app(text=MARKUP[:60], note=MARKUP, zzz=MARKUP)
    for body in [at.info[0].value, *[w.value for w in at.warning], at.markdown[0].value.split("reads “")[1].split("”")[0]]:
        assert unescaped(body, "*[]<>$:`&#") == [], body
    assert MARKUP in shown_text(at)  # shown as typed
    # single characters on the chart: no "<...>" tag or "&...;" entity can form in one label
    for label in strip_labels(open_app(text="<b>&lt;</b>", step=0)):
        assert len(label) == 1 or label.startswith(("U+", "\u25cc"))


# ------------------------------------------------------------------ numbers


def finite_chart_data(at) -> int:
    """Every float array of every Plotly chart is finite, and the step player's JSON holds no NaN or
    infinity (its arrays may: the browser writes "overflow" or ∞ for them and draws them saturated);
    returns how many arrays were checked."""
    checked = 0
    for element in at.get("bidi_component"):
        if not element.proto.component_name.endswith("rnnviz_player"):
            continue  # the theme watcher (rnnviz/ui/theme.py) holds no numbers
        meta = json.loads(element.proto.mixed.json, parse_constant=lambda c: pytest.fail(f"{c} in the player"))
        assert all(np.isfinite(v).all() for v in [meta["scale"]["zmin"], meta["scale"]["zmax"], *meta["ranges"].values()])
        checked += 1
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec, parse_constant=lambda c: pytest.fail(f"{c} in {element.key}"))
        for trace in spec["data"]:
            for key in ("x", "y", "z"):
                if isinstance(trace.get(key), dict):
                    values = decode(trace[key])
                    if values.dtype.kind == "f":
                        assert np.isfinite(values).all(), (element.key, key)
                        checked += 1
    return checked


EXPLODING = dict(nonlinearity="relu", layers=3, scale=100, inputs="random_dense", length=500, hidden=64, step=499)


@pytest.mark.parametrize("tab", ["Step through time", "Weights"])
def test_exploding_relu_is_drawn_saturated_with_an_overflow_note(tab):
    at = open_app(**EXPLODING, tab=tab)
    assert finite_chart_data(at) >= 1
    assert "Overflow" in shown_text(at)
    shown = " ".join([*(e.value for e in at.latex), *(e.value for e in at.code), *(e.value for e in at.caption)])
    assert not re.search(r"\bnan\b", shown, re.IGNORECASE), shown


def test_large_but_finite_relu_states_get_a_note():
    at = open_app(nonlinearity="relu", scale=100, layers=2, step=10)
    assert finite_chart_data(at) >= 1
    assert "explode" in shown_text(at) or "Overflow" in shown_text(at)


def test_tanh_at_the_largest_scale_saturates_quietly():
    at = open_app(scale=100, cell="gru", hidden=512, inputs="random_dense", length=500)
    assert finite_chart_data(at) >= 1
    assert "Overflow" not in shown_text(at)
    assert np.abs(heatmap(at)).max() <= 1.0  # tanh/GRU states are bounded


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_largest_sizes_render_finite_charts(cell):
    at = open_app(cell=cell, hidden=512, length=500, layers=3, bidirectional=1, inputs="random_dense",
                  input_size=256, batch=64, output_size=256, step=499, unit=511)
    cfg = at.session_state["cfg"]
    assert finite_chart_data(at) >= 1
    assert cfg.step == cfg.length - 1 and cfg.unit == cfg.hidden - 1
    assert ("reduced" in shown_text(at)) or ("cut" in shown_text(at))


# ------------------------------------------------------------------ bounded resources


def test_every_streamlit_cache_is_bounded():
    """Every st.cache_data / st.cache_resource in the app has max_entries or ttl."""
    found = []
    for path in [ROOT / "app.py", *sorted((ROOT / "rnnviz").rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            for deco in getattr(node, "decorator_list", []):
                target = deco.func if isinstance(deco, ast.Call) else deco
                name = ast.unparse(target)
                if name.endswith(("cache_data", "cache_resource")):
                    keywords = {k.arg for k in deco.keywords} if isinstance(deco, ast.Call) else set()
                    found.append((f"{path.name}:{node.lineno}", bool(keywords & {"max_entries", "ttl"})))
    assert found, "no cache found: the scan is broken"
    assert [where for where, bounded in found if not bounded] == []


# ------------------------------------------------------------------ isolation


def test_one_sessions_failure_leaves_another_session_working(monkeypatch):
    healthy = open_app(cell="gru", hidden=5, step=3)
    before = heatmap(healthy)

    broken = open_app(weights="upload")  # a corrupt upload: a clear message, not a traceback
    broken.file_uploader(key="upload_file").set_value(("model.npz", b"PK\x03\x04 not really a zip", "application/zip"))
    broken.run()
    assert not broken.exception and "Could not use this file" in broken.error[0].value

    from rnnviz.ui.views import weights
    monkeypatch.setattr(weights, "matrix_heatmap", lambda *a, **k: 1 / 0)  # an unexpected bug in one tab
    crashing = open_app()
    crashing.query_params["tab"] = "Weights"
    crashing.run()
    assert crashing.exception  # shown in that session only
    monkeypatch.undo()

    report(healthy, step=4)
    healthy.run()
    assert not healthy.exception and not healthy.error
    assert healthy.session_state["cfg"].hidden == 5 and healthy.session_state["cfg"].step == 4
    np.testing.assert_array_equal(heatmap(healthy), before)
