"""The textbook formulations (rnnviz.compat), each against an independent computation:
PyTorch, a plain-NumPy textbook loop written here, numbers worked out by hand, the values the
well-known step-by-step notebook prints, and central finite differences for the backward pass.
"""
from __future__ import annotations

import numpy as np
import pytest
from gradcheck import relative_error, central_difference

from rnnviz.compat import (
    MinimalRNN,
    lstm_cell_forward,
    lstm_forward,
    rnn_backward,
    rnn_cell_backward,
    rnn_cell_forward,
    rnn_forward,
    torch_forward,
    unrolled_forward,
)

ATOL = 1e-10


pytestmark = pytest.mark.usefixtures("keep_global_numpy_rng")


# --- plain-NumPy textbook code, written independently of rnnviz ------------------------------

def np_softmax_columns(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def np_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def np_rnn_states(x, a0, Wax, Waa, ba):
    """a (n_a, m, T): a<t> = tanh(Wax x<t> + Waa a<t-1> + ba)."""
    a, prev = np.zeros((Waa.shape[0], x.shape[1], x.shape[2])), a0
    for t in range(x.shape[2]):
        prev = np.tanh(Wax @ x[:, :, t] + Waa @ prev + ba)
        a[:, :, t] = prev
    return a


def np_lstm_step(xt, a_prev, c_prev, p):
    concat = np.vstack([a_prev, xt])
    ft = np_sigmoid(p["Wf"] @ concat + p["bf"])
    it = np_sigmoid(p["Wi"] @ concat + p["bi"])
    cct = np.tanh(p["Wc"] @ concat + p["bc"])
    c_next = ft * c_prev + it * cct
    ot = np_sigmoid(p["Wo"] @ concat + p["bo"])
    a_next = ot * np.tanh(c_next)
    return a_next, c_next, np_softmax_columns(p["Wy"] @ a_next + p["by"]), (ft, it, cct, ot)


def rnn_parameters(rng, n_x, n_a, n_y, scale=0.7):
    return {
        "Wax": rng.standard_normal((n_a, n_x)) * scale,
        "Waa": rng.standard_normal((n_a, n_a)) * scale,
        "Wya": rng.standard_normal((n_y, n_a)) * scale,
        "ba": rng.standard_normal((n_a, 1)) * scale,
        "by": rng.standard_normal((n_y, 1)) * scale,
    }


def lstm_parameters_notebook_order():
    """The notebook's LSTM check: np.random.seed(1), then xt, a_prev, c_prev, Wf, bf, Wi, bi, Wo, bo, Wc, bc, Wy, by."""
    np.random.seed(1)
    xt, a_prev, c_prev = np.random.randn(3, 10), np.random.randn(5, 10), np.random.randn(5, 10)
    p = {}
    for key, shape in [("Wf", (5, 8)), ("bf", (5, 1)), ("Wi", (5, 8)), ("bi", (5, 1)), ("Wo", (5, 8)),
                       ("bo", (5, 1)), ("Wc", (5, 8)), ("bc", (5, 1)), ("Wy", (2, 5)), ("by", (2, 1))]:
        p[key] = np.random.randn(*shape)
    return xt, a_prev, c_prev, p


# === (a) MinimalRNN ==========================================================================

def textbook_minimal_forward(Wxh, Whh, Why, bh, by, inputs):
    """The minimal char-RNN's forward loop, verbatim in spirit."""
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.zeros((Whh.shape[0], 1))
    for t, token in enumerate(inputs):
        xs[t] = np.zeros((Wxh.shape[1], 1))
        xs[t][token] = 1
        hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
        ys[t] = Why @ hs[t] + by
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
    return xs, hs, ys, ps


def randomise(rnn, rng, scale=0.8):
    """Weights big enough that tanh is nonlinear and softmax far from uniform."""
    for name in ("Wxh", "Whh", "Why", "bh", "by"):
        setattr(rnn, name, rng.standard_normal(getattr(rnn, name).shape) * scale)


def test_minimal_init_is_the_textbook_draw():
    np.random.seed(42)
    expected = [np.random.randn(6, 4) * 0.01, np.random.randn(6, 6) * 0.01, np.random.randn(3, 6) * 0.01]
    np.random.seed(0)  # seed=42 must not read the global state
    rnn = MinimalRNN(4, 6, 3, seed=42)
    for got, want in zip((rnn.Wxh, rnn.Whh, rnn.Why), expected):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(rnn.bh, np.zeros((6, 1)))
    np.testing.assert_array_equal(rnn.by, np.zeros((3, 1)))

    np.random.seed(7)
    unseeded = MinimalRNN(4, 6, 3)
    np.random.seed(7)
    np.testing.assert_array_equal(unseeded.Wxh, np.random.randn(6, 4) * 0.01)
    np.testing.assert_array_equal(unseeded.Whh, np.random.randn(6, 6) * 0.01)
    np.testing.assert_array_equal(unseeded.Why, np.random.randn(3, 6) * 0.01)


def test_minimal_forward_matches_textbook_loop():
    rnn = MinimalRNN(5, 4, 6, seed=1)
    randomise(rnn, np.random.default_rng(0))
    inputs = [0, 3, 3, 4, 1, 2]
    got = rnn.forward(inputs)
    want = textbook_minimal_forward(rnn.Wxh, rnn.Whh, rnn.Why, rnn.bh, rnn.by, inputs)
    for name, g, w in zip("xs hs ys ps".split(), got, want):
        assert sorted(g) == sorted(w), name
        for t in w:
            assert g[t].shape == w[t].shape, (name, t)
            np.testing.assert_allclose(g[t], w[t], rtol=0, atol=ATOL, err_msg=f"{name}[{t}]")


@pytest.mark.torch
def test_minimal_forward_matches_torch():
    torch = pytest.importorskip("torch")
    rnn = MinimalRNN(7, 5, 4, seed=3)
    randomise(rnn, np.random.default_rng(3))
    inputs = [6, 0, 2, 2, 5]
    _, hs, ys, ps = rnn.forward(inputs)

    cell = torch.nn.RNN(7, 5).double()
    head = torch.nn.Linear(5, 4).double()
    with torch.no_grad():
        cell.weight_ih_l0.copy_(torch.from_numpy(rnn.Wxh))
        cell.weight_hh_l0.copy_(torch.from_numpy(rnn.Whh))
        cell.bias_ih_l0.copy_(torch.from_numpy(rnn.bh[:, 0]))
        cell.bias_hh_l0.zero_()
        head.weight.copy_(torch.from_numpy(rnn.Why))
        head.bias.copy_(torch.from_numpy(rnn.by[:, 0]))
        one_hot = torch.nn.functional.one_hot(torch.tensor(inputs), 7).double()  # unbatched (T, I)
        out, _ = cell(one_hot)
        logits = head(out)
        probs = torch.softmax(logits, dim=-1)
    for t in range(len(inputs)):
        np.testing.assert_allclose(hs[t][:, 0], out[t].numpy(), rtol=0, atol=ATOL)
        np.testing.assert_allclose(ys[t][:, 0], logits[t].numpy(), rtol=0, atol=ATOL)
        np.testing.assert_allclose(ps[t][:, 0], probs[t].numpy(), rtol=0, atol=ATOL)


def test_minimal_reads_the_current_attributes():
    """Training updates the arrays in place (or rebinds them); forward must see the change."""
    rnn = MinimalRNN(4, 3, 4, seed=0)
    inputs = [1, 2, 3, 0]
    before = rnn.forward(inputs)[3]
    rng = np.random.default_rng(5)
    rnn.Wxh += rng.standard_normal(rnn.Wxh.shape)  # in place
    rnn.Whh = rng.standard_normal(rnn.Whh.shape)  # rebound
    rnn.by -= 0.5
    after = rnn.forward(inputs)[3]
    want = textbook_minimal_forward(rnn.Wxh, rnn.Whh, rnn.Why, rnn.bh, rnn.by, inputs)[3]
    for t in want:
        np.testing.assert_allclose(after[t], want[t], rtol=0, atol=ATOL)
    assert not np.allclose(before[3], after[3])


def test_minimal_forward_of_an_empty_input_is_the_textbook_loops():
    """The min-char-rnn loop over no inputs only sets hs[-1] = np.copy(hprev)."""
    rnn = MinimalRNN(5, 3, 5, seed=0)
    got = rnn.forward([])
    want = textbook_minimal_forward(rnn.Wxh, rnn.Whh, rnn.Why, rnn.bh, rnn.by, [])
    assert [sorted(d) for d in got] == [sorted(d) for d in want] == [[], [-1], [], []]
    np.testing.assert_array_equal(got[1][-1], want[1][-1])
    assert got[1][-1].shape == (3, 1)
    h_prev = np.array([[0.5], [-0.25], [1.0]])
    xs, hs, ys, ps = rnn.forward(np.array([], dtype=int), h_prev=h_prev)
    assert (xs, ys, ps) == ({}, {}, {}) and list(hs) == [-1]
    np.testing.assert_array_equal(hs[-1], h_prev)
    h_prev[0, 0] = 9.0  # a copy, as np.copy(hprev) in the textbook
    assert hs[-1][0, 0] == 0.5


def test_minimal_trace_and_h_prev_match_textbook():
    """The core trace the app shows holds the textbook's numbers; h_prev continues a sequence."""
    rnn = MinimalRNN(5, 4, 5, seed=2)
    randomise(rnn, np.random.default_rng(2))
    inputs = [4, 1, 0, 3]
    want = textbook_minimal_forward(rnn.Wxh, rnn.Whh, rnn.Why, rnn.bh, rnn.by, inputs)
    trace = rnn.trace(inputs)
    np.testing.assert_allclose(trace.probs[:, 0], np.hstack([want[3][t] for t in range(4)]).T, rtol=0, atol=ATOL)
    # the second half of a sequence, started from the first half's last state, equals the whole run
    _, hs_first, _, _ = rnn.forward(inputs[:2])
    _, hs_second, _, ps_second = rnn.forward(inputs[2:], h_prev=hs_first[1])
    np.testing.assert_allclose(hs_second[-1], want[1][1], rtol=0, atol=ATOL)
    np.testing.assert_allclose(hs_second[1], want[1][3], rtol=0, atol=ATOL)
    np.testing.assert_allclose(ps_second[0], want[3][2], rtol=0, atol=ATOL)


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda r: r.forward([0, 5]), r"token ids must lie in \[0, 4\]"),
        (lambda r: r.trace([]), "at least one token id to make a trace"),
        (lambda r: r.forward([0.5, 1.0]), "integer token ids"),
        (lambda r: r.forward([[0, 1]]), r"inputs must be a list of token ids \(1-D\), got shape \(1, 2\)"),
        (lambda r: r.forward([], h_prev=np.zeros((4, 1))), r"h_prev must have shape \(H, 1\) = \(3, 1\)"),
        (lambda r: r.forward([0], h_prev=np.zeros((4, 1))), r"h_prev must have shape \(H, 1\) = \(3, 1\)"),
        (lambda r: setattr(r, "Whh", np.zeros((3, 4))) or r.forward([0]), r"Whh must have shape \(H, H\)"),
        (lambda r: setattr(r, "bh", np.zeros(3)) or r.forward([0]), r"bh must have shape \(H, 1\)"),
        (lambda r: MinimalRNN(0, 3, 5), "input_size must be a positive integer"),
    ],
)
def test_minimal_bad_input_is_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call(MinimalRNN(5, 3, 5, seed=0))


# === (b) functional, batch in columns: forward ===============================================

def notebook_rnn_cell_case():
    """The notebook's rnn_cell_forward check; its draw order is xt, a_prev, Waa, Wax, Wya, ba, by."""
    np.random.seed(1)
    xt, a_prev = np.random.randn(3, 10), np.random.randn(5, 10)
    p = {}
    p["Waa"] = np.random.randn(5, 5)
    p["Wax"] = np.random.randn(5, 3)
    p["Wya"] = np.random.randn(2, 5)
    p["ba"] = np.random.randn(5, 1)
    p["by"] = np.random.randn(2, 1)
    return xt, a_prev, p


def notebook_rnn_sequence_case(first: str):
    """The notebook's sequence checks: x, a0, then Waa and Wax (rnn_forward draws "Waa" first,
    rnn_backward "Wax" first), Wya, ba, by."""
    np.random.seed(1)
    x, a0 = np.random.randn(3, 10, 4), np.random.randn(5, 10)
    p = {}
    for key in ("Waa", "Wax") if first == "Waa" else ("Wax", "Waa"):
        p[key] = np.random.randn(5, 5 if key == "Waa" else 3)
    p["Wya"] = np.random.randn(2, 5)
    p["ba"] = np.random.randn(5, 1)
    p["by"] = np.random.randn(2, 1)
    return x, a0, p


def test_rnn_cell_forward_notebook_values():
    xt, a_prev, p = notebook_rnn_cell_case()
    a_next, yt_pred, cache = rnn_cell_forward(xt, a_prev, p)
    assert a_next.shape == (5, 10) and yt_pred.shape == (2, 10)
    # printed by the notebook's reference solution
    np.testing.assert_allclose(a_next[4], [0.59584544, 0.18141802, 0.61311866, 0.99808218, 0.85016201,
                                           0.99980978, -0.18887155, 0.99815551, 0.6531151, 0.82872037], atol=1e-8)
    np.testing.assert_allclose(yt_pred[1], [0.9888161, 0.01682021, 0.21140899, 0.36817467, 0.98988387,
                                            0.88945212, 0.36920224, 0.9966312, 0.9982559, 0.17746526], atol=1e-8)
    assert len(cache) == 4
    np.testing.assert_array_equal(cache[0], a_next)
    np.testing.assert_array_equal(cache[1], a_prev)
    np.testing.assert_array_equal(cache[2], xt)
    assert cache[3] is p
    # and the textbook formula, in full
    want = np.tanh(p["Wax"] @ xt + p["Waa"] @ a_prev + p["ba"])
    np.testing.assert_allclose(a_next, want, rtol=0, atol=ATOL)
    np.testing.assert_allclose(yt_pred, np_softmax_columns(p["Wya"] @ want + p["by"]), rtol=0, atol=ATOL)


def test_rnn_cell_forward_by_hand_two_units():
    """Two units, two examples in the columns; the pre-activations worked out on paper."""
    xt = np.array([[1, 0], [2, -1]])  # column 0: x = (1, 2); column 1: x = (0, -1)
    a_prev = np.array([[0.5, 1], [-1, 0]])  # column 0: (0.5, -1); column 1: (1, 0)
    p = {
        "Wax": np.array([[1, -1], [0.5, 2]]),
        "Waa": np.array([[2, 0], [1, 1]]),
        "ba": np.array([[0.5], [-0.5]]),
        "Wya": np.array([[1, -1], [0, 0]]),
        "by": np.array([[0], [1]]),
    }
    a_next, yt_pred, _ = rnn_cell_forward(xt, a_prev, p)
    # column 0: unit 0: 1*1 - 1*2 + 2*0.5 + 0*(-1) + 0.5 = 0.5;  unit 1: 0.5*1 + 2*2 + 1*0.5 + 1*(-1) - 0.5 = 3.5
    # column 1: unit 0: 1*0 - 1*(-1) + 2*1 + 0*0 + 0.5 = 3.5;    unit 1: 0.5*0 + 2*(-1) + 1*1 + 1*0 - 0.5 = -1.5
    want_a = np.array([[np.tanh(0.5), np.tanh(3.5)], [np.tanh(3.5), np.tanh(-1.5)]])
    np.testing.assert_allclose(a_next, want_a, rtol=0, atol=1e-15)
    # logits: row 0 = a0 - a1, row 1 = 1; softmax of two rows: p0 = 1 / (1 + exp(1 - (a0 - a1)))
    p0 = [1 / (1 + np.exp(1 - (np.tanh(0.5) - np.tanh(3.5)))), 1 / (1 + np.exp(1 - (np.tanh(3.5) - np.tanh(-1.5))))]
    np.testing.assert_allclose(yt_pred, [p0, [1 - p0[0], 1 - p0[1]]], rtol=0, atol=1e-15)


def test_rnn_forward_notebook_values():
    x, a0, p = notebook_rnn_sequence_case(first="Waa")
    a, y_pred, caches = rnn_forward(x, a0, p)
    assert a.shape == (5, 10, 4) and y_pred.shape == (2, 10, 4)
    np.testing.assert_allclose(a[4][1], [-0.99999375, 0.77911235, -0.99861469, -0.99833267], atol=1e-8)
    np.testing.assert_allclose(y_pred[1][3], [0.79560373, 0.86224861, 0.11118257, 0.81515947], atol=1e-8)
    np.testing.assert_allclose(caches[1][1][3], [-1.1425182, -0.34934272, -0.20889423, 0.58662319], atol=1e-8)
    assert len(caches) == 2 and len(caches[0]) == 4


@pytest.mark.torch
def test_rnn_forward_matches_torch_and_caches_chain():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    n_x, m, T, n_a, n_y = 3, 4, 6, 5, 3
    p = rnn_parameters(rng, n_x, n_a, n_y)
    x, a0 = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m))
    a, y_pred, (step_caches, x_cached) = rnn_forward(x, a0, p)

    rnn = torch.nn.RNN(n_x, n_a).double()
    head = torch.nn.Linear(n_a, n_y).double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(p["Wax"]))
        rnn.weight_hh_l0.copy_(torch.from_numpy(p["Waa"]))
        rnn.bias_ih_l0.copy_(torch.from_numpy(p["ba"][:, 0]))
        rnn.bias_hh_l0.zero_()
        head.weight.copy_(torch.from_numpy(p["Wya"]))
        head.bias.copy_(torch.from_numpy(p["by"][:, 0]))
        out, _ = rnn(torch.from_numpy(x).permute(2, 1, 0), torch.from_numpy(a0.T[None].copy()))  # (T, m, n_a)
        probs = torch.softmax(head(out), dim=-1)
    np.testing.assert_allclose(a, out.permute(2, 1, 0).numpy(), rtol=0, atol=ATOL)
    np.testing.assert_allclose(y_pred, probs.permute(2, 1, 0).numpy(), rtol=0, atol=ATOL)

    np.testing.assert_array_equal(x_cached, x)
    assert len(step_caches) == T
    for t, (a_next, a_prev, xt, params) in enumerate(step_caches):
        np.testing.assert_array_equal(a_next, a[:, :, t])
        np.testing.assert_array_equal(a_prev, a0 if t == 0 else a[:, :, t - 1])
        np.testing.assert_array_equal(xt, x[:, :, t])
        assert params is p


def test_lstm_cell_forward_notebook_values_and_textbook_cache():
    xt, a_prev, c_prev, p = lstm_parameters_notebook_order()
    a_next, c_next, yt, cache = lstm_cell_forward(xt, a_prev, c_prev, p)
    np.testing.assert_allclose(a_next[4], [-0.66408471, 0.0036921, 0.02088357, 0.22834167, -0.85575339,
                                           0.00138482, 0.76566531, 0.34631421, -0.00215674, 0.43827275], atol=1e-8)
    np.testing.assert_allclose(c_next[2], [0.63267805, 1.00570849, 0.35504474, 0.20690913, -1.64566718,
                                           0.11832942, 0.76449811, -0.0981561, -0.74348425, -0.26810932], atol=1e-8)
    np.testing.assert_allclose(yt[1], [0.79913913, 0.15986619, 0.22412122, 0.15606108, 0.97057211,
                                       0.31146381, 0.00943007, 0.12666353, 0.39380172, 0.07828381], atol=1e-8)
    np.testing.assert_allclose(cache[1][3], [-0.16263996, 1.03729328, 0.72938082, -0.54101719, 0.02752074,
                                             -0.30821874, 0.07651101, -1.03752894, 1.41219977, -0.37647422], atol=1e-8)
    assert len(cache) == 10
    want_a, want_c, want_y, (ft, it, cct, ot) = np_lstm_step(xt, a_prev, c_prev, p)
    for got, want in zip(cache, (want_a, want_c, a_prev, c_prev, ft, it, cct, ot, xt)):
        np.testing.assert_allclose(got, want, rtol=0, atol=ATOL)
    assert cache[9] is p
    np.testing.assert_allclose(yt, want_y, rtol=0, atol=ATOL)


def lstm_torch_module(torch, p, n_x, n_a):
    """nn.LSTM holding the notebook's parameters: gate rows i, f, g (= c~), o; [a_prev; xt] split."""
    lstm = torch.nn.LSTM(n_x, n_a).double()
    gates = ("Wi", "Wf", "Wc", "Wo")
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(np.vstack([p[w][:, n_a:] for w in gates])))
        lstm.weight_hh_l0.copy_(torch.from_numpy(np.vstack([p[w][:, :n_a] for w in gates])))
        lstm.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([p["b" + w[1]][:, 0] for w in gates])))
        lstm.bias_hh_l0.zero_()
    return lstm


@pytest.mark.torch
def test_lstm_cell_forward_matches_torch():
    torch = pytest.importorskip("torch")
    xt, a_prev, c_prev, p = lstm_parameters_notebook_order()
    a_next, c_next, yt, _ = lstm_cell_forward(xt, a_prev, c_prev, p)
    lstm = lstm_torch_module(torch, p, 3, 5)
    state = (torch.from_numpy(a_prev.T[None].copy()), torch.from_numpy(c_prev.T[None].copy()))
    with torch.no_grad():
        out, (h_n, c_n) = lstm(torch.from_numpy(xt.T[None].copy()), state)
        probs = torch.softmax(out[0] @ torch.from_numpy(p["Wy"]).T + torch.from_numpy(p["by"][:, 0]), dim=-1)
    np.testing.assert_allclose(a_next, h_n[0].numpy().T, rtol=0, atol=ATOL)
    np.testing.assert_allclose(c_next, c_n[0].numpy().T, rtol=0, atol=ATOL)
    np.testing.assert_allclose(yt, probs.numpy().T, rtol=0, atol=ATOL)


@pytest.mark.torch
def test_lstm_forward_matches_torch_and_textbook_caches():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    n_x, m, T, n_a, n_y = 3, 4, 5, 4, 2
    p = {w: rng.standard_normal((n_a, n_a + n_x)) for w in ("Wf", "Wi", "Wc", "Wo")}
    p.update({b: rng.standard_normal((n_a, 1)) for b in ("bf", "bi", "bc", "bo")})
    p["Wy"], p["by"] = rng.standard_normal((n_y, n_a)), rng.standard_normal((n_y, 1))
    x, a0 = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m))
    a, y, c, (step_caches, x_cached) = lstm_forward(x, a0, p)
    assert (a.shape, y.shape, c.shape) == ((n_a, m, T), (n_y, m, T), (n_a, m, T))

    lstm = lstm_torch_module(torch, p, n_x, n_a)
    with torch.no_grad():
        h0 = torch.from_numpy(a0.T[None].copy())
        out, _ = lstm(torch.from_numpy(x).permute(2, 1, 0), (h0, torch.zeros_like(h0)))
        probs = torch.softmax(out @ torch.from_numpy(p["Wy"]).T + torch.from_numpy(p["by"][:, 0]), dim=-1)
    np.testing.assert_allclose(a, out.permute(2, 1, 0).numpy(), rtol=0, atol=ATOL)
    np.testing.assert_allclose(y, probs.permute(2, 1, 0).numpy(), rtol=0, atol=ATOL)

    np.testing.assert_array_equal(x_cached, x)
    a_prev, c_prev = a0, np.zeros((n_a, m))
    for t, cache in enumerate(step_caches):
        want_a, want_c, _, (ft, it, cct, ot) = np_lstm_step(x[:, :, t], a_prev, c_prev, p)
        for got, want in zip(cache, (want_a, want_c, a_prev, c_prev, ft, it, cct, ot, x[:, :, t])):
            np.testing.assert_allclose(got, want, rtol=0, atol=ATOL)
        np.testing.assert_allclose(c[:, :, t], want_c, rtol=0, atol=ATOL)
        a_prev, c_prev = want_a, want_c


def test_functional_keeps_float32():
    rng = np.random.default_rng(12)
    p64 = rnn_parameters(rng, 3, 4, 2)
    x, a0 = rng.standard_normal((3, 2, 5)), rng.standard_normal((4, 2))
    p32 = {k: v.astype(np.float32) for k, v in p64.items()}
    a32, y32, _ = rnn_forward(x.astype(np.float32), a0.astype(np.float32), p32)
    assert a32.dtype == np.float32 and y32.dtype == np.float32
    want = np_rnn_states(x, a0, p64["Wax"], p64["Waa"], p64["ba"])
    np.testing.assert_allclose(a32, want, rtol=0, atol=1e-5)


# === (b) functional: backward ================================================================

def test_rnn_cell_backward_notebook_values():
    """The notebook's check draws xt, a_prev, Wax, Waa, Wya, ba, by, then da_next."""
    np.random.seed(1)
    xt, a_prev = np.random.randn(3, 10), np.random.randn(5, 10)
    p = {}
    p["Wax"] = np.random.randn(5, 3)
    p["Waa"] = np.random.randn(5, 5)
    p["Wya"] = np.random.randn(2, 5)
    p["ba"] = np.random.randn(5, 1)
    p["by"] = np.random.randn(2, 1)
    _, _, cache = rnn_cell_forward(xt, a_prev, p)
    g = rnn_cell_backward(np.random.randn(5, 10), cache)
    assert g["dxt"].shape == (3, 10) and g["da_prev"].shape == (5, 10)
    assert g["dWax"].shape == (5, 3) and g["dWaa"].shape == (5, 5) and g["dba"].shape == (5, 1)
    np.testing.assert_allclose(g["dxt"][1][2], -1.3872130506020923, atol=1e-12)
    np.testing.assert_allclose(g["da_prev"][2][3], -0.15239949377395473, atol=1e-12)
    np.testing.assert_allclose(g["dWax"][3][1], 0.41077282493545836, atol=1e-12)
    np.testing.assert_allclose(g["dWaa"][1][2], 1.1503450668497135, atol=1e-12)
    np.testing.assert_allclose(g["dba"][4], [0.20023491], atol=1e-8)


def test_rnn_backward_notebook_values():
    x, a0, p = notebook_rnn_sequence_case(first="Wax")
    _, _, caches = rnn_forward(x, a0, p)
    g = rnn_backward(np.random.randn(5, 10, 4), caches)
    assert g["dx"].shape == (3, 10, 4) and g["da0"].shape == (5, 10) and g["dba"].shape == (5, 1)
    np.testing.assert_allclose(g["dx"][1][2], [-2.07101689, -0.59255627, 0.02466855, 0.01483317], atol=1e-8)
    np.testing.assert_allclose(g["da0"][2][3], -0.314942375127, atol=1e-10)
    np.testing.assert_allclose(g["dWax"][3][1], 11.2641044965, atol=1e-9)
    np.testing.assert_allclose(g["dWaa"][1][2], 2.30333312658, atol=1e-10)
    np.testing.assert_allclose(g["dba"][4], [-0.74747722], atol=1e-8)


def test_rnn_cell_backward_finite_differences():
    rng = np.random.default_rng(20)
    p = rnn_parameters(rng, 3, 4, 2)
    xt, a_prev, da_next = rng.standard_normal((3, 5)), rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    _, _, cache = rnn_cell_forward(xt, a_prev, p)
    g = rnn_cell_backward(da_next, cache)

    def loss():  # sum(da_next * a_next), the forward written here in plain NumPy
        return float((da_next * np.tanh(p["Wax"] @ xt + p["Waa"] @ a_prev + p["ba"])).sum())

    for name, array in [("dxt", xt), ("da_prev", a_prev), ("dWax", p["Wax"]), ("dWaa", p["Waa"]), ("dba", p["ba"])]:
        assert g[name].shape == array.shape, name
        assert relative_error(g[name], central_difference(loss, array)) <= 1e-6, name


def test_rnn_backward_finite_differences():
    rng = np.random.default_rng(21)
    n_x, m, T, n_a = 3, 4, 5, 4
    p = rnn_parameters(rng, n_x, n_a, 2)
    x, a0, da = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m, T))
    _, _, caches = rnn_forward(x, a0, p)
    g = rnn_backward(da, caches)

    def loss():
        return float((da * np_rnn_states(x, a0, p["Wax"], p["Waa"], p["ba"])).sum())

    for name, array in [("dx", x), ("da0", a0), ("dWax", p["Wax"]), ("dWaa", p["Waa"]), ("dba", p["ba"])]:
        assert g[name].shape == array.shape, name
        assert relative_error(g[name], central_difference(loss, array)) <= 1e-6, name


@pytest.mark.torch
def test_rnn_backward_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(22)
    n_x, m, T, n_a = 4, 3, 7, 5
    p = rnn_parameters(rng, n_x, n_a, 2)
    x, a0, da = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m, T))
    _, _, caches = rnn_forward(x, a0, p)
    g = rnn_backward(da, caches)
    cell_g = rnn_cell_backward(da[:, :, 0], caches[0][0])

    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in
              [("x", x), ("a0", a0), ("Wax", p["Wax"]), ("Waa", p["Waa"]), ("ba", p["ba"])]}
    states, prev = [], leaves["a0"]
    for t in range(T):
        prev = torch.tanh(leaves["Wax"] @ leaves["x"][:, :, t] + leaves["Waa"] @ prev + leaves["ba"])
        states.append(prev)
    (torch.stack(states, dim=2) * torch.from_numpy(da)).sum().backward()
    for name, leaf in [("dx", "x"), ("da0", "a0"), ("dWax", "Wax"), ("dWaa", "Waa"), ("dba", "ba")]:
        np.testing.assert_allclose(g[name], leaves[leaf].grad.numpy(), rtol=0, atol=ATOL, err_msg=name)

    # one step alone: the gradient of sum(da<0> * a<1>) for the first step's cache
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in
              [("xt", x[:, :, 0]), ("a_prev", a0), ("Wax", p["Wax"]), ("Waa", p["Waa"]), ("ba", p["ba"])]}
    a1 = torch.tanh(leaves["Wax"] @ leaves["xt"] + leaves["Waa"] @ leaves["a_prev"] + leaves["ba"])
    (a1 * torch.from_numpy(da[:, :, 0])).sum().backward()
    for name, leaf in [("dxt", "xt"), ("da_prev", "a_prev"), ("dWax", "Wax"), ("dWaa", "Waa"), ("dba", "ba")]:
        np.testing.assert_allclose(cell_g[name], leaves[leaf].grad.numpy(), rtol=0, atol=ATOL, err_msg=name)


def _rnn_case():
    rng = np.random.default_rng(30)
    p = rnn_parameters(rng, 3, 5, 2)
    return rng.standard_normal((3, 4, 6)), rng.standard_normal((5, 4)), p


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda x, a0, p: rnn_forward(x[:, :, 0], a0, p), r"x must have shape \(n_x, m, T_x\) \(3 dims\)"),
        (lambda x, a0, p: rnn_forward(x, a0[:, :3], p), r"a0 must have shape \(n_a, m\) = \(5, 4\), got \(5, 3\)"),
        (lambda x, a0, p: rnn_forward(x, a0, {**p, "Waa": np.zeros((5, 4))}),
         r"parameters\['Waa'\] must have shape \(n_a, n_a\) = \(5, 5\), got \(5, 4\)"),
        (lambda x, a0, p: rnn_forward(x, a0, {**p, "Wax": np.zeros((5, 2))}), r"n_x = 3 from x"),
        (lambda x, a0, p: rnn_forward(x, a0, {**p, "ba": np.zeros(5)}), r"parameters\['ba'\] must have shape \(n_a, 1\)"),
        (lambda x, a0, p: rnn_forward(x, a0, {k: v for k, v in p.items() if k != "by"}), "parameters is missing 'by'"),
        (lambda x, a0, p: rnn_forward(x, a0, [p]), "parameters must be a dict"),
        (lambda x, a0, p: rnn_forward(x.astype(str), a0, p), "x must hold real numbers"),
        (lambda x, a0, p: rnn_cell_backward(np.zeros((5, 3)), rnn_cell_forward(x[:, :, 0], a0, p)[2]),
         r"da_next must have shape \(n_a, m\) = \(5, 4\), got \(5, 3\)"),
        (lambda x, a0, p: rnn_cell_backward(np.zeros((5, 4)), (a0, x)), r"cache must be the 4-tuple"),
        (lambda x, a0, p: rnn_backward(np.zeros((5, 4, 7)), rnn_forward(x, a0, p)[2]),
         r"da must have shape \(n_a, m, T_x\) = \(5, 4, 6\), got \(5, 4, 7\) \(T_x = 6 from caches x\)"),
        (lambda x, a0, p: rnn_backward(np.zeros((4, 4, 5)), rnn_forward(x, a0, p)[2]),
         r"da must have shape \(n_a, m, 5\) = \(5, 4, 5\), got \(4, 4, 5\)"),
        (lambda x, a0, p: rnn_backward(np.zeros((5, 4, 6)), (rnn_forward(x, a0, p)[2][0][:3], x)), "3 step caches but x has T_x = 6"),
        (lambda x, a0, p: lstm_forward(x, a0, p), "parameters is missing 'Wi'"),
        (lambda x, a0, p: lstm_cell_forward(x[:, :, 0], a0, a0, {**{w: np.zeros((5, 7)) for w in ("Wf", "Wi", "Wc", "Wo")}}),
         r"parameters\['Wi'\] must have shape \(n_a, n_a\+n_x\) = \(5, 8\), got \(5, 7\)"),
    ],
)
def test_functional_bad_input_is_a_clear_value_error(call, message):
    x, a0, p = _rnn_case()
    with pytest.raises(ValueError, match=message):
        call(x, a0, p)


# === (d) TensorFlow-1.x unrolled, batch in rows ==============================================

X0_BATCH = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 0, 1]])  # the TF example's mini-batch, t = 0
X1_BATCH = np.array([[9, 8, 7], [0, 0, 0], [6, 5, 4], [3, 2, 1]])  # t = 1


@pytest.mark.torch
def test_unrolled_tensorflow_example_matches_torch_and_the_two_formulas():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(40)
    Wx, Wy = rng.standard_normal((3, 5)) * 0.3, rng.standard_normal((5, 5)) * 0.3
    b = rng.standard_normal((1, 5)) * 0.3
    Y0, Y1 = unrolled_forward([X0_BATCH, X1_BATCH], Wx, Wy, b)
    assert Y0.shape == Y1.shape == (4, 5)
    # the two lines of the TF graph, in NumPy
    want0 = np.tanh(X0_BATCH @ Wx + b)
    np.testing.assert_allclose(Y0, want0, rtol=0, atol=ATOL)
    np.testing.assert_allclose(Y1, np.tanh(want0 @ Wy + X1_BATCH @ Wx + b), rtol=0, atol=ATOL)

    rnn = torch.nn.RNN(3, 5).double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(Wx.T))
        rnn.weight_hh_l0.copy_(torch.from_numpy(Wy.T))
        rnn.bias_ih_l0.copy_(torch.from_numpy(b[0]))
        rnn.bias_hh_l0.zero_()
        out, _ = rnn(torch.from_numpy(np.stack([X0_BATCH, X1_BATCH]).astype(np.float64)))
    np.testing.assert_allclose(Y0, out[0].numpy(), rtol=0, atol=ATOL)
    np.testing.assert_allclose(Y1, out[1].numpy(), rtol=0, atol=ATOL)


def test_unrolled_by_hand_two_neurons():
    Wx = np.array([[1, 0], [0.5, -1]])  # (n_inputs, n_neurons)
    Wy = np.array([[0.5, 1], [0, -0.5]])
    b = np.array([[0, 0.5]])
    X0 = np.array([[1, 2], [0, -1]])
    X1 = np.array([[2, 0], [1, 1]])
    Y0, Y1 = unrolled_forward([X0, X1], Wx, Wy, b)
    # X0 Wx + b: row 0: (1 + 2*0.5, -2) + (0, 0.5) = (2, -1.5); row 1: (-0.5, 1) + (0, 0.5) = (-0.5, 1.5)
    np.testing.assert_allclose(Y0, np.tanh([[2, -1.5], [-0.5, 1.5]]), rtol=0, atol=1e-15)
    # Y0 Wy = (0.5*y0, y0 - 0.5*y1); X1 Wx: row 0 (2, 0), row 1 (1.5, -1)
    y00, y01, y10, y11 = np.tanh(2), np.tanh(-1.5), np.tanh(-0.5), np.tanh(1.5)
    want1 = np.tanh([[0.5 * y00 + 2, y00 - 0.5 * y01 + 0 + 0.5],
                     [0.5 * y10 + 1.5, y10 - 0.5 * y11 - 1 + 0.5]])
    np.testing.assert_allclose(Y1, want1, rtol=0, atol=1e-15)
    # b given as a flat (n_neurons,) vector broadcasts the same way
    np.testing.assert_allclose(unrolled_forward([X0, X1], Wx, Wy, b[0])[1], want1, rtol=0, atol=1e-15)


def test_unrolled_accepts_a_stacked_array_and_keeps_float32():
    rng = np.random.default_rng(41)
    Wx, Wy, b = (rng.standard_normal(s).astype(np.float32) for s in [(3, 5), (5, 5), (1, 5)])
    Ys = unrolled_forward(np.stack([X0_BATCH, X1_BATCH]).astype(np.float32) / 10, Wx, Wy, b)
    assert len(Ys) == 2 and Ys[1].dtype == np.float32
    want0 = np.tanh(X0_BATCH / 10 @ Wx.astype(np.float64) + b)
    np.testing.assert_allclose(Ys[0], want0, rtol=0, atol=1e-6)
    np.testing.assert_allclose(Ys[1], np.tanh(want0 @ Wy + X1_BATCH / 10 @ Wx + b), rtol=0, atol=1e-5)


@pytest.mark.parametrize(
    "args,message",
    [
        (([], np.ones((3, 5)), np.eye(5), np.zeros((1, 5))), "at least one time step"),
        (([X0_BATCH, X1_BATCH[:3]], np.ones((3, 5)), np.eye(5), np.zeros((1, 5))),
         r"x_steps\[1\] must have shape \(m, n_inputs\) = \(4, 3\), got \(3, 3\)"),
        (([X0_BATCH], np.ones((4, 5)), np.eye(5), np.zeros((1, 5))), r"Wx must have shape \(n_inputs, n_neurons\)"),
        (([X0_BATCH], np.ones((3, 5)), np.eye(4), np.zeros((1, 5))), r"Wy must have shape \(n_neurons, n_neurons\)"),
        (([X0_BATCH], np.ones((3, 5)), np.eye(5), np.zeros((2, 5))), r"b must have shape \(1, n_neurons\)"),
    ],
)
def test_unrolled_bad_input_is_a_clear_value_error(args, message):
    with pytest.raises(ValueError, match=message):
        unrolled_forward(*args)


# === (e) bidirectional as PyTorch defines it =================================================

@pytest.mark.torch
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_bidirectional_reverse_half_is_a_reversed_run_re_reversed(cell):
    """output[t] = [fwd(x)[t], rev(x)[t]] where rev(x) = run(x[::-1])[::-1]; h_n = [fwd, rev]."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(50)
    module = getattr(torch.nn, cell.upper())(3, 4, bidirectional=True).double()
    sd = {k: v.detach().numpy() for k, v in module.state_dict().items()}
    x = np.random.default_rng(50).standard_normal((6, 2, 3))
    output, h_n = torch_forward(sd, x, cell=cell, bidirectional=True)
    if cell == "lstm":
        h_n, c_n = h_n

    # two independent one-direction torch runs: forward weights on x, reverse weights on x reversed
    runs = []
    for suffix in ("", "_reverse"):
        one_way = getattr(torch.nn, cell.upper())(3, 4).double()
        one_way.load_state_dict({k.replace(suffix, "") if suffix else k: v for k, v in module.state_dict().items()
                                 if k.endswith("_l0" + suffix)})
        xs = x if not suffix else x[::-1].copy()
        with torch.no_grad():
            out, state = one_way(torch.from_numpy(xs))
        runs.append((out.numpy(), state))
    (fwd_out, fwd_state), (rev_out, rev_state) = runs
    np.testing.assert_allclose(output[..., :4], fwd_out, rtol=0, atol=ATOL)
    np.testing.assert_allclose(output[..., 4:], rev_out[::-1], rtol=0, atol=ATOL)  # re-reversed
    # the common mistake (no re-reversal) is really different, so the check above can fail
    assert np.abs(output[..., 4:] - rev_out).max() > 1e-3

    fwd_h, rev_h = (fwd_state[0], rev_state[0]) if cell == "lstm" else (fwd_state, rev_state)
    np.testing.assert_allclose(h_n, np.concatenate([fwd_h.numpy(), rev_h.numpy()]), rtol=0, atol=ATOL)
    np.testing.assert_allclose(h_n[1], output[0, :, 4:], rtol=0, atol=ATOL)  # reverse ends at t = 0
    if cell == "lstm":
        np.testing.assert_allclose(c_n, np.concatenate([fwd_state[1].numpy(), rev_state[1].numpy()]), rtol=0, atol=ATOL)
