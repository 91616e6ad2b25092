"""The live equation (each cell's template and numbers) and the notation tables, on their own.

Every number an equation line shows is recomputed here from the model's weights with plain NumPy
(W x + b written out), the independent reference; names and shapes of the notation tables are
checked against what each formulation writes (PyTorch's state dict, the textbooks)."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from rnnviz import cells
from rnnviz.app.notation import symbols, weight_matrices
from rnnviz.figures.mathml import tex_to_mathml
from rnnviz.network import forward, init_model

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


def slots_at(model, trace, *, t, j, notation, direction=0):
    """Each slot of the cell's equation at step t, unit j, by name (what the player shows)."""
    lt = trace.layers[0][direction]
    cell = cells.get(model.cell)
    sym = symbols("torch" if lt.reverse else notation, model.cell)
    values = cell.equation_values(model.layers[0][direction], lt, 0, sym)
    eq = cell.equation(sym, nonlinearity=model.nonlinearity, reverse=lt.reverse)
    assert values.shape == (trace.seq_len, model.hidden_size, len(eq.slots))
    return dict(zip(eq.slots, values[t, j])), eq


@pytest.mark.parametrize("notation", ["torch", "class", "functional", "tensorflow"])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_equation_numbers_in_every_notation(notation, nonlinearity):
    model, x, trace = setup("rnn", nonlinearity=nonlinearity)
    p = model.layers[0][0]
    hs, _, prev_h, _ = states(model, x)
    t, j = 3, 2
    got, eq = slots_at(model, trace, t=t, j=j, notation=notation)
    xw, hw = (p.w_ih @ x[t, 0])[j], (p.w_hh @ prev_h[t])[j]
    total = xw + p.b_ih[j] + hw + p.b_hh[j]
    if notation == "torch":  # two biases, as nn.RNN has them
        expected = {"xw": xw, "bih": p.b_ih[j], "hw": hw, "bhh": p.b_hh[j], "pre": total, "h": hs[t][j]}
    else:  # one bias b = b_ih + b_hh
        expected = {"xw": xw, "hw": hw, "b": p.b_ih[j] + p.b_hh[j], "pre": total, "h": hs[t][j]}
    assert list(got) == list(expected)  # the slots, in the order the equation reads them
    np.testing.assert_allclose(list(got.values()), list(expected.values()), atol=1e-12)
    (_, general, filled), = eq.rows
    names = {"torch": ("W_{ih}", "W_{hh}"), "class": ("W_{xh}", "W_{hh}"), "functional": ("W_{ax}", "W_{aa}"),
             "tensorflow": ("W_x", "W_y")}[notation]
    assert all(name in general for name in names)
    assert ("\\tanh" if nonlinearity == "tanh" else "\\relu") in general
    assert re.findall(r"\\(?:slot|fin)\{(\w+)\}", filled) == list(expected)


def test_rnn_reverse_direction_reads_the_next_state():
    model, x, trace = setup("rnn", bidirectional=True)
    p = model.layers[0][1]
    hs, _, prev_h, _ = states(model, x, direction=1)
    t, j = 1, 0
    got, eq = slots_at(model, trace, t=t, j=j, notation="class", direction=1)
    general = eq.rows[0][1]
    assert "h_{t+1}" in general and "h_{t-1}" not in general and "W_{ih}" in general  # PyTorch's names
    assert got["hw"] == pytest.approx((p.w_hh @ prev_h[t])[j], abs=1e-12)  # the state after reading x[t+1:]
    assert got["h"] == pytest.approx(hs[t][j], abs=1e-12)


@pytest.mark.parametrize("direction", [0, 1])
def test_lstm_equation_numbers(direction):
    model, x, trace = setup("lstm", bidirectional=bool(direction))
    p = model.layers[0][direction]
    hs, cs, prev_h, prev_c = states(model, x, direction)
    t, j, H = 2, 3, 4
    got, eq = slots_at(model, trace, t=t, j=j, notation="torch", direction=direction)
    ih, hh = p.w_ih @ x[t, 0] + p.b_ih, p.w_hh @ prev_h[t] + p.b_hh
    expected = {}
    for k, name in enumerate("ifgo"):
        a, b = ih[k * H + j], hh[k * H + j]
        gate = np.tanh(a + b) if name == "g" else sigmoid(a + b)
        expected.update({f"{name}_xw": a - p.b_ih[k * H + j], f"{name}_bi": p.b_ih[k * H + j],
                         f"{name}_hw": b - p.b_hh[k * H + j], f"{name}_bh": p.b_hh[k * H + j],
                         f"{name}_pre": a + b, name: gate})
    expected.update(c_prev=prev_c[t][j], c=cs[t][j], tanh_c=np.tanh(cs[t][j]), h=hs[t][j])
    assert list(got) == list(expected)
    np.testing.assert_allclose(list(got.values()), list(expected.values()), atol=1e-12)
    assert ("c_{t+1}" in eq.rows[4][1]) == bool(direction)  # the reverse direction's previous cell state


def test_gru_equation_numbers():
    model, x, trace = setup("gru")
    p = model.layers[0][0]
    hs, _, prev_h, _ = states(model, x)
    t, j, H = 4, 1, 4
    got, eq = slots_at(model, trace, t=t, j=j, notation="functional")
    ih, hh = p.w_ih @ x[t, 0] + p.b_ih, p.w_hh @ prev_h[t] + p.b_hh
    r, z = sigmoid(ih[j] + hh[j]), sigmoid(ih[H + j] + hh[H + j])
    n_pre = ih[2 * H + j] + r * hh[2 * H + j]  # r multiplies W_hn h + b_hn, bias included
    assert got["r"] == pytest.approx(r, abs=1e-12) and got["z"] == pytest.approx(z, abs=1e-12)
    assert got["n_pre"] == pytest.approx(n_pre, abs=1e-12) and got["n"] == pytest.approx(np.tanh(n_pre), abs=1e-12)
    assert got["n_hw"] == pytest.approx(hh[2 * H + j] - p.b_hh[2 * H + j], abs=1e-12)
    assert got["h_prev"] == pytest.approx(prev_h[t][j], abs=1e-12) and got["h"] == pytest.approx(hs[t][j], abs=1e-12)
    assert "W_{hn}" in eq.rows[2][1]  # gated cells keep PyTorch's names whatever the notation


@pytest.mark.parametrize("cell", sorted(cells.REGISTRY))
@pytest.mark.parametrize("notation", ["torch", "class", "functional", "tensorflow"])
@pytest.mark.parametrize("reverse", [False, True])
def test_every_equation_renders_as_mathml_with_every_slot(cell, notation, reverse):
    eq = cells.get(cell).equation(symbols(notation, cell), reverse=reverse, onehot=True)
    shown = set()
    for _, general, filled in eq.rows:
        for tex in (general, filled):
            math = ET.fromstring(tex_to_mathml(tex))  # well-formed MathML
            shown |= {e.get("data-slot") for e in math.iter() if e.get("data-slot")}
    assert shown == set(eq.slots)  # every number the browser gets is written somewhere
    assert "\\input" in eq.rows[0][1]  # the one-hot input is named on the first row


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
