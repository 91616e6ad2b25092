"""The live equation and the notation tables, checked on their own (not only through the app).

Every number an equation line shows is recomputed here from the model's weights with plain NumPy
(W x + b written out), the independent reference; names and shapes of the notation tables are
checked against what each formulation writes (PyTorch's state dict, the textbooks)."""
from __future__ import annotations

import re

import numpy as np
import pytest

from rnnviz.app.equations import unit_equations
from rnnviz.app.notation import weight_matrices
from rnnviz.network import forward, init_model

NUMBER = re.compile(r"(\{-\})?(\d+\.\d{4})")


def numbers(line: str) -> list[float]:
    return [float(m.group(2)) * (-1 if m.group(1) else 1) for m in NUMBER.finditer(line)]


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def setup(cell: str, bidirectional: bool = False, nonlinearity: str = "tanh"):
    model = init_model(cell, 3, 4, 2, bidirectional=bidirectional, nonlinearity=nonlinearity, scale=0.8,
                       init="uniform", seed=5)
    x = np.random.default_rng(1).standard_normal((5, 1, 3))
    return model, x, forward(model, x)


def states(model, x, direction: int = 0):
    """h (and c) of every step, by hand, for a one-layer model: the reference the equations must show."""
    p = model.layers[0][direction]
    H = p.w_hh.shape[1]
    T = x.shape[0]
    order = range(T - 1, -1, -1) if direction else range(T)
    h, c = np.zeros(H), np.zeros(H)
    hs, cs, prev_h, prev_c = {}, {}, {}, {}
    for t in order:
        prev_h[t], prev_c[t] = h, c
        xw, hw = p.w_ih @ x[t, 0], p.w_hh @ h
        if model.cell == "rnn":
            pre = xw + p.b_ih + hw + p.b_hh
            h = np.tanh(pre) if model.nonlinearity == "tanh" else np.maximum(pre, 0)
        elif model.cell == "lstm":
            i, f, g, o = np.split(xw + p.b_ih + hw + p.b_hh, 4)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
        else:
            xr, xz, xn = np.split(xw + p.b_ih, 3)
            hr, hz, hn = np.split(hw + p.b_hh, 3)
            r, z = sigmoid(xr + hr), sigmoid(xz + hz)
            n = np.tanh(xn + r * hn)
            h = (1 - z) * n + z * h
        hs[t], cs[t] = h, c
    return hs, cs, prev_h, prev_c


@pytest.mark.parametrize("notation", ["torch", "class", "functional", "tensorflow"])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_equation_numbers_in_every_notation(notation, nonlinearity):
    model, x, trace = setup("rnn", nonlinearity=nonlinearity)
    p = model.layers[0][0]
    hs, _, prev_h, _ = states(model, x)
    t, j = 3, 2
    general, filled = unit_equations(model, trace.layers[0][0], layer=0, direction=0, t=t, b=0, j=j, notation=notation)
    xw, hw = (p.w_ih @ x[t, 0])[j], (p.w_hh @ prev_h[t])[j]
    total = xw + p.b_ih[j] + hw + p.b_hh[j]
    if notation == "torch":  # two biases, as nn.RNN has them
        expected = [xw, p.b_ih[j], hw, p.b_hh[j], total, hs[t][j]]
    else:  # one bias b = b_ih + b_hh
        expected = [xw, hw, p.b_ih[j] + p.b_hh[j], total, hs[t][j]]
    np.testing.assert_allclose(numbers(filled), expected, atol=5.1e-5)
    names = {"torch": ("W_{ih}", "W_{hh}"), "class": ("W_{xh}", "W_{hh}"), "functional": ("W_{ax}", "W_{aa}"),
             "tensorflow": ("W_x", "W_y")}[notation]
    assert all(name in general for name in names)
    assert ("\\tanh" if nonlinearity == "tanh" else "relu") in general


def test_rnn_reverse_direction_reads_the_next_state():
    model, x, trace = setup("rnn", bidirectional=True)
    p = model.layers[0][1]
    hs, _, prev_h, _ = states(model, x, direction=1)
    t, j = 1, 0
    general, filled = unit_equations(model, trace.layers[0][1], layer=0, direction=1, t=t, b=0, j=j, notation="class")
    assert "h_{t+1}" in general and "h_{t-1}" not in general
    hw = (p.w_hh @ prev_h[t])[j]  # the state after reading x[t+1:], by hand
    assert numbers(filled)[2] == pytest.approx(hw, abs=5.1e-5)
    assert numbers(filled)[-1] == pytest.approx(hs[t][j], abs=5.1e-5)


def test_lstm_equation_numbers():
    model, x, trace = setup("lstm")
    p = model.layers[0][0]
    hs, cs, prev_h, prev_c = states(model, x)
    t, j, H = 2, 3, 4
    lines = unit_equations(model, trace.layers[0][0], layer=0, direction=0, t=t, b=0, j=j, notation="torch")
    ih, hh = p.w_ih @ x[t, 0] + p.b_ih, p.w_hh @ prev_h[t] + p.b_hh
    gates = {}
    for k, name in enumerate("ifgo"):
        a, b = ih[k * H + j], hh[k * H + j]
        gates[name] = np.tanh(a + b) if name == "g" else sigmoid(a + b)
        np.testing.assert_allclose(numbers(lines[1 + k]), [a, b, a + b, gates[name]], atol=5.1e-5)
    np.testing.assert_allclose(numbers(lines[5]), [gates["f"], prev_c[t][j], gates["i"], gates["g"], cs[t][j]], atol=5.1e-5)
    np.testing.assert_allclose(numbers(lines[6]), [gates["o"], cs[t][j], hs[t][j]], atol=5.1e-5)


def test_gru_equation_numbers():
    model, x, trace = setup("gru")
    p = model.layers[0][0]
    hs, _, prev_h, _ = states(model, x)
    t, j, H = 4, 1, 4
    lines = unit_equations(model, trace.layers[0][0], layer=0, direction=0, t=t, b=0, j=j, notation="functional")
    ih, hh = p.w_ih @ x[t, 0] + p.b_ih, p.w_hh @ prev_h[t] + p.b_hh
    r, z = sigmoid(ih[j] + hh[j]), sigmoid(ih[H + j] + hh[H + j])
    n = np.tanh(ih[2 * H + j] + r * hh[2 * H + j])
    np.testing.assert_allclose(numbers(lines[1]), [ih[j], hh[j], r], atol=5.1e-5)
    np.testing.assert_allclose(numbers(lines[2]), [ih[H + j], hh[H + j], z], atol=5.1e-5)
    np.testing.assert_allclose(numbers(lines[3]), [ih[2 * H + j], r, hh[2 * H + j], n], atol=5.1e-5)
    np.testing.assert_allclose(numbers(lines[4]), [z, n, z, prev_h[t][j], hs[t][j]], atol=5.1e-5)
    assert "W_{hn}" in lines[0]  # gated cells keep PyTorch's names whatever the notation


def test_the_input_character_is_named_and_escaped():
    model, _, _ = setup("rnn")
    trace = forward(model, np.zeros((5, 1, 3)))
    general = unit_equations(model, trace.layers[0][0], layer=0, direction=0, t=0, b=0, j=0, notation="torch",
                             input_label="_{x}$")[0]
    assert "\\texttt{\\_\\{x\\}\\$}" in general


# --- the notation tables -------------------------------------------------------------------------

def test_torch_names_and_shapes_are_the_state_dict():
    model = init_model("gru", 3, 4, 2, num_layers=2, bidirectional=True, seed=0)
    mats = {m.name: m.array.shape for m in weight_matrices(model, "torch", 1, 1)}
    # nn.GRU(3, 4, num_layers=2, bidirectional=True): layer 1 reads 2*4 features, gates stack 3*4 rows
    assert mats == {"weight_ih_l1_reverse": (12, 8), "weight_hh_l1_reverse": (12, 4), "bias_ih_l1_reverse": (12, 1),
                    "bias_hh_l1_reverse": (12, 1)}
    top = {m.name: m.array.shape for m in weight_matrices(model, "torch", 1, 0)}
    assert top["out.weight"] == (2, 8)  # the output layer reads both directions


@pytest.mark.parametrize("notation, names", [
    ("class", ("Wxh", "Whh", "bh", "Why", "by")),
    ("functional", ("Wax", "Waa", "ba", "Wya", "by")),
])
def test_column_vector_notations(notation, names):
    model = init_model("rnn", 3, 5, 2, seed=0)
    p = model.layers[0][0]
    mats = {m.name: m.array for m in weight_matrices(model, notation, 0, 0)}
    w_x, w_h, b, w_y, b_y = (mats[n] for n in names)
    np.testing.assert_array_equal(w_x, p.w_ih)  # (hidden, input): W x with x a column
    np.testing.assert_array_equal(w_h, p.w_hh)
    np.testing.assert_array_equal(b, (p.b_ih + p.b_hh)[:, None])  # one bias
    np.testing.assert_array_equal(w_y, model.w_out)
    assert b_y.shape == (2, 1)


def test_tensorflow_notation_is_row_major():
    model = init_model("rnn", 3, 5, 0, seed=0)
    p = model.layers[0][0]
    mats = {m.name: m.array for m in weight_matrices(model, "tensorflow", 0, 0)}
    assert set(mats) == {"Wx", "Wy", "b"}
    np.testing.assert_array_equal(mats["Wx"], p.w_ih.T)  # (n_inputs, n_neurons): X Wx with X a row
    np.testing.assert_array_equal(mats["Wy"], p.w_hh.T)
    np.testing.assert_array_equal(mats["b"], (p.b_ih + p.b_hh)[None])
