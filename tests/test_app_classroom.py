"""The classroom features on the page, headless (AppTest): the shipped trained models as a Weights
choice (URL round trip, model card, typed text they cannot read, Explore opening on them, Train
starting from one), the projector layout, the colour-blind palette and charts that follow the
browser's theme.

References are independent of the code under test: the model cards are read as raw JSON from the
package's data, hidden states come from tests/player_reference.py (a plain NumPy loop per cell
from the textbook equations, fed the parameters ``pretrained.load`` returns), features and
correlations are computed here by hand, colour scales come from plotly.colors, theme colours from
Streamlit 1.67's frontend theme definitions (written out below).
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import open_app, rerun
from player_reference import reference_direction
from plotly_data import charts, decode, figure, hexed, player

from rnnviz import pretrained

DATA = Path(__file__).resolve().parents[1] / "rnnviz" / "data" / "trained"
NAMES = sorted(p.stem for p in DATA.glob("*.json"))
TABS = ("Step through time", "Gates & cell state", "Weights", "Train", "Explore", "Share & export")
# Streamlit 1.67's themes (frontend theme definitions: bgColor / bodyText)
LIGHT = ("#ffffff", "#2f2d2b")
DARK = ("#171614", "#edebe8")


def raw_card(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def warnings(at) -> list[str]:
    """The warnings as plain text (markdown_literal's backslash escapes undone)."""
    return [re.sub(r"\\(.)", r"\1", w.value) for w in at.warning]


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def encode(vocab: list[str], text: str) -> np.ndarray:
    return np.array([vocab.index(c) for c in text])


# --- Weights = trained:<name> --------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_a_trained_model_travels_in_the_url_and_the_page_shows_its_numbers(name):
    card = raw_card(name)
    at = open_app(no_errors=True, weights=f"trained:{name}")
    cfg = at.session_state["cfg"]
    assert (cfg.weights, cfg.cell, cfg.hidden, cfg.layers, cfg.nonlinearity) == (
        f"trained:{name}", card["cell"], card["hidden_size"], card["num_layers"], card["nonlinearity"])
    assert cfg.input_size == cfg.output_size == len(card["vocab"]) and set(cfg.text) <= set(card["vocab"])
    # the link holds the model's name, not the sizes it decides
    url = dict(at.query_params)
    assert url["weights"] == f"trained:{name}"
    assert not {"cell", "hidden", "layers", "input_size", "output_size"} & set(url)
    # the page's numbers are the shipped model's, forwarded here by a plain NumPy loop
    model, _, _ = pretrained.load(name)
    ids = encode(card["vocab"], cfg.text)
    ref = reference_direction(model, ids, 0)
    meta, arrays = player(at)
    T, H, O = meta["T"], meta["H"], meta["O"]
    assert (T, H, O) == (len(cfg.text), card["hidden_size"], len(card["vocab"]))
    np.testing.assert_allclose(arrays["h"].reshape(T, H), ref["h"], atol=1e-6)
    probs = softmax(ref["h"] @ model.w_out.T + model.b_out)
    np.testing.assert_allclose(arrays["probs"].reshape(T, O), probs, atol=1e-6)
    # opening the link it wrote gives the same page
    again = open_app(no_errors=True, **url)
    assert again.session_state["cfg"] == cfg


def test_choosing_a_trained_model_in_the_sidebar_shows_its_card():
    card = raw_card("brackets-rnn")
    at = open_app()
    at.selectbox(key="w_weights").set_value("trained:brackets-rnn")
    rerun(at)
    cfg = at.session_state["cfg"]
    # the default text means nothing to a bracket model: it reads the start of its corpus instead
    corpus = (DATA.parent / "brackets.txt").read_text(encoding="utf-8")
    # (whole lines, starting with a line break: the state the model is in at every line start)
    assert cfg.text.startswith("\n") and cfg.text.endswith("\n") and cfg.text in corpus and len(cfg.text) > 20
    assert not warnings(at)  # nobody typed "hello world": no complaint about it
    # the model card, in the sidebar under the Weights choice
    expander = next(e for e in at.sidebar.expander if card["title"] in e.label)
    text = " ".join(m.value for m in expander.markdown).replace("\\", "")
    assert f"{card['bits_per_char']:.2f} bits per character" in text
    assert f"(unigram) needs {card['unigram_bits_per_char']:.2f}" in text
    assert f"{card['training']['steps']:,} steps" in text and f"on the {card['corpus']} corpus" in text
    unit = card["units"][0]
    assert f"Unit {unit['unit']} {unit['what']} (r = {unit['r']:+.2f} with {unit['feature']})" in text
    # the story says where the weights come from, with the same numbers
    story = at.markdown[0].value.replace("\\", "")
    assert "trained model **brackets-rnn**" in story and f"{card['bits_per_char']:.2f} bits per character" in story
    # the model decides the architecture: those controls are disabled
    for key in ("w_cell", "w_hidden"):
        widget = next(w for w in at.sidebar if getattr(w, "key", None) == key)
        assert widget.disabled


def test_typed_text_a_trained_model_cannot_read_says_which_characters():
    at = open_app(no_errors=True, weights="trained:brackets-rnn", text="(a)(b\t)")
    assert at.session_state["cfg"].text == "()()"
    said = warnings(at)
    assert any("cannot read 'a', 'b', '\\t'" in w and "brackets-rnn" in w for w in said), said
    # nothing readable at all: the start of the corpus, and the notice says so
    at = open_app(no_errors=True, weights="trained:brackets-rnn", text="xyz")
    corpus = (DATA.parent / "brackets.txt").read_text(encoding="utf-8")
    assert at.session_state["cfg"].text.strip() and at.session_state["cfg"].text in corpus
    assert any("cannot read 'x', 'y', 'z'" in w and "start of that corpus" in w for w in warnings(at))
    # typed token ids beyond its 3 characters are dropped, with a notice
    at = open_app(no_errors=True, weights="trained:brackets-rnn", inputs="ids", ids="2,7,1")
    assert at.session_state["cfg"].ids == (2, 1)
    assert any("reads token ids 0–2" in w for w in warnings(at))


def test_unknown_trained_model_layout_or_palette_in_the_url_gives_the_notice():
    at = open_app(no_errors=True, weights="trained:no-such-model", layout="wall", palette="rainbow")
    cfg = at.session_state["cfg"]
    assert (cfg.weights, cfg.layout, cfg.palette) == ("init", "page", "default")
    said = warnings(at)
    assert any("Weights: ignored 'trained:no-such-model'" in w and "trained:brackets-rnn" in w for w in said), said
    assert any("Projector layout: ignored 'wall'" in w for w in said), said
    assert any("Heatmap colours: ignored 'rainbow'" in w for w in said), said


def test_a_shipped_model_travels_in_lesson_links_and_needs_no_warning():
    at = open_app(no_errors=True, weights="trained:counting-gru", layout="projector", tab="Share & export")
    codes = " ".join(c.value for c in at.code)
    assert "weights=trained%3Acounting-gru" in codes and "layout=projector" in codes
    assert not any("not part of a link" in w for w in warnings(at))


# --- Explore -------------------------------------------------------------------------------------

def test_explore_opens_on_a_shipped_model_and_finds_its_depth_unit():
    card = raw_card("brackets-rnn")
    at = open_app(no_errors=True, tab="Explore")
    chooser = at.selectbox(key="explore_model")
    assert list(chooser.options)[:len(NAMES)] == [f"trained: {n} — {raw_card(n)['title']}" for n in NAMES]
    assert chooser.value == "brackets-rnn" and at.selectbox(key="neuron_feature").value == "bracket depth"
    assert any(card["title"] in e.label for e in at.expander)  # its model card
    # neuron over text: the first 600 characters of its corpus, ranked by hand
    text = (DATA.parent / "brackets.txt").read_text(encoding="utf-8")[:600]
    model, _, _ = pretrained.load("brackets-rnn")
    h = reference_direction(model, encode(card["vocab"], text), 0)["h"]
    depth = np.cumsum([{"(": 1, ")": -1}.get(c, 0) for c in text])
    r = np.array([np.corrcoef(h[:, u], depth)[0, 1] for u in range(h.shape[1])])
    unit = at.selectbox(key="neuron_unit").value
    assert unit == int(np.nanargmax(np.abs(r))) == card["units"][0]["unit"] and abs(r[unit]) >= 0.8
    z = decode(figure(at, "neuron_text")["data"][0]["z"]).reshape(-1)
    np.testing.assert_allclose(z[:600], h[:, unit], atol=1e-5)
    # the page itself still shows its random model; one click shows the trained one everywhere
    assert at.session_state["cfg"].weights == "init"
    at.button(key="explore_use").click()
    rerun(at)
    assert at.session_state["cfg"].weights == "trained:brackets-rnn"


def test_explore_starts_on_the_page_model_when_it_is_trained():
    at = open_app(no_errors=True, tab="Explore", weights="trained:dialogue-lstm")
    assert at.selectbox(key="explore_model").value == "page"
    assert at.selectbox(key="neuron_feature").value == "inside quotes"  # the card's unit
    at.selectbox(key="explore_model").set_value("counting-gru")
    rerun(at)
    assert at.selectbox(key="neuron_feature").value == "bracket depth"  # the new card's, not the old choice
    drawn = {}
    for view in ("Trajectory", "What changed", "Vanishing gradients", "Side by side"):
        at.segmented_control(key="explore_view").set_value(view)
        rerun(at)
        assert not at.error, view
        drawn[view] = set(charts(at))
    assert {"changed_trained", "changed_rnn", "memory_span"} <= drawn["What changed"]  # the explored GRU joins
    assert "trajectory" in drawn["Trajectory"]
    assert at.session_state["cfg"].weights == "trained:dialogue-lstm"  # Explore's choice never moved the page


# --- Train -----------------------------------------------------------------------------------------

def test_training_starts_from_a_shipped_model_and_leaves_the_shipped_one_untouched():
    card = raw_card("brackets-rnn")
    at = open_app(tab="Train")
    at.selectbox(key="train_start_from").set_value("brackets-rnn")
    at.number_input(key="train_steps").set_value(10)
    rerun(at)
    at.button(key="train_start").click()
    rerun(at)
    for _ in range(60):
        if not at.session_state["training"]:
            break
        rerun(at)
    trainer = at.session_state["trainer"]
    assert trainer.steps == 10
    # it started from the trained weights: its very first loss (one batch, from a zero state) is already
    # far below the unigram baseline, where a random start sits near log2(3) = 1.58 bits
    first_bits = trainer.losses[0] / math.log(2)
    assert first_bits < card["unigram_bits_per_char"] - 0.4 < math.log2(3) - 0.6
    cfg = at.session_state["cfg"]
    assert (cfg.weights, cfg.cell, cfg.hidden, cfg.input_size) == ("session", "rnn", card["hidden_size"], 3)
    # the model every session shares was not trained in place
    from rnnviz.naming import state_dict
    from rnnviz.ui.session import shipped_model

    shared = shipped_model("brackets-rnn")[1]
    assert pretrained.weights_digest(state_dict(shared)) == card["weights_sha256"]


# --- projector layout ------------------------------------------------------------------------------

def test_projector_layout_is_a_knob_in_the_url_with_large_text_and_a_one_line_story():
    at = open_app(no_errors=True, layout="projector")
    assert at.session_state["cfg"].layout == "projector" and at.query_params["layout"] == "projector"
    assert not at.title  # no title: the story is one line
    story = at.markdown[0].value
    assert "\n" not in story and len(story) < 110 and "16 units" in story
    meta, _ = player(at)
    sizes = meta["sizes"]
    assert meta["layout"] == "side" and sizes["tick"] >= 16 and sizes["small"] >= 16
    assert sizes["title"] > sizes["tick"] and sizes["text"] > sizes["tick"]
    assert at.toggle(key="w_layout").value is True
    at.toggle(key="w_layout").set_value(False)
    rerun(at)
    assert at.session_state["cfg"].layout == "page" and "layout" not in at.query_params and at.title
    assert player(at)[0]["sizes"]["tick"] < 16  # the page's own sizes again


@pytest.mark.parametrize("tab", ["Weights", "Explore"])
def test_projector_layout_enlarges_every_plotly_chart(tab):
    def fonts(spec) -> list[float]:
        found = []

        def walk(obj, key=""):
            if isinstance(obj, dict):
                if key.endswith("font") and "size" in obj:
                    found.append(obj["size"])
                for k, v in obj.items():
                    walk(v, k)
            elif isinstance(obj, list):
                for v in obj:
                    walk(v, key)
        walk(spec)
        return found

    page = open_app(tab=tab)
    projector = open_app(tab=tab, layout="projector")
    if tab == "Explore":
        for at in (page, projector):
            at.segmented_control(key="explore_view").set_value("Vanishing gradients")
            rerun(at)
    keys = charts(projector)
    assert keys and keys == charts(page)
    for key in keys:
        big, small = figure(projector, key)["layout"], figure(page, key)["layout"]
        assert big["font"]["size"] >= 16 > small["font"]["size"], key  # ticks inherit the base font
        assert min(fonts(figure(projector, key))) >= 16, key
        title = big.get("title", {}).get("font", {}).get("size")
        if title is not None:
            assert title > big["font"]["size"], key


def test_projector_layout_moves_the_view_selectors_to_the_sidebar():
    at = open_app(no_errors=True, layout="projector", layers=2)
    assert any(getattr(w, "key", None) == "w_layer" for w in at.sidebar.slider)
    at = open_app(no_errors=True, layers=2)
    assert not any(getattr(w, "key", None) == "w_layer" for w in at.sidebar.slider)


# --- palette ---------------------------------------------------------------------------------------

def test_colour_blind_palette_reaches_the_player_and_every_heatmap():
    import plotly.colors as pc

    puor_r = hexed(pc.get_colorscale("PuOr_r"))
    cividis = hexed(pc.get_colorscale("Cividis"))
    at = open_app(no_errors=True, palette="cb")
    assert hexed(player(at)[0]["scale"]["stops"]) == puor_r
    assert "purple negative, orange positive" in at.markdown[0].value
    at = open_app(no_errors=True, palette="cb", tab="Weights")
    for key in charts(at):
        assert hexed(figure(at, key)["data"][0]["colorscale"]) == puor_r, key
    relu = open_app(no_errors=True, palette="cb", nonlinearity="relu")
    assert hexed(player(relu)[0]["scale"]["stops"]) == cividis
    assert "dark blue at 0 up to yellow" in relu.markdown[0].value
    default = open_app(no_errors=True, tab="Weights")
    assert hexed(figure(default, charts(default)[0])["data"][0]["colorscale"]) == hexed(pc.get_colorscale("RdBu_r"))


# --- theme -----------------------------------------------------------------------------------------

def themed_app(tab: str, theme: str | None = None, report: dict | None = None, **params):
    from streamlit.testing.v1 import AppTest

    from conftest import APP

    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"tab": tab, **params})
    if theme:
        at.context["theme"] = theme
    if report:
        at.session_state["_theme_watch"] = {"look": report}
    return rerun(at)


@pytest.mark.parametrize("tab", TABS)
def test_every_chart_takes_the_theme_the_browser_reports(tab):
    for theme, (bg, fg) in (("dark", DARK), ("light", LIGHT)):
        at = themed_app(tab, theme, cell="lstm")
        keys = charts(at)
        if tab == "Explore":  # its charts are drawn per view: check two kinds
            at.segmented_control(key="explore_view").set_value("Vanishing gradients")
            keys = charts(rerun(at))
        for key in keys:
            layout = figure(at, key)["layout"]
            assert (layout["paper_bgcolor"], layout["plot_bgcolor"], layout["font"]["color"]) == (bg, bg, fg), key
            axes = [v for k, v in layout.items() if k.startswith(("xaxis", "yaxis"))]
            assert axes and all(a["gridcolor"] not in (bg, fg) for a in axes), key
    # what the watcher reports (a custom theme's colours) wins over st.context
    at = themed_app("Weights", "light", report={"type": "dark", "bg": "#101820", "fg": "#f0f0e0"})
    layout = figure(at, charts(at)[0])["layout"]
    assert (layout["paper_bgcolor"], layout["font"]["color"]) == ("#101820", "#f0f0e0")
    # a forged report is ignored, never a traceback
    at = themed_app("Weights", "dark", report={"type": "dark", "bg": "url(evil)", "fg": 3})
    assert figure(at, charts(at)[0])["layout"]["paper_bgcolor"] == DARK[0]
