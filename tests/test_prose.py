"""The teaching sentences (app/prose.py, the equations, the notation tables), configuration by
configuration: where an old sentence was wrong the new wording appears and the old one is gone;
where it was right it is kept. Every claim a sentence makes about numbers is checked against
numbers computed here independently (hand-made curves, NumPy loops, finite differences, torch).

The AppTest side (the same sentences on the rendered page, beside the charts) is in
tests/test_app_teaching.py.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rnnviz import analysis
from rnnviz.app import presets, prose
from rnnviz.app.codec import from_query, from_values
from rnnviz.app.compute import build_model, class_model, fresh_model, with_forget_bias
from rnnviz import cells
from rnnviz.app.notation import symbols
from rnnviz.app.notation import weight_matrices, weights_note
from rnnviz.network import forward, init_model

ROOT = Path(__file__).resolve().parents[1]


def cfg_of(**params):
    cfg, _ = from_query({k: str(v) for k, v in params.items()})
    return cfg


# --- item 1: vanishing gradients ------------------------------------------------------------------

def panel(name, curve, *, cell="rnn", norm=2.0, radius=(1.5,), fresh=True, gate=None, layers=1, nonlinearity="tanh"):
    return prose.FlowPanel(name, f"the {name}", cell, np.asarray(curve, float), radius, norm, fresh, gate, layers,
                           nonlinearity)


def numbers_in(sentence: str) -> dict[str, float]:
    """'0.18× in the GRU' -> {'the GRU': 0.18}: what the first sentence says about each panel."""
    first = sentence.split(". ")[0]
    return {m.group(2): float(m.group(1)) for m in re.finditer(r"([0-9.e+-]+)× in (the [A-Za-z]+)", first)}


def test_gradient_sentence_ranks_the_panels_by_their_curves():
    # hand-made curves: the GRU keeps most at d = 2, the LSTM least (the default-page ordering)
    panels = [panel("RNN", [1, 0.5, 0.08]), panel("LSTM", [1, 0.3, 0.019], cell="lstm"),
              panel("GRU", [1, 0.6, 0.18], cell="gru")]
    s = prose.gradient_sentence(panels, 2)
    assert numbers_in(s) == {"the GRU": 0.18, "the RNN": 0.08, "the LSTM": 0.019}
    assert list(numbers_in(s)) == ["the GRU", "the RNN", "the LSTM"]  # largest first
    assert "shrinks in all three (vanishing): most slowly in the GRU, fastest in the LSTM" in s
    assert "grow" not in s and "fades quickly" not in s


def test_gradient_sentence_says_which_panels_explode():
    panels = [panel("RNN", [1, 1.4, 2.4]), panel("LSTM", [1, 0.5, 0.31], cell="lstm"),
              panel("GRU", [1, 0.8, 0.65], cell="gru")]
    s = prose.gradient_sentence(panels, 2)
    assert "grows (exploding) in the RNN and shrinks (vanishing) in the GRU and the LSTM" in s
    # only the RNN's ratio is above 1, so only the RNN gets the "radius above 1" explanation
    assert "In the RNN every step back multiplies the gradient by W_hhᵀ·diag(tanh′); with ρ(W_hh) = 1.50 > 1" in s
    everything = prose.gradient_sentence([panel("RNN", [1, 3, 9]), panel("GRU", [1, 2, 4], cell="gru")], 2)
    assert "grows in both (exploding), most in the RNN" in everything and "shrink" not in everything


def test_gradient_sentence_compares_two_panels_and_reports_missing_values():
    two = prose.gradient_sentence([panel("before", [1, 0.1, 1e-4]), panel("after", [1, 0.9, 0.4])], 2)
    assert "shrinks in both (vanishing), more slowly in the after than in the before" in two
    gap = prose.flow_gap(np.array([[1.0, np.nan], [np.inf, 2.0]]))
    assert gap == "its gradients overflowed"
    overflowed = prose.gradient_sentence([replace(panel("RNN", [1, np.inf, np.nan]), gap=gap),
                                          panel("GRU", [1, 0.5, 0.2], cell="gru")], 2)
    assert "no value for the RNN at this distance (its gradients overflowed)" in overflowed
    assert "0.2× in the GRU" in overflowed
    assert "softmax is saturated" in prose.flow_gap(np.array([[0.06, np.nan], [0.0, 0.0]]))
    assert prose.flow_gap(np.array([[1.0, np.nan], [0.5, 2.0]])) == ""
    assert "No model on screen has a value at distance d = 5. The RNN: the input is shorter than that." == \
        prose.gradient_sentence([panel("RNN", [1, 0.5])], 5)


def test_the_norm_bound_is_said_only_when_it_holds_and_then_it_holds():
    """'every step back multiplies the gradient's norm by at most ‖W_hh‖₂': said for a one-layer
    vanilla RNN with ‖W_hh‖₂ < 1, and checked on the measured gradients of such RNNs."""
    ids = np.random.default_rng(0).integers(0, 6, 30)
    for nonlinearity in ("tanh", "relu"):
        for seed in range(3):
            model = init_model("rnn", 6, 12, 6, init="uniform", scale=0.12, seed=seed, nonlinearity=nonlinearity)
            w = model.layers[0][0].w_hh
            norm = float(np.linalg.svd(w, compute_uv=False)[0])  # independent of analysis.recurrent_norm
            assert norm < 1 and analysis.recurrent_norm(w) == pytest.approx(norm)
            g = analysis.gradient_flow(model, ids)
            lower = np.tril_indices(30, -1)
            back = g[lower] / g[lower[0], lower[1] + 1]  # ||dL_t/dh_(k-1)|| / ||dL_t/dh_k||
            assert np.all(back[np.isfinite(back)] <= norm + 1e-12)
            curve = analysis.decay_curve(g)[1]
            s = prose.gradient_sentence([panel("RNN", curve, norm=norm, nonlinearity=nonlinearity)], 5)
            assert f"‖W_hh‖₂ = {norm:.2g} < 1 and |{nonlinearity}′| ≤ 1" in s
    wide = prose.gradient_sentence([panel("RNN", [1, 0.5, 0.2], norm=1.3)], 2)
    assert "‖W_hh‖₂" not in wide  # above 1 there is no such bound
    stacked = prose.gradient_sentence([panel("RNN", [1, 0.5, 0.2], norm=0.5, layers=2)], 2)
    assert "‖W_hh‖₂" not in stacked  # with a layer above, the gradient also flows through it


def test_the_fresh_lstm_note_follows_the_measured_forget_gates():
    half = analysis.GatePath("f", 0.52, 0.01, 7)
    s = prose.gradient_sentence([panel("LSTM", [1, 0.1] + [0.02] * 6, cell="lstm", gate=half)], 7)
    assert "forget gates average about σ(0) = 0.5 (mean f = 0.52" in s and "Π f ≈ 0.01 over 7 steps" in s
    high = analysis.GatePath("f", 0.73, 0.11, 7)
    both = prose.gradient_sentence([panel("LSTM", [1, 0.1] + [0.02] * 6, cell="lstm", gate=half),
                                    panel("LSTM1", [1, 0.2] + [0.09] * 6, cell="lstm", gate=high)], 7)
    assert "in the LSTM1, mean f = 0.73 and the cell path keeps 0.11" in both
    trained = prose.gradient_sentence([panel("LSTM", [1, 0.5] + [0.3] * 6, cell="lstm", gate=half, fresh=False)], 7)
    assert "fresh LSTM" not in trained  # a trained model's gates are not "fresh"
    assert "σ(0)" not in prose.gradient_sentence([panel("LSTM", [1, 0.5, 0.3], cell="lstm", gate=high)], 2)


def test_gate_path_is_the_product_of_the_carry_gate_over_d_steps():
    model = init_model("lstm", 5, 4, 5, seed=2, scale=0.9)
    ids = np.random.default_rng(1).integers(0, 5, 12)
    f = forward(model, ids[:, None]).layers[0][0].gate("f")[:, 0]
    d = 3
    products = [np.prod(f[t - d + 1:t + 1], axis=0) for t in range(d, 12)]  # t-d+1 .. t, for every t >= d
    got = analysis.gate_path(model, ids, d)
    assert got.gate == "f" and got.mean == pytest.approx(f.mean())
    assert got.product == pytest.approx(np.mean(products))
    gru = init_model("gru", 5, 4, 5, seed=2)
    assert analysis.gate_path(gru, ids, d).gate == "z"
    assert analysis.gate_path(init_model("rnn", 5, 4, 5), ids, d) is None


def test_recurrent_radius_and_norm_of_hand_matrices():
    rotation = np.array([[0.0, -2.0], [2.0, 0.0]])  # eigenvalues ±2i: radius 2, norm 2
    shear = np.array([[0.5, 3.0], [0.0, 0.5]])  # eigenvalues 0.5: radius 0.5, norm > 3
    stacked = np.vstack([rotation, shear])  # two gate blocks of a 2-unit cell
    np.testing.assert_allclose(analysis.recurrent_radius(stacked), [2.0, 0.5])
    # the stacked matrix's largest singular value: sqrt of the largest eigenvalue of W^T W, by hand
    assert analysis.recurrent_norm(stacked) == pytest.approx(np.sqrt(np.linalg.eigvalsh(stacked.T @ stacked).max()))
    assert "= 0.996 < 1" in prose.gradient_sentence([panel("RNN", [1, 0.5, 0.2], norm=0.9964)], 2)


def test_gradient_table_lists_each_panel_with_its_numbers():
    gate = analysis.GatePath("f", 0.48, 0.012, 2)
    table = prose.gradient_table([panel("RNN", [1, 0.5, 0.08]),
                                  panel("LSTM", [1, 0.3, 0.019], cell="lstm", radius=(1.17, 1.13, 1.25, 1.22), gate=gate)], 2)
    rows = table.splitlines()
    assert rows[0].startswith("| panel | ρ(W_hh) per block") and "at d = 2 |" in rows[0]
    assert rows[2] == "| RNN | 1.50 | 2.00 | — | 0.08 |"
    assert rows[3] == "| LSTM | i 1.17 · f 1.13 · g 1.25 · o 1.22 | 2.00 | f 0.48; 0.012 | 0.019 |"


def test_forget_bias_one_sets_the_forget_gate_bias_only():
    model = init_model("lstm", 3, 4, 3, seed=0, scale=0.5)
    biased = with_forget_bias(model)
    p, q = model.layers[0][0], biased.layers[0][0]
    np.testing.assert_array_equal(q.b_ih[4:8], 1.0)
    np.testing.assert_array_equal(q.b_hh[4:8], 0.0)
    for k in (0, 2, 3):  # i, g, o blocks untouched, weights untouched
        np.testing.assert_array_equal(q.b_ih[4 * k:4 * k + 4], p.b_ih[4 * k:4 * k + 4])
    np.testing.assert_array_equal(q.w_hh, p.w_hh)
    np.testing.assert_array_equal(model.layers[0][0].b_ih, p.b_ih)  # the original is not changed
    with pytest.raises(ValueError, match="LSTM"):
        with_forget_bias(init_model("gru", 3, 4, 3))


def test_default_distance():
    assert prose.default_distance(11) == 7  # "hello world": the d = 7
    assert prose.default_distance(80) == 20 and prose.default_distance(2) == 1


# --- item 2: what L_t is --------------------------------------------------------------------------

def test_loss_sentence_says_what_L_t_is():
    with_output = prose.loss_sentence(True)
    assert "cross-entropy" in with_output and "**own** most likely output" in with_output and "no labels" in with_output
    assert "Σ_j h_(t,j)" in prose.loss_sentence(False) and "no output layer" in prose.loss_sentence(False)


def test_without_an_output_layer_L_t_is_the_sum_of_h_t():
    """What the sentence says, checked by finite differences: ||d(sum_j h_t,j)/dh_k||, restarting
    the model at step k+1 from a nudged h_k."""
    model = init_model("gru", 4, 3, None, seed=1, scale=0.9)
    ids = np.random.default_rng(2).integers(0, 4, 6)
    g = analysis.gradient_flow(model, ids)
    h = forward(model, ids[:, None]).layers[0][0].h[:, 0]
    t, k, eps = 5, 2, 1e-6
    grad = np.empty(3)
    for j in range(3):
        sums = []
        for sign in (1, -1):
            h0 = h[k].copy()
            h0[j] += sign * eps
            sums.append(forward(model, ids[k + 1:t + 1, None], h0=h0[None, None]).layers[0][0].h[-1, 0].sum())
        grad[j] = (sums[0] - sums[1]) / (2 * eps)
    assert g[t, k] == pytest.approx(np.linalg.norm(grad), rel=1e-6)


# --- item 3: what the softmax means -----------------------------------------------------------------

@pytest.mark.parametrize("params, next_token", [
    ({}, True),  # typed text: the output vocabulary is the text's characters
    ({"inputs": "ids", "ids": "1,2,3", "input_size": 6, "output_size": 6}, True),
    ({"inputs": "random_ids", "input_size": 5, "output_size": 5}, True),
    ({"inputs": "ids", "ids": "1,2,3", "input_size": 10, "output_size": 5}, False),  # the class preset's sizes
    ({"inputs": "random_dense"}, False),
    ({"inputs": "notebook"}, False),
    ({"bidirectional": 1}, False),
    ({"inputs": "random_ids", "input_size": 5, "output_size": 5, "bidirectional": 1}, False),
])
def test_output_meaning(params, next_token):
    m = prose.output_meaning(cfg_of(**params))
    assert m.has_output and m.next_token is next_token and m.show_true_next is next_token
    assert m.axis_title == ("next token" if next_token else "output class")
    assert ("guess for the next token" in m.sentence) is next_token
    if params.get("bidirectional"):
        assert "has seen the future" in m.sentence and "reverse half has already read every input after step t" in m.sentence


def test_output_meaning_without_an_output_layer():
    for cfg in (cfg_of(inputs="random_ids", output_size=0), presets.preset_config("tensorflow")):
        m = prose.output_meaning(cfg)
        assert not m.has_output and not m.show_true_next and "no output layer" in m.sentence


def test_story_says_softmax_output_for_the_class_preset_and_next_token_for_text():
    cls = prose.story(presets.preset_config("class"))
    assert "next token" not in cls.replace("not a next token", "")
    assert "softmax output over 5 classes" in cls and "5 outputs for 10 input tokens" in cls
    notebook = prose.story(presets.preset_config("functional"))
    assert "softmax output over 2 classes" in notebook and "guess for the next token" not in notebook
    assert "softmax guess for the next token" in prose.story(cfg_of())  # kept where it is true


# --- item 4: the reverse direction --------------------------------------------------------------------

def test_change_label_names_the_state_the_step_started_from():
    assert prose.change_label(cfg_of(), "h") == "change from h_{t−1}"
    rev = prose.change_label(cfg_of(bidirectional=1, direction="reverse"), "h")
    assert rev.startswith("change from h_{t+1}") and "t−1" not in rev
    assert prose.change_label(cfg_of(bidirectional=1, direction="forward"), "h") == "change from h_{t−1}"


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_reverse_equations_read_the_next_state(cell):
    model = init_model(cell, 3, 4, 2, bidirectional=True, seed=5, scale=0.8)
    x = np.random.default_rng(1).standard_normal((5, 1, 3))
    trace = forward(model, x)
    t, j = 1, 2
    kind = cells.get(cell)
    rev = kind.equation(symbols("torch", cell), reverse=True)
    fwd = kind.equation(symbols("torch", cell), reverse=False)
    rev_text = " ".join(g + f for _, g, f in rev.rows)
    fwd_text = " ".join(g + f for _, g, f in fwd.rows)
    assert "t-1" not in rev_text and "h_{t+1}" in rev_text
    assert "h_{t-1}" in fwd_text and "t+1" not in fwd_text  # forward: unchanged
    # the number labelled with the next state is the state after reading x[t+1..T-1], by hand
    p = model.layers[0][1]
    h, c = np.zeros(4), np.zeros(4)
    for s in range(4, t, -1):  # reverse: steps 4, 3, 2 lead to the state step 1 starts from
        a = p.w_ih @ x[s, 0] + p.b_ih
        b = p.w_hh @ h + p.b_hh
        if cell == "lstm":
            i, f, g, o = np.split(a + b, 4)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
        else:
            r, z = sigmoid(a[:4] + b[:4]), sigmoid(a[4:8] + b[4:8])
            n = np.tanh(a[8:] + r * b[8:])
            h = (1 - z) * n + z * h
    labelled, slot = ("c_{t+1,\\J}", "c_prev") if cell == "lstm" else ("h_{t+1,\\J}", "h_prev")
    assert f"\\under{{\\slot{{{slot}}}}}{{{labelled}}}" in rev_text  # that slot is what is labelled so
    values = kind.equation_values(p, trace.layers[0][1], 0, symbols("torch", cell))
    assert values[t, j, list(rev.slots).index(slot)] == pytest.approx((c if cell == "lstm" else h)[j], abs=1e-12)


def test_gru_gate_meanings_hold_for_both_directions():
    from rnnviz import cells

    meanings = " ".join(g.meaning for g in cells.get("gru").gates)
    assert "h_{t-1}" not in meanings and "previous state" in meanings


# --- item 5: colours --------------------------------------------------------------------------------

def test_colour_key_follows_the_colour_scale():
    from rnnviz.figures.style import DIVERGING, colorscale

    for params in ({}, {"cell": "lstm"}, {"cell": "gru"}, {"nonlinearity": "relu"}):
        cfg = cfg_of(**params)
        relu = cfg.nonlinearity == "relu"
        assert (colorscale("relu" if relu else "tanh") == DIVERGING) is (not relu)
        for sentence in (prose.story(cfg), prose.neuron_intro(cfg)):
            assert ("blue negative, red positive" in sentence) is (not relu)
            assert ("ReLU states are never negative" in sentence) is relu


# --- item 6: the class preset's draws ---------------------------------------------------------------

def test_class_preset_draws_what_MinimalRNN_draws():
    """The textbook lines, run here on NumPy's global generator (state restored afterwards)."""
    saved = np.random.get_state()
    try:
        np.random.seed(0)
        Wxh = np.random.randn(20, 10) * 0.01
        Whh = np.random.randn(20, 20) * 0.01
        Why = np.random.randn(5, 20) * 0.01
    finally:
        np.random.set_state(saved)
    cfg = presets.preset_config("class")
    model = build_model(cfg)
    p = model.layers[0][0]
    np.testing.assert_array_equal(p.w_ih, Wxh)
    np.testing.assert_array_equal(p.w_hh, Whh)
    np.testing.assert_array_equal(model.w_out, Why)
    assert not p.b_ih.any() and not p.b_hh.any() and not model.b_out.any()
    from rnnviz.compat.minimal import MinimalRNN

    np.testing.assert_array_equal(MinimalRNN(10, 20, 5, seed=0).Whh, Whh)
    sentence = prose.weights_sentence(cfg, trained=None, uploaded=False)
    assert "exactly those of `MinimalRNN(10, 20, 5, seed=0)`" in sentence


def test_class_draws_say_what_is_not_reproduced():
    cfg = presets.preset_config("class")
    for change in ({"cell": "lstm"}, {"layers": 2}, {"bidirectional": True}):
        other, _ = from_values(change, base=cfg)
        s = prose.weights_sentence(other, trained=None, uploaded=False)
        assert "exactly" not in s and "the class itself is a one-layer, one-direction vanilla RNN" in s
    scaled, _ = from_values({"scale": 0.5}, base=cfg)
    s = prose.weights_sentence(scaled, trained=None, uploaded=False)
    assert "those of `MinimalRNN(10, 20, 5, seed=0)` times 50" in s
    np.testing.assert_allclose(build_model(scaled).layers[0][0].w_hh, 50 * build_model(cfg).layers[0][0].w_hh)
    bare, _ = from_values({"output_size": 0}, base=cfg)
    s = prose.weights_sentence(bare, trained=None, uploaded=False)
    assert "the Wxh and Whh of `MinimalRNN(10, 20, O, seed=0)` for any O" in s
    np.testing.assert_array_equal(build_model(bare).layers[0][0].w_hh, build_model(cfg).layers[0][0].w_hh)
    lstm, _ = from_values({"cell": "lstm"}, base=cfg)
    m = class_model("lstm", 10, 20, 5, scale=0.01, seed=0)
    np.testing.assert_array_equal(build_model(lstm).layers[0][0].w_hh, m.layers[0][0].w_hh)
    assert m.layers[0][0].w_ih.shape == (80, 10)  # the same recipe: randn(4·H, I) · scale
    # the other schemes are unchanged: the default page still says "random (seed 0)"
    assert prose.weights_sentence(cfg_of(), trained=None, uploaded=False).startswith("Its weights are random (seed 0)")


def test_fresh_models_of_the_explore_views_follow_the_sidebar_scheme():
    cfg = cfg_of(init="class", scale=0.01)
    m = fresh_model(cfg, cell="gru", hidden=6, layers=1, bidirectional=False)
    assert np.array_equal(m.layers[0][0].w_hh, class_model("gru", cfg.input_size, 6, cfg.output_size, scale=0.01).layers[0][0].w_hh)
    torch_default = fresh_model(cfg_of(init="torch_default"), cell="rnn", hidden=25)
    assert np.abs(torch_default.layers[0][0].w_hh).max() <= 1 / 5


def test_preset_help_no_longer_claims_every_preset_is_exact():
    from rnnviz.ui.controls import PRESET_HELP

    assert "reproduces one formulation's set-up exactly" not in PRESET_HELP
    assert "class and functional-notebook presets also reproduce its random draws exactly" in PRESET_HELP


# --- item 7: learning rates ---------------------------------------------------------------------------

def test_learning_rate_help_names_rnnviz_and_pytorch_defaults():
    torch = pytest.importorskip("torch")
    from rnnviz import train

    for name, cls in (("sgd", torch.optim.SGD), ("adagrad", torch.optim.Adagrad), ("adam", torch.optim.Adam)):
        assert inspect.signature(cls.__init__).parameters["lr"].default == prose.TORCH_DEFAULT_LR[name]
    text = prose.learning_rate_help(train.DEFAULT_LR)
    assert "usual default" not in text
    assert "rnnviz's default for the optimizer (SGD 0.5, Adagrad 0.1, Adam 0.005)" in text
    assert "torch.optim defaults to SGD 0.001, Adagrad 0.01, Adam 0.001" in text


# --- item 8: the smaller ones ---------------------------------------------------------------------------

def test_torch_shapes_are_written_as_pytorch_holds_them():
    gru = init_model("gru", 3, 4, 2, num_layers=2, bidirectional=True, seed=0)
    mats = {m.name: m for m in weight_matrices(gru, "torch", 0, 0)}
    assert mats["weight_ih_l0"].title == "weight_ih_l0: (3·H) × I = 12 × 3"
    assert mats["bias_ih_l0"].title == "bias_ih_l0: (3·H,) = (12,), 1-D (drawn as a column)"
    assert "gates ×" not in mats["weight_ih_l0"].title and "× 1" not in mats["bias_ih_l0"].title
    top = {m.name: m for m in weight_matrices(gru, "torch", 1, 0)}
    assert top["weight_ih_l1"].title.startswith("weight_ih_l1: (3·H) × (2·H) = 12 × 8")
    assert top["out.weight"].title == "out.weight: O × (2·H) = 2 × 8; columns: forward, then reverse units"
    assert top["out.bias"].title == "out.bias: (O,) = (2,), 1-D (drawn as a column)"
    rnn = {m.name: m for m in weight_matrices(init_model("rnn", 3, 4, 2, seed=0), "torch", 0, 0)}
    assert rnn["weight_ih_l0"].title == "weight_ih_l0: H × I = 4 × 3"  # kept for the vanilla RNN
    assert rnn["out.weight"].title == "out.weight: O × H = 2 × 4"
    cls = {m.name: m for m in weight_matrices(init_model("rnn", 3, 4, 2, seed=0), "class", 0, 0)}
    assert cls["bh"].title == "bh: hidden × 1 = 4 × 1"  # the class's bias is a column


def test_weights_note_names_the_torch_module_of_the_cell():
    assert "nn.LSTM state_dict names" in weights_note("torch", "lstm")
    assert "nn.GRU state_dict names" in weights_note("torch", "gru")
    assert "nn.RNN state_dict names" in weights_note("torch", "rnn")
    note = weights_note("class", "lstm")
    assert "nn.LSTM" in note and "nn.RNN" not in note and "defines only the vanilla RNN" in note


def test_bidirectional_text_for_a_lower_and_the_top_layer():
    lower = prose.bidirectional_text(cfg_of(cell="gru", bidirectional=1, layers=2, layer=0), 11)
    assert "what layer 1 reads at step t" in lower.text and "PyTorch's `output` is the top layer's, layer 1" in lower.text
    assert "`output[t] =" not in lower.text and lower.title.startswith("o0[t]")
    upper = prose.bidirectional_text(cfg_of(cell="gru", bidirectional=1, layers=2, layer=1), 11)
    assert "Its input is the output of layer 0" in upper.text and "has seen the whole input sequence" in upper.text
    assert "reads o0[0] → o0[10]" in upper.text and upper.halves[0] == "forward half<br>(has read o0[0..t])"
    assert "`output[t] = [h_fwd[t] ; h_rev[t]]` (PyTorch's `output`)" in upper.text
    assert upper.h_n.startswith("h_n[2] holds")
    single = prose.bidirectional_text(cfg_of(cell="gru", bidirectional=1), 11)  # kept where it was right
    assert "reads x[0] → x[10]" in single.text and "PyTorch's `output`" in single.text
    assert single.halves == ("forward half<br>(has read x[0..t])", "reverse half<br>(has read x[t..T-1])")


def test_tensorflow_label_is_row_b_column_j():
    rnn = cells.get("rnn")
    (_, _, filled), = rnn.equation(symbols("tensorflow", "rnn"), row=2).rows
    assert "(X_tW_x)_{2,\\J}" in filled and "(Y_t)_{2,\\J}" in filled and "(X_tW_x)_{\\J}" not in filled
    (_, _, torch_line), = rnn.equation(symbols("torch", "rnn"), row=2).rows
    assert "(W_{ih}x_t)_{\\J}" in torch_line  # column-vector notations keep one index


def test_sampling_caption_counts_draws_outside_the_top_k():
    top = np.array([[0, 1, 2, 3, 4]] * 4)
    ids = np.array([1, 7, 4, 9])  # 7 and 9 are outside
    text = prose.sampling_caption(ids, top, 1.0)
    assert "here 2 of the 4 drawn characters were outside it" in text
    assert "at a high temperature, a surprise" not in text and "at temperature 1" in text
    assert "here 1 of the 2 drawn characters was outside it" in prose.sampling_caption(ids[:2], top[:2], 0.5)


def test_docs_carry_no_ticket_numbers_and_scope_the_pytorch_claim():
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        assert not re.search(r"\bissue \d+", path.read_text(encoding="utf-8")), path.name
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Every number matches PyTorch to floating-point precision." not in readme
    assert "Given the same weights and inputs, every number rnnviz" in readme
    assert "What each view claims" in (ROOT / "docs" / "app.md").read_text(encoding="utf-8")


def test_every_sentence_function_runs_for_every_preset():
    for name in presets.PRESETS:
        cfg = presets.preset_config(name)
        for layer_cfg in {cfg, replace(cfg, layer=cfg.layers - 1)}:
            assert prose.story(layer_cfg) and prose.output_meaning(layer_cfg).axis_title in ("", "next token",
                                                                                           "output class")
            assert prose.change_label(layer_cfg) and prose.colour_key(layer_cfg)
