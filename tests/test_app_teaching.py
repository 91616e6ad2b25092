"""The teaching sentences on the rendered page (AppTest), next to the charts they describe.

For each item of the review: a configuration where the old sentence was wrong shows the new
wording (and not the old), one where it was right keeps it. The vanishing-gradient sentence is
checked against the decay curves the page draws, for several configurations: the numbers, their
order and "grows"/"shrinks" must be what the chart on screen shows. The references are the
decoded charts and models rebuilt here from the engine (not through the app's builders).
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from conftest import open_app, rerun
from plotly_data import decode, figure, player
from rnnviz.figures.style import DIVERGING, SEQUENTIAL
from rnnviz import corpora, pretrained
from rnnviz.app import codec, presets
from rnnviz.network import forward, init_model

pytestmark = pytest.mark.usefixtures("fresh_cache")

HELLO = "hello world"
OLD_GRADIENT_CLAIM = "In a vanilla RNN the colour fades quickly"


def markdown(at) -> list[str]:
    return [m.value for m in at.markdown]


def story(at) -> str:
    return at.markdown[0].value


def explore(view: str, **params):
    at = open_app(tab="Explore", **params)
    at.selectbox(key="explore_model").set_value("page")  # the page's model (Explore opens on a shipped one)
    at.segmented_control(key="explore_view").set_value(view)
    return rerun(at)


# --- item 1 and 2: vanishing gradients, and what L_t is ------------------------------------------------

def sentence_of(at) -> str:
    return next(m for m in markdown(at) if m.startswith("At distance d = "))


def check_sentence_against_the_curves(at, spoken) -> tuple[int, dict[str, float]]:
    """The sentence's claims, read against the decay chart on screen. ``spoken(name)``: how the
    sentence names the panel whose legend entry is ``name``."""
    text = sentence_of(at)
    d = int(re.match(r"At distance d = (\d+)", text).group(1))
    curves = {c["name"]: decode(c["y"]).astype(float) for c in figure(at, "gradient_decay")["data"]}
    at_d = {name: y[d] for name, y in curves.items() if np.isfinite(y[d])}
    first = text.split(". ")[0]
    positions = {}
    for name, value in at_d.items():
        claim = f"{value:.2g}× in {spoken(name)}"
        assert claim in first, (claim, first)
        positions[name] = first.index(claim)
    assert sorted(at_d, key=positions.get) == sorted(at_d, key=lambda n: -at_d[n])  # largest first
    grow = [n for n, v in at_d.items() if v > 1]
    shrink = [n for n, v in at_d.items() if v <= 1]
    verdict = text.split(". ")[1]
    assert ("grows" in verdict) == bool(grow) and ("shrinks" in verdict) == bool(shrink)
    if grow and shrink:
        said_grow, said_shrink = verdict.split(" and shrinks")
        assert all(spoken(n) in said_grow for n in grow) and all(spoken(n) in said_shrink for n in shrink)
    assert all(OLD_GRADIENT_CLAIM not in m for m in markdown(at))
    return d, at_d


def fresh(name: str) -> str:
    return {"LSTM, forget bias 1": "the fresh LSTM with forget bias 1"}.get(name, f"the fresh {name}")


def test_default_page_gradient_sentence_matches_the_curves_and_says_the_gru_keeps_most():
    """The issue's numbers at d = 7 on "hello world": RNN 0.080, LSTM 0.019, GRU 0.18 — the fresh
    RNN is not the one that fades fastest; the fresh LSTM is."""
    at = explore("Vanishing gradients")
    d, at_d = check_sentence_against_the_curves(at, fresh)
    assert d == 7
    assert at_d == pytest.approx({"RNN": 0.0801, "LSTM": 0.0194, "GRU": 0.184}, rel=0.01)
    text = sentence_of(at)
    assert "most slowly in the fresh GRU, fastest in the fresh LSTM" in text
    assert "A fresh LSTM's forget gates average about σ(0) = 0.5" in text
    intro = next(m for m in markdown(at) if m.startswith("How much does the loss"))
    assert "**own** most likely output" in intro and "no labels" in intro  # item 2
    # the spectral radius beside the plot: the models rebuilt here, eigenvalues by NumPy
    table = next(m for m in markdown(at) if m.startswith("| panel |"))
    for cell in ("rnn", "lstm", "gru"):
        w = init_model(cell, 8, 16, 8, init="uniform", scale=0.5, seed=0).layers[0][0].w_hh
        radius = [np.abs(np.linalg.eigvals(w[k * 16:(k + 1) * 16])).max() for k in range(w.shape[0] // 16)]
        row = next(r for r in table.splitlines() if r.startswith(f"| {cell.upper()} |"))
        for value in radius:
            assert f"{value:.2f}" in row


def test_hidden_64_the_fresh_rnn_explodes_and_the_sentence_says_so():
    at = explore("Vanishing gradients", hidden=64)
    d, at_d = check_sentence_against_the_curves(at, fresh)
    assert at_d["RNN"] > 1 > max(at_d["LSTM"], at_d["GRU"])
    assert "It grows (exploding) in the fresh RNN" in sentence_of(at)
    # a longer input: the "25× at d = 20"
    at = explore("Vanishing gradients", hidden=64, text="the quick brown fox jumps over the lazy dog, twice over")
    d, at_d = check_sentence_against_the_curves(at, fresh)
    assert d == 20 and at_d["RNN"] > 10


def test_distance_slider_moves_the_sentence():
    at = explore("Vanishing gradients")
    at.slider(key="flow_distance_11").set_value(2)
    rerun(at)
    d, _ = check_sentence_against_the_curves(at, fresh)
    assert d == 2
    shapes = figure(at, "gradient_decay")["layout"]["shapes"]
    assert [s["x0"] for s in shapes] == [2]  # the dotted line marks the distance the sentence uses


def test_forget_bias_panel_keeps_more_on_its_cell_path():
    at = explore("Vanishing gradients")
    at.toggle(key="flow_forget_bias").set_value(True)
    rerun(at)
    names = [d["name"] for d in figure(at, "gradient_flow")["data"]]
    assert names == ["RNN", "LSTM", "LSTM, forget bias 1", "GRU"]
    check_sentence_against_the_curves(at, fresh)
    # the forget gates of the biased LSTM, by hand: sigma of the pre-activation with b_if = 1, b_hf = 0
    model = init_model("lstm", 8, 16, 8, init="uniform", scale=0.5, seed=0)
    p = model.layers[0][0]
    p.b_ih[16:32], p.b_hh[16:32] = 1.0, 0.0
    chars = sorted(set(HELLO))
    f = forward(model, np.array([chars.index(c) for c in HELLO])[:, None]).layers[0][0].gate("f")[:, 0]
    text = sentence_of(at)
    assert f"in the fresh LSTM with forget bias 1, mean f = {f.mean():.2f}" in text
    table = next(m for m in markdown(at) if m.startswith("| panel |"))
    assert f"| f {f.mean():.2f};" in next(r for r in table.splitlines() if r.startswith("| LSTM, forget bias 1 |"))


@pytest.mark.parametrize("name", pretrained.names())
def test_shipped_models_before_and_after_training(name):
    at = explore("Vanishing gradients")
    at.segmented_control(key="flow_mode").set_value("Before and after training")
    rerun(at)
    at.selectbox(key="flow_trained").set_value(name)
    rerun(at)
    d, at_d = check_sentence_against_the_curves(at, lambda n: n)
    assert d == 20
    # training made the gradient reach further back, in all three shipped models
    assert at_d[f"{name} after training"] > 100 * at_d[f"{name} before training"]
    model, vocab, card = pretrained.load(name)
    text = corpora.load_corpus(card.corpus).text[:80]
    from rnnviz import analysis  # the after-training curve is the shipped model's, on its corpus

    _, curve = analysis.decay_curve(analysis.gradient_flow(model, vocab.encode(text)))
    after = decode(next(c for c in figure(at, "gradient_decay")["data"] if c["name"].endswith("after training"))["y"])
    np.testing.assert_allclose(after, curve, rtol=1e-5)


def test_without_an_output_layer_the_page_says_L_t_is_the_sum_of_h():
    at = explore("Vanishing gradients", inputs="random_ids", output_size=0, length=12)
    intro = next(m for m in markdown(at) if m.startswith("How much does the loss"))
    assert "L_t = Σ_j h_(t,j)" in intro and "cross-entropy" not in intro
    check_sentence_against_the_curves(at, fresh)


def test_relu_rnn_gradient_sentence_matches_its_curves():
    at = explore("Vanishing gradients", nonlinearity="relu", scale=0.3)
    check_sentence_against_the_curves(at, fresh)
    assert "RNN (ReLU)" in [d["name"] for d in figure(at, "gradient_flow")["data"]]


# --- item 3: "next token" only for a next-token model ------------------------------------------------------

def test_class_preset_has_no_next_token():
    at = open_app(**codec.to_query(presets.preset_config("class")))
    meta, arrays = player(at)
    assert meta["texts"]["out_title"] == "output class"
    assert not meta["next_token"] and "true_next" not in arrays  # nothing outlined, no "true next" on the strip
    assert "softmax output over 5 classes" in story(at) and "guess for the next token" not in story(at)


def test_text_page_keeps_the_next_token_guess_and_the_true_next():
    at = open_app()
    meta, arrays = player(at)
    assert meta["texts"]["out_title"] == "next token" and meta["next_token"]
    assert meta["out_labels"][int(arrays["true_next"][4])] == "␣"  # after "hell|o"
    assert "softmax guess for the next token" in story(at)


def test_bidirectional_output_has_seen_the_future():
    at = open_app(bidirectional=1)
    meta, arrays = player(at)
    assert meta["texts"]["out_title"] == "output class" and not meta["next_token"] and "true_next" not in arrays
    assert "has seen the future" in story(at) and "guess for the next token" not in story(at)


def test_functional_notebook_has_no_true_next():
    at = open_app(**codec.to_query(presets.preset_config("functional")))
    meta, arrays = player(at)
    assert meta["texts"]["out_title"] == "output class" and "true_next" not in arrays
    assert "softmax output over 2 classes" in story(at)


# --- item 4: the reverse direction ------------------------------------------------------------------------

def test_reverse_direction_change_is_from_the_next_state():
    at = open_app(cell="lstm", bidirectional=1, direction="reverse", step=3, unit=2)
    meta, arrays = player(at)
    assert meta["texts"]["dh_bars"].startswith("change from h_{t+1}") and "t−1" not in meta["texts"]["dh_bars"]
    chars = sorted(set(HELLO))
    model = init_model("lstm", 8, 16, 8, bidirectional=True, init="uniform", scale=0.5, seed=0)
    h = forward(model, np.array([chars.index(c) for c in HELLO])[:, None]).layers[0][1].h[:, 0]
    np.testing.assert_allclose(arrays["dh"].reshape(11, 16)[3], h[3] - h[4], atol=1e-6)
    rows = " ".join(row["sym"] + row["num"] for row in meta["eq"]["rows"])  # MathML: t+1 as <mi>t</mi><mo>+</mo><mn>1</mn>
    assert "<mi>t</mi><mo>+</mo><mn>1</mn>" in rows and "<mi>t</mi><mo>−</mo><mn>1</mn>" not in rows
    forward_page = open_app(cell="lstm", bidirectional=1, direction="forward", step=3)
    meta = player(forward_page)[0]
    assert meta["texts"]["dh_bars"] == "change from h_{t−1}"  # kept
    assert "<mi>t</mi><mo>−</mo><mn>1</mn>" in " ".join(row["sym"] for row in meta["eq"]["rows"])


# --- item 5: colours ------------------------------------------------------------------------------------------

def test_relu_page_does_not_say_blue_negative():
    at = open_app(nonlinearity="relu")
    assert player(at)[0]["scale"]["stops"] == SEQUENTIAL
    assert "blue negative" not in story(at) and "ReLU states are never negative" in story(at)
    neuron = explore("Neuron over text", nonlinearity="relu")
    heat = figure(neuron, "neuron_text")["data"][0]
    assert heat["colorscale"] == SEQUENTIAL and heat["zmin"] == 0  # "dark purple at 0"
    assert all("blue negative" not in m for m in markdown(neuron))
    tanh = explore("Neuron over text")
    assert figure(tanh, "neuron_text")["data"][0]["colorscale"] == DIVERGING
    assert any("blue negative, red positive" in m for m in markdown(tanh))  # kept where it is true
    assert "blue negative, red positive" in story(tanh)


# --- item 6: the class preset draws MinimalRNN's weights --------------------------------------------------------

def test_class_preset_shows_what_MinimalRNN_computes():
    at = open_app()
    at.selectbox(key="preset").set_value("class")
    rerun(at)
    rng = np.random.RandomState(0)  # = np.random.seed(0), then the class's randn * 0.01 lines
    Wxh, Whh = rng.randn(20, 10) * 0.01, rng.randn(20, 20) * 0.01
    h, hs = np.zeros(20), []
    for i in (1, 2, 3, 4, 5):
        h = np.tanh(Wxh[:, i] + Whh @ h)
        hs.append(h)
    np.testing.assert_allclose(player(at)[1]["h"].reshape(5, 20), np.array(hs), atol=1e-7)
    assert "exactly those of `MinimalRNN(10, 20, 5, seed=0)`" in story(at)
    assert "reproduces one formulation's set-up exactly" not in (at.selectbox(key="preset").help or "")


# --- item 7: learning rates ----------------------------------------------------------------------------------

def test_learning_rate_help_is_rnnviz_not_pytorch():
    at = open_app(tab="Train")
    help_text = at.number_input(key="train_lr").help
    assert "usual default" not in help_text and "rnnviz's default" in help_text
    assert "torch.optim defaults to SGD 0.001, Adagrad 0.01, Adam 0.001" in help_text


# --- item 8 ----------------------------------------------------------------------------------------------

def weight_titles(at) -> list[str]:
    out = []
    for k in range(8):
        try:
            out.append(figure(at, f"weights_{k}")["layout"]["title"]["text"].removeprefix("<b>").removesuffix("</b>"))
        except KeyError:
            break
    return out


def test_weights_tab_shapes_and_caption_for_a_bidirectional_gru():
    at = open_app(cell="gru", bidirectional=1, hidden=4, tab="Weights")
    titles = weight_titles(at)
    assert titles[0] == "weight_ih_l0: (3·H) × I = 12 × 8"
    assert titles[2] == "bias_ih_l0: (3·H,) = (12,), 1-D (drawn as a column)"
    assert titles[4] == "out.weight: O × (2·H) = 8 × 8; columns: forward, then reverse units"
    assert all("gates ×" not in t and "hidden × 1" not in t for t in titles)
    caption = " ".join(c.value for c in at.caption)
    assert "nn.GRU state_dict names" in caption and "nn.RNN" not in caption
    rnn = weight_titles(open_app(tab="Weights"))
    assert rnn[0] == "weight_ih_l0: H × I = 16 × 8"  # the vanilla RNN's shapes, kept


def test_bidirectional_tab_for_a_lower_layer_feeds_the_layer_above():
    at = open_app(cell="gru", bidirectional=1, layers=2, layer=0, hidden=4, tab="Bidirectional")
    text = next(m for m in markdown(at) if m.startswith("Layer 0 runs twice"))
    assert "what layer 1 reads at step t" in text and "`output[t] = [h_fwd[t] ; h_rev[t]]`" not in text
    assert figure(at, "bidir_concat")["layout"]["title"]["text"].startswith("<b>o0[t]")
    top = open_app(cell="gru", bidirectional=1, layers=2, layer=1, hidden=4, tab="Bidirectional")
    text = next(m for m in markdown(top) if m.startswith("Layer 1 runs twice"))
    assert "(PyTorch's `output`)" in text and "has seen the whole input sequence" in text


def test_tensorflow_equation_names_row_b_column_j():
    at = open_app(**codec.to_query(presets.preset_config("tensorflow")), sample=2, unit=1)
    filled = player(at)[0]["eq"]["rows"][0]["num"]  # MathML; the unit index is filled in by the browser
    assert '<mrow><mn>2</mn><mo>,</mo><mn data-idx="unit">0</mn></mrow>' in filled


def test_sampling_caption_counts_the_draws_outside_the_top_5():
    from test_app_train import train_until_done
    from rnnviz import train

    at = train_until_done(open_app(tab="Train"), "tyger", steps=20)
    at.slider(key="sample_temperature").set_value(3.0)
    rerun(at)
    caption = next(c.value for c in at.caption if c.value.startswith("Under each sampled character"))
    assert "at a high temperature, a surprise" not in caption
    trained = at.session_state["trained_here"]
    g = train.sample(trained.model, trained.vocab, length=200, temperature=3.0, top_k=5, seed=0)
    outside = sum(int(i) not in {int(k) for k in top} for i, top in zip(g.ids, g.top_ids))
    assert outside > 0 and f"here {outside} of the 200 drawn characters were outside it" in caption


def test_a_model_trained_here_joins_the_fresh_panels():
    from test_app_train import train_until_done

    at = train_until_done(open_app(tab="Train"), "brackets", steps=30)
    at.query_params["tab"] = "Explore"
    rerun(at)
    at.segmented_control(key="explore_view").set_value("Vanishing gradients")
    rerun(at)
    names = [d["name"] for d in figure(at, "gradient_flow")["data"]]
    assert names == ["RNN", "LSTM", "GRU", "model trained here"]
    check_sentence_against_the_curves(at, lambda n: "the model trained here" if n == "model trained here" else fresh(n))
    intro = next(m for m in markdown(at) if m.startswith("How much does the loss"))
    assert "and for the page's model trained here on the same input" in intro


@pytest.mark.parametrize("params", [
    {"inputs": "notebook"},
    {"inputs": "tf_example", "output_size": 0},
    {"inputs": "random_dense", "length": 30},
    {"init": "class", "scale": 0.01},
    {"init": "torch_default", "cell": "gru"},
    {"nonlinearity": "relu", "scale": 5.0},  # the ReLU RNN is certain of its guesses: L_t = 0
    {"layers": 3, "bidirectional": 1, "cell": "lstm"},
    {"inputs": "random_ids", "length": 120, "hidden": 100},
])
def test_gradient_sentence_matches_the_curves_in_every_input_mode_and_scheme(params):
    at = explore("Vanishing gradients", **params)
    check_sentence_against_the_curves(at, fresh)


def test_a_saturated_relu_rnn_is_said_to_have_no_value_and_why():
    at = explore("Vanishing gradients", nonlinearity="relu", scale=5.0)
    rnn = decode(next(c for c in figure(at, "gradient_decay")["data"] if c["name"] == "RNN (ReLU)")["y"])
    assert np.isnan(rnn[7])  # nothing drawn at d = 7 ...
    # ... because the model's own guess is certain: L_t = 0 (the heatmap's diagonal, by hand from its log10)
    z = decode(next(d for d in figure(at, "gradient_flow")["data"] if d["name"] == "RNN (ReLU)")["z"]).astype(float)
    model = init_model("rnn", 8, 16, 8, init="uniform", scale=5.0, seed=0, nonlinearity="relu")
    chars = sorted(set(HELLO))
    probs = forward(model, np.array([chars.index(c) for c in HELLO])[:, None]).probs[:, 0]
    assert (probs.max(-1)[1:] == 1.0).all()  # saturated softmax from step 1 on
    drawn = z[np.isfinite(z)]
    assert np.diag(z)[1:].max() == drawn.min() > -100  # log10 0 drawn at the bottom of the finite range
    assert figure(at, "gradient_flow")["layout"]["coloraxis"]["cmin"] == pytest.approx(float(drawn.min()), rel=1e-6)
    text = sentence_of(at)
    assert "no value for the fresh RNN (ReLU) at this distance (at some steps its softmax is saturated" in text
    assert "overflowed" not in text
