"""Train and Explore tabs, headless (AppTest): training runs in ticks, stops, and becomes the page's
model; every exploration view shows what the NumPy core computes for the same set-up (expected
values computed here by calling the engine and analysis functions directly)."""
from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import APP, open_app, rerun
from plotly_data import player
from plotly_data import charts, decode, figure
from rnnviz import analysis, corpora, train
from rnnviz.network import forward, init_model
from rnnviz.text import Vocab
from rnnviz.ui import session

pytestmark = pytest.mark.usefixtures("fresh_cache")

HELLO = "hello world"


def train_until_done(at: AppTest, corpus: str = "brackets", steps: int = 300, **settings) -> AppTest:
    at.selectbox(key="train_corpus").set_value(corpus)
    at.number_input(key="train_steps").set_value(steps)
    for key, value in settings.items():
        for getter in (at.selectbox, at.slider, at.number_input):
            try:
                getter(key=key).set_value(value)
                break
            except KeyError:
                continue
    rerun(at)
    at.button(key="train_start").click()
    rerun(at)
    for _ in range(200):  # each run is one bounded tick
        if not at.session_state["training"]:
            break
        rerun(at)
    assert not at.session_state["training"]
    return at


def step_tab_of(at: AppTest) -> AppTest:
    """The same session opened on the first tab (AppTest cannot click a tab; the page's model and
    config live in these session-state entries)."""
    fresh = AppTest.from_file(APP, default_timeout=60)
    for key in (session.CONFIG, session.TRAINED):
        fresh.session_state[key] = at.session_state[key]
    return rerun(fresh)


def hand_vocab(text: str) -> Vocab:
    return Vocab(tuple(sorted(set(text))))


def hand_entropy_bits(text: str) -> float:
    counts = np.array(list(Counter(text).values()), float)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def hello_model(cell: str = "rnn", hidden: int = 16) -> tuple[np.ndarray, object]:
    chars = sorted(set(HELLO))
    ids = np.array([chars.index(c) for c in HELLO])
    return ids, init_model(cell, len(chars), hidden, len(chars), init="uniform", scale=0.5, seed=0)


# --- training -------------------------------------------------------------------------------------

def test_training_lowers_the_loss_below_the_unigram_baseline_and_becomes_the_page_model():
    at = open_app(tab="Train")
    at = train_until_done(at, "brackets", steps=300)
    trainer = at.session_state["trainer"]
    assert trainer.steps == 300
    text = corpora.load_corpus("brackets").text
    bits = decode(figure(at, "train_loss")["data"][0]["y"])
    assert bits.size == 300
    np.testing.assert_allclose(bits, trainer.losses / math.log(2), rtol=1e-6)
    baseline = hand_entropy_bits(text)
    assert bits[:10].mean() > baseline - 0.05  # starts near (or above) guessing by frequency
    assert bits[-20:].mean() < 0.75 * baseline  # and ends well below it
    assert figure(at, "train_loss")["layout"]["shapes"][0]["y0"] == pytest.approx(baseline, rel=1e-6)
    # the page now shows the trained model reading its corpus
    cfg = at.session_state["cfg"]
    assert cfg.weights == "session" and cfg.inputs == "text" and set(cfg.text) <= set(text)
    assert "trained here" in at.markdown[0].value and "brackets" in at.markdown[0].value
    at = step_tab_of(at)
    vocab = hand_vocab(text)
    expected = forward(trainer.model.astype(np.float64), vocab.encode(cfg.text)[:, None])
    meta, arrays = player(at)
    T, H, O = meta["T"], meta["H"], meta["O"]
    np.testing.assert_allclose(arrays["h"].reshape(T, H), expected.layers[0][0].h[:, 0], atol=1e-5)
    np.testing.assert_allclose(arrays["probs"].reshape(T, O), expected.probs[:, 0], atol=1e-5)
    assert meta["out_labels"] == ["⏎", "(", ")"]


def test_stop_halts_training_and_continue_resumes_it():
    at = open_app(tab="Train")
    at.number_input(key="train_steps").set_value(20_000)
    at.slider(key="train_batch").set_value(4)
    rerun(at)
    at.button(key="train_start").click()
    rerun(at)
    rerun(at)
    trainer = at.session_state["trainer"]
    assert at.session_state["training"] and 0 < trainer.steps < 20_000
    at.button(key="train_stop").click()
    rerun(at)
    stopped = trainer.steps
    rerun(at)
    rerun(at)
    assert not at.session_state["training"] and trainer.steps == stopped
    assert at.button(key="train_start").label == "▶ Continue"
    at.button(key="train_start").click()
    rerun(at)
    assert at.session_state["trainer"] is trainer and trainer.steps > stopped
    at.button(key="train_stop").click()
    rerun(at)
    at.button(key="train_reset").click()
    rerun(at)
    assert at.session_state["cfg"].weights == "init" and "random" in at.markdown[0].value


def test_sample_shows_the_models_top5_at_each_character():
    at = train_until_done(open_app(tab="Train"), "phrase", steps=60)
    at.slider(key="sample_temperature").set_value(0.5)
    at.slider(key="sample_length").set_value(50)
    rerun(at)
    trainer = at.session_state["trainer"]
    vocab = hand_vocab(corpora.load_corpus("phrase").text)
    expected = train.sample(trainer.model.astype(np.float64), vocab, length=50, temperature=0.5, top_k=5, seed=0)
    heat = figure(at, "sample_guesses")["data"][0]
    np.testing.assert_allclose(decode(heat["z"]), expected.top_probs[:40].T, atol=1e-5)  # a 40-character window
    assert [row[0] for row in np.asarray(heat["text"]).T[:3]] == [vocab.chars[i] if vocab.chars[i] != " " else "␣"
                                                                  for i in expected.top_ids[:3, 0]]
    assert at.code[-1].value == expected.text
    at.slider(key="sample_window").set_value(10)
    rerun(at)
    heat = figure(at, "sample_guesses")["data"][0]
    np.testing.assert_allclose(decode(heat["z"]), expected.top_probs[10:50].T, atol=1e-5)
    np.testing.assert_array_equal(decode(heat["x"]), np.arange(10, 50))
    assert "download_trained" in [b.key for b in at.get("download_button")]


def test_pasted_text_is_capped_and_bad_text_is_a_message():
    at = open_app(tab="Train")
    at.selectbox(key="train_corpus").set_value("your text")
    rerun(at)
    at.text_area(key="train_text").set_value("a")
    rerun(at)
    assert "at least 2 characters" in at.error[0].value and at.button(key="train_start").disabled
    at.text_area(key="train_text").set_value("ab" * 15_000)
    rerun(at)
    assert any("first 20,000" in i.value for i in at.info)
    at.number_input(key="train_steps").set_value(10)
    rerun(at)
    at.button(key="train_start").click()
    rerun(at)
    assert at.session_state["trainer"].ids.size == 20_000


def test_characters_the_trained_model_does_not_know_are_left_out_with_a_notice():
    at = train_until_done(open_app(tab="Train"), "brackets", steps=20)
    at.text_area(key="w_text").set_value("(( hi ))")
    rerun(at)
    assert at.session_state["cfg"].text == "(())"
    assert any("left out" in w.value for w in at.warning)


# --- exploration views ----------------------------------------------------------------------------

def explore(view: str, **params) -> AppTest:
    at = open_app(tab="Explore", **params)
    at.selectbox(key="explore_model").set_value("page")  # the page's model (Explore opens on a shipped one)
    at.segmented_control(key="explore_view").set_value(view)
    return rerun(at)


def test_neuron_over_text_ranks_units_by_correlation_and_colours_the_text():
    at = explore("Neuron over text")
    at.selectbox(key="neuron_feature").set_value("position in word")
    rerun(at)
    ids, model = hello_model()
    h = forward(model, ids[:, None]).layers[0][0].h[:, 0]
    feature = np.array([1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5], float)  # by hand
    r = np.array([np.corrcoef(h[:, u], feature)[0, 1] for u in range(16)])
    best = int(np.argmax(np.abs(r)))
    assert at.selectbox(key="neuron_unit").value == best
    z = decode(figure(at, "neuron_text")["data"][0]["z"]).reshape(-1)
    np.testing.assert_allclose(z[:11], h[:, best], atol=1e-6)
    assert np.isnan(z[11:]).all()
    bars = figure(at, "neuron_ranking")["data"][0]
    np.testing.assert_allclose(decode(bars["y"]), r[decode(bars["customdata"])], atol=1e-6)
    at.selectbox(key="neuron_feature").set_value("a span I choose")
    rerun(at)
    at.slider(key="neuron_span").set_value((6, 11))
    rerun(at)
    span = np.r_[np.zeros(6), np.ones(5)]
    r = np.array([np.corrcoef(h[:, u], span)[0, 1] for u in range(16)])
    assert at.selectbox(key="neuron_unit").value == int(np.argmax(np.abs(r)))


def test_trajectory_is_the_pca_of_the_states_and_follows_the_time_step():
    at = explore("Trajectory")
    ids, model = hello_model()
    h = forward(model, ids[:, None]).layers[0][0].h[:, 0]
    centred = h - h.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    proj = centred @ vt[:2].T
    data = figure(at, "trajectory")["data"]
    xy = np.stack([decode(data[0]["x"]), decode(data[0]["y"])], 1)
    np.testing.assert_allclose(np.abs(xy), np.abs(proj), atol=1e-5)  # PCA axes are defined up to sign
    assert list(data[0]["text"]) == [c if c != " " else "␣" for c in HELLO]
    assert decode(data[1]["x"])[0] == pytest.approx(xy[4, 0], abs=1e-6)  # the default step, 4
    at.slider(key="w_step").set_value(7)
    rerun(at)
    assert decode(figure(at, "trajectory")["data"][1]["x"])[0] == pytest.approx(xy[7, 0], abs=1e-6)
    assert at.query_params["step"] == "7"
    at.radio(key="trajectory_dims").set_value(3)
    rerun(at)
    assert figure(at, "trajectory")["data"][0]["type"] == "scatter3d"


def test_gradient_flow_compares_rnn_lstm_gru_on_the_same_input_and_seed():
    at = explore("Vanishing gradients")
    data = figure(at, "gradient_flow")["data"]
    assert [d["name"] for d in data] == ["RNN", "LSTM", "GRU"]
    chars = sorted(set(HELLO))
    ids = np.array([chars.index(c) for c in HELLO])
    for d in data:
        model = init_model(d["name"].lower(), 8, 16, 8, init="uniform", scale=0.5, seed=0)
        g = analysis.gradient_flow(model, ids)
        z = decode(d["z"]).astype(float)
        lower = np.tril_indices(11)
        np.testing.assert_allclose(z[lower], np.log10(g[lower]), atol=1e-4)
    decay = figure(at, "gradient_decay")["data"]
    assert [d["name"] for d in decay] == ["RNN", "LSTM", "GRU"] and decode(decay[0]["y"])[0] == pytest.approx(1.0)


def test_side_by_side_runs_the_same_input_through_two_models():
    at = explore("Side by side")
    at.selectbox(key="side_cell_1").set_value("gru")
    at.number_input(key="side_seed_1").set_value(5)
    rerun(at)
    ids, _ = hello_model()
    for key, cell, seed in (("side_0", "rnn", 0), ("side_1", "gru", 5)):
        model = init_model(cell, 8, 16, 8, init="uniform", scale=0.5, seed=seed)
        np.testing.assert_allclose(decode(figure(at, key)["data"][0]["z"]),
                                   forward(model, ids[:, None]).layers[0][0].h[:, 0].T, atol=1e-6)


def test_what_changed_heatmaps_and_memory_spans_rnn_vs_lstm():
    at = explore("What changed")
    at.slider(key="changed_step").set_value(2)
    chars = sorted(set(HELLO))
    at.selectbox(key="changed_to").set_value(chars.index("w"))
    rerun(at)
    ids = np.array([chars.index(c) for c in HELLO])
    other = ids.copy()
    other[2] = chars.index("w")
    spans = figure(at, "memory_span")["data"]
    # Streamlit recolours "#00000N" as a theme placeholder: no colour scale may contain one
    assert not any(c.startswith("#00000") for _, c in figure(at, "changed_rnn")["data"][0]["colorscale"])
    for k, cell in enumerate(("rnn", "lstm")):
        model = init_model(cell, 8, 16, 8, init="uniform", scale=0.5, seed=0)
        ha = forward(model, ids[:, None]).layers[0][0].h[:, 0]
        hb = forward(model, other[:, None]).layers[0][0].h[:, 0]
        delta = np.abs(ha - hb)
        np.testing.assert_allclose(decode(figure(at, f"changed_{cell}")["data"][0]["z"]), delta.T, atol=1e-6)
        assert np.all(delta[:2] == 0)
        # span by hand: last step at or above eps, counted from the change
        above = delta[2:] >= 1e-3
        hand = [int(np.nonzero(above[:, u])[0].max()) + 1 if above[:, u].any() else 0 for u in range(16)]
        assert spans[k]["name"] == cell.upper()
        np.testing.assert_array_equal(decode(spans[k]["y"]), hand)


def test_explore_uses_the_trained_model_and_finds_a_depth_unit():
    at = train_until_done(open_app(tab="Train"), "brackets", steps=400)
    trainer = at.session_state["trainer"]
    at.query_params["tab"] = "Explore"
    rerun(at)
    at.selectbox(key="neuron_feature").set_value("bracket depth")
    rerun(at)
    text = corpora.load_corpus("brackets").text[:600]
    depth = np.cumsum([{"(": 1, ")": -1}.get(c, 0) for c in text])
    h = forward(trainer.model.astype(np.float64), hand_vocab(corpora.load_corpus("brackets").text).encode(text)[:, None])
    h = h.layers[0][0].h[:, 0]
    r = np.array([np.corrcoef(h[:, u], depth)[0, 1] for u in range(16)])
    unit = at.selectbox(key="neuron_unit").value
    assert unit == int(np.nanargmax(np.abs(r))) and abs(r[unit]) > 0.8
    z = decode(figure(at, "neuron_text")["data"][0]["z"]).reshape(-1)
    np.testing.assert_allclose(z[:600], h[:, unit], atol=1e-5)
    at.segmented_control(key="explore_view").set_value("What changed")
    rerun(at)
    assert {"changed_trained", "changed_rnn", "changed_lstm", "memory_span"} <= set(charts(at))
